// The hot-path helpers of the session core: the nearly-LRU cache (cheap hits, recently used
// entries safe from eviction) and the activity recorder's flush (chunked writes that let
// requests run in between, activity in flight still visible, failures retried).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityRecorder } from '../../src/sessions/activity.js';
import { SessionCache, estimateEntryBytes } from '../../src/sessions/cache.js';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import type { SessionRecord } from '../../src/store/ports.js';

const base: SessionRecord = {
  database: 'main', id: 's', tokenDigest: '', userId: 'u', userName: null, active: true, openTime: 0, requestTime: 0, closeTime: null,
  expiresAt: 1, address: null, client: null, nodeId: null, user: null, data: null, mfa: false,
};
const entry = (tokenDigest: string, over: Partial<SessionRecord> = {}): SessionRecord => ({ ...base, tokenDigest, ...over });

test('a large cache evicts the least recently inserted entry that was not used since', () => {
  const cache = new SessionCache(100);
  for (let i = 0; i < 100; i++) cache.set(entry(`k${i}`));
  assert.ok(cache.get('k0')); // the oldest, used now: moved to the young end
  for (let i = 100; i < 150; i++) cache.set(entry(`k${i}`));
  assert.ok(cache.get('k0'), 'a hit keeps an entry at least capacity/2 insertions from eviction');
  for (let i = 1; i <= 50; i++) assert.equal(cache.get(`k${i}`), undefined);
  assert.ok(cache.get('k51'));
  assert.equal(cache.size, 100);
});

test('evicting and re-adding a session replaces the cached record', () => {
  const cache = new SessionCache(100);
  cache.set(entry('a', { id: 'first' }));
  cache.set(entry('a', { id: 'second' }));
  assert.equal(cache.get('a')?.id, 'second');
  cache.evict('a');
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.size, 0);
});

test('a small cache is an exact LRU keyed by token digest; capacity 0 caches nothing', () => {
  const cache = new SessionCache(2);
  cache.set(entry('a'));
  cache.set(entry('b'));
  assert.ok(cache.get('a')); // now the youngest
  cache.set(entry('c'));
  assert.equal(cache.get('b'), undefined);
  assert.ok(cache.get('a'));
  assert.ok(cache.get('c'));
  assert.equal(cache.size, 2);
  const none = new SessionCache(0);
  none.set(entry('a'));
  assert.equal(none.get('a'), undefined);
});

test('the cache keeps no user or data value, so a large session costs what a small one does', () => {
  const cache = new SessionCache(100);
  const large = entry('large', { user: { blob: 'u'.repeat(100_000) }, data: 'd'.repeat(100_000) });
  const small = entry('small');
  cache.set(large);
  const held = cache.bytes;
  cache.evict('large');
  cache.set(small);
  assert.equal(cache.bytes, held, 'the same estimate with and without content');
  const cached = cache.get('small')!;
  assert.equal('user' in cached || 'data' in cached, false);
  assert.equal(large.data, 'd'.repeat(100_000), 'the caller’s record is left as it was');
});

test('the cache is bounded by bytes: the oldest entries go first, the estimate never passes the bound', () => {
  const one = estimateEntryBytes(entry('k0000'));
  const cache = new SessionCache(1000, one * 10 + one / 2);
  for (let i = 0; i < 50; i++) {
    cache.set(entry(`k${String(i).padStart(4, '0')}`));
    assert.ok(cache.bytes <= one * 10 + one / 2);
  }
  assert.equal(cache.size, 10);
  assert.equal(cache.get('k0039'), undefined);
  assert.ok(cache.get('k0040'));
  cache.evict('k0040');
  assert.equal(cache.bytes, one * 9);
  cache.clear();
  assert.deepEqual([cache.size, cache.bytes], [0, 0]);
  const tiny = new SessionCache(10, one - 1);
  assert.equal(tiny.set(entry('k0000')), undefined, 'an entry larger than the whole bound is not cached');
  assert.equal(tiny.size, 0);
});

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-activity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function storeWithSessions(name: string, count: number) {
  const store = openSqliteStore(join(dir, `${name}.db`));
  await store.migrate();
  const rows = Array.from({ length: count }, (_, i) => ({
    database: 'main', id: `s${i}`, token_digest: `d${i}`, user_id: 'u', user_name: null, active: 1,
    open_time: 0, request_time: 0, close_time: null, expires_at: 1e15, address: null, client: null,
    node_id: null, user_info: null, data: null, mfa: 0,
  }));
  for (let i = 0; i < rows.length; i += 1000) await store.kysely.insertInto('sessions').values(rows.slice(i, i + 1000)).execute();
  return store;
}

test('a large backlog is written in several transactions, with the event loop running between them', async () => {
  const store = await storeWithSessions('backlog', 22_000);
  const activity = new ActivityRecorder(store);
  for (let i = 0; i < 22_000; i++) activity.touch('main', `s${i}`, 1000 + i);
  let turns = 0;
  const ticker = setInterval(() => turns++, 0);
  const flushing = activity.flush();
  assert.equal(activity.lastSeen('s21999'), 22_999, 'activity being written still counts');
  await flushing;
  clearInterval(ticker);
  assert.ok(turns > 0, 'timers ran during the flush');
  assert.equal(activity.backlog, 0);
  assert.equal(activity.lastSeen('s21999'), undefined);
  const rows = await store.kysely.selectFrom('sessions').select(['id', 'request_time']).where('id', 'in', ['s0', 's12000', 's21999']).orderBy('id').execute();
  assert.deepEqual(rows.map((r) => Number(r.request_time)), [1000, 13_000, 22_999]);
  await store.close();
});

test('flushes never overlap, and a failed flush keeps its activity for the next one', async () => {
  const store = await storeWithSessions('failure', 3);
  const activity = new ActivityRecorder(store);
  activity.touch('main', 's0', 10);
  const first = activity.flush();
  activity.touch('main', 's1', 20);
  await Promise.all([first, activity.flush()]);
  assert.equal(activity.backlog, 0);
  await store.close();
  activity.touch('main', 's2', 30);
  await assert.rejects(activity.flush());
  assert.equal(activity.lastSeen('s2'), 30);
  assert.equal(activity.backlog, 1);
});
