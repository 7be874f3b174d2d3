// The retention purge on a real SQLite store with a fake clock: what is old enough goes,
// in bounded batches per run; 0 keeps forever; active sessions are never touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { RetentionPurge } from '../../src/store/retention.js';
import { aSession, T0 } from './conformance-sessions.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function seeded(t: TestContext) {
  const store = openSqliteStore(join(dir, `retention-${++files}.db`));
  t.after(() => store.close());
  await store.migrate();
  const sessions = Array.from({ length: 5 }, () => aSession('main'));
  const live = aSession('main');
  for (const s of [...sessions, live]) await store.sessions.insert(s);
  await store.sessions.close('main', sessions.map((s) => s.id), T0);
  for (let i = 0; i < 5; i++) await store.audit.append({ database: 'main', at: T0, type: 'login.failed', actor: null, target: 'u1', address: null, nodeId: 'n', details: null });
  const count = async () => ({
    sessions: (await store.kysely.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    audit: (await store.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  });
  return { store, count, clock: new FakeClock(T0) };
}

test('nothing is purged before its retention has passed; then everything old, batch by batch', async (t) => {
  const { store, count, clock } = await seeded(t);
  const purge = new RetentionPurge(store, clock, { sessionsMs: 30 * DAY, auditMs: 365 * DAY }, 2, 2);
  clock.set(T0 + 30 * DAY);
  assert.deepEqual(await purge.run(), { sessions: 0, auditEvents: 0 });
  clock.set(T0 + 30 * DAY + 1);
  assert.deepEqual(await purge.run(), { sessions: 4, auditEvents: 0 }, 'two batches of two at most per run');
  assert.deepEqual(await purge.run(), { sessions: 1, auditEvents: 0 });
  clock.set(T0 + 365 * DAY + 1);
  assert.deepEqual(await purge.run(), { sessions: 0, auditEvents: 4 });
  assert.deepEqual(await purge.run(), { sessions: 0, auditEvents: 1 });
  assert.deepEqual(await count(), { sessions: 1, audit: 0 }, 'the active session stays');
});

test('a retention of 0 keeps for ever', async (t) => {
  const { store, count, clock } = await seeded(t);
  clock.set(T0 + 10_000 * DAY);
  assert.deepEqual(await new RetentionPurge(store, clock, { sessionsMs: 0, auditMs: 0 }).run(), { sessions: 0, auditEvents: 0 });
  assert.deepEqual(await count(), { sessions: 6, audit: 5 });
});
