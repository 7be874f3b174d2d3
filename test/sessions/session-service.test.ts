// SessionService on a real SQLite store with the in-process bus and a fake clock: token
// handling, the cached hot path, exact expiry and idle rules, batched activity, the
// per-user limit, sweeping, tenant isolation and bus-driven eviction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../src/bus/memory.js';
import { SilentBus } from '../support/silent-bus.js';
import { FakeClock } from '../../src/core/clock.js';
import { GatehouseError } from '../../src/core/errors.js';
import { digestSecret } from '../../src/core/ids.js';
import { SessionService, type SessionRules } from '../../src/sessions/service.js';
import { openPostgresStore } from '../../src/store/kysely/postgres.js';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { freshPostgresDatabase } from '../support/services.js';

const MIN = 60_000;
const ABSOLUTE = 180 * MIN;
const IDLE = 30 * MIN;

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sessions-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function setup(t: TestContext, rules: Partial<SessionRules> = {}) {
  const store = openSqliteStore(join(dir, `sessions-${++files}.db`));
  t.after(() => store.close());
  await store.migrate();
  await store.databases.create('other', 0);
  const clock = new FakeClock();
  const bus = new MemoryBus();
  const published: string[] = [];
  bus.onSessionsClosed((message) => published.push(...message.tokenDigests));
  const sessions = new SessionService(store, bus, clock, { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 0, limitPolicy: 'replace', dataLimitBytes: 65_536, ...rules }, 1000);
  const open = (userId = 'u1', database = 'main') => sessions.open({ database, userId, userName: userId, address: '10.0.0.1', client: 'test' });
  const validate = (token: string, database = 'main') => sessions.validate(token, database);
  const row = (id: string) => store.kysely.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const activeIds = async (userId = 'u1', database = 'main') => (await store.sessions.listActiveForUser(database, userId)).map((s) => s.id);
  /** Uses the session every 20 minutes (under the idle limit) while that stays before `until`. */
  const keepAlive = async (token: string, until: number) => {
    while (clock.now() + 20 * MIN < until) {
      clock.advance(20 * MIN);
      assert.ok(await validate(token));
    }
  };
  return { store, clock, bus, sessions, published, open, validate, row, activeIds, keepAlive };
}

const isSessionLimit = (err: unknown) => err instanceof GatehouseError && err.code === 'session_limit';

describe('opening and validating', () => {
  test('open returns a 43-character token and stores only its digest', async (t) => {
    const { clock, open, row } = await setup(t);
    const { token, session } = await open();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const stored = await row(session.id);
    assert.equal(stored.token_digest, digestSecret(token));
    assert.equal(JSON.stringify(stored).includes(token), false);
    assert.equal(stored.expires_at, clock.now() + ABSOLUTE);
    assert.notEqual((await open()).token, token);
  });

  test('validate reads the store once, then answers from the cache', async (t) => {
    const { sessions, store, open, validate } = await setup(t);
    const { token, session } = await open();
    sessions.cache.clear();
    const reads = t.mock.method(store.sessions, 'findByTokenDigest');
    assert.equal((await validate(token))?.id, session.id);
    assert.equal(reads.mock.callCount(), 1);
    assert.equal((await validate(token))?.id, session.id);
    assert.equal(reads.mock.callCount(), 1);
    assert.equal(await validate('not-a-token'), undefined);
    assert.equal(await validate(''), undefined);
  });

  test('a cached live session is answered synchronously; a store read, a dead session or an unhealthy bus is not', async (t) => {
    const { store, clock } = await setup(t);
    const bus = new SilentBus();
    const sessions = new SessionService(store, bus, clock, { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 0, limitPolicy: 'replace', dataLimitBytes: 65_536 }, 1000);
    const validate = (token: string) => sessions.validate(token, 'main');
    const { token, session } = await sessions.open({ database: 'main', userId: 'u1', userName: 'u1', address: null, client: null });
    const cached = validate(token);
    assert.ok(!(cached instanceof Promise), 'a cached live session needs no promise');
    assert.equal(cached?.id, session.id);
    sessions.cache.clear();
    const read = validate(token);
    assert.ok(read instanceof Promise, 'a session that is not cached is read from the store');
    assert.equal((await read)?.id, session.id);
    bus.healthy = false;
    const untrusted = validate(token);
    assert.ok(untrusted instanceof Promise, 'without a healthy bus the cache is not trusted');
    assert.equal((await untrusted)?.id, session.id);
    bus.healthy = true;
    clock.advance(IDLE);
    const idle = validate(token);
    assert.ok(idle instanceof Promise, 'a session that looks dead is rechecked in the store');
    assert.equal(await idle, undefined);
  });

  test('a session is valid until one millisecond before expires_at and closed at it', async (t) => {
    const { clock, open, validate, row, keepAlive } = await setup(t);
    const { token, session } = await open();
    await keepAlive(token, session.expiresAt);
    clock.set(session.expiresAt - 1);
    assert.ok(await validate(token));
    clock.set(session.expiresAt);
    assert.equal(await validate(token), undefined);
    const stored = await row(session.id);
    assert.equal(stored.active, 0);
    assert.equal(stored.close_time, session.expiresAt);
  });

  test('a session is valid one millisecond before the idle limit and closed at it', async (t) => {
    const { clock, open, validate, row } = await setup(t);
    const { token, session } = await open();
    clock.advance(IDLE - 1);
    assert.ok(await validate(token));
    const lastUse = clock.now();
    clock.set(lastUse + IDLE);
    assert.equal(await validate(token), undefined);
    assert.equal((await row(session.id)).close_time, lastUse + IDLE);
    clock.advance(-IDLE);
    assert.equal(await validate(token), undefined, 'a closed session stays closed');
  });

  test('activity is written only on flush, yet idle time counts from the unflushed use', async (t) => {
    const { sessions, clock, open, validate, row } = await setup(t);
    const openedAt = clock.now();
    const { token, session } = await open();
    clock.advance(10 * MIN);
    assert.ok(await validate(token));
    assert.equal((await row(session.id)).request_time, openedAt);
    sessions.cache.clear(); // the next validation reads the row with its old request_time
    clock.advance(IDLE - 1);
    assert.ok(await validate(token));
    assert.equal((await row(session.id)).request_time, openedAt);
    await sessions.activity.flush();
    assert.equal((await row(session.id)).request_time, clock.now());
  });

  test('a session of one database is not valid in another', async (t) => {
    const { sessions, open, validate, row } = await setup(t);
    const { token, session } = await open('u1', 'main');
    assert.equal(await validate(token, 'other'), undefined);
    sessions.cache.clear();
    assert.equal(await validate(token, 'other'), undefined);
    assert.equal((await row(session.id)).active, 1);
    assert.equal((await validate(token, 'main'))?.id, session.id);
  });

  test('a closure published on the bus evicts the session from the cache', async (t) => {
    const { sessions, store, bus, open, validate } = await setup(t);
    const { token } = await open();
    const digest = digestSecret(token);
    assert.ok(sessions.cache.get(digest));
    await bus.publishSessionsClosed({ tokenDigests: [digest] });
    assert.equal(sessions.cache.get(digest), undefined);
    const reads = t.mock.method(store.sessions, 'findByTokenDigest');
    assert.ok(await validate(token));
    assert.equal(reads.mock.callCount(), 1);
  });
});

describe('per-user limit', () => {
  test('replace closes the oldest session, evicts it and announces it on the bus', async (t) => {
    const { sessions, clock, open, validate, row, published } = await setup(t, { limitPerUser: 1, limitPolicy: 'replace' });
    const first = await open();
    clock.advance(1000);
    const second = await open();
    assert.deepEqual(second.replaced.map((s) => s.id), [first.session.id]);
    assert.equal(sessions.cache.get(digestSecret(first.token)), undefined);
    assert.deepEqual(published, [digestSecret(first.token)]);
    assert.equal((await row(first.session.id)).active, 0);
    assert.equal(await validate(first.token), undefined);
    assert.ok(await validate(second.token));
  });

  test('replace with a limit of 2 closes only the oldest; other users and databases do not count', async (t) => {
    const { clock, open, activeIds } = await setup(t, { limitPerUser: 2, limitPolicy: 'replace' });
    const a = await open();
    clock.advance(1000);
    const b = await open();
    clock.advance(1000);
    const otherUser = await open('u2');
    const otherDb = await open('u1', 'other');
    clock.advance(1000);
    const c = await open();
    assert.deepEqual(c.replaced.map((s) => s.id), [a.session.id]);
    assert.deepEqual(await activeIds(), [b.session.id, c.session.id]);
    assert.deepEqual(await activeIds('u2'), [otherUser.session.id]);
    assert.deepEqual(await activeIds('u1', 'other'), [otherDb.session.id]);
  });

  test('reject refuses a session over the limit with session_limit and keeps the existing one', async (t) => {
    const { open, validate, activeIds } = await setup(t, { limitPerUser: 1, limitPolicy: 'reject' });
    const first = await open();
    await assert.rejects(open(), isSessionLimit);
    assert.deepEqual(await activeIds(), [first.session.id]);
    assert.ok(await validate(first.token));
    assert.ok(await open('u2'));
    assert.ok(await open('u1', 'other'));
  });

  test('a limit of 0 means unlimited', async (t) => {
    const { open, validate, activeIds } = await setup(t, { limitPerUser: 0, limitPolicy: 'reject' });
    const opened = [];
    for (let i = 0; i < 5; i++) opened.push(await open());
    assert.equal((await activeIds()).length, 5);
    for (const { token } of opened) assert.ok(await validate(token));
  });

  test('an idle session does not count toward the limit from the moment it is idle', async (t) => {
    const { clock, open, row } = await setup(t, { limitPerUser: 1, limitPolicy: 'reject' });
    const first = await open();
    clock.advance(IDLE - 1);
    await assert.rejects(open(), isSessionLimit);
    clock.advance(1);
    const second = await open();
    assert.deepEqual(second.replaced.map((s) => s.id), [first.session.id]);
    assert.equal((await row(first.session.id)).active, 0);
  });

  test('an expired session does not count toward the limit from its end', async (t) => {
    const { clock, open, keepAlive, activeIds } = await setup(t, { limitPerUser: 1, limitPolicy: 'reject' });
    const first = await open();
    await keepAlive(first.token, first.session.expiresAt);
    clock.set(first.session.expiresAt - 1);
    await assert.rejects(open(), isSessionLimit);
    clock.set(first.session.expiresAt);
    const second = await open();
    assert.deepEqual(await activeIds(), [second.session.id]);
  });
});

describe('closing', () => {
  test('closing evicts from this node\'s cache even when the bus does not echo to this node', async (t) => {
    const { store, clock } = await setup(t);
    const silentBus = new SilentBus();
    const announced = silentBus.announcedDigests;
    const sessions = new SessionService(store, silentBus, clock, { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 1, limitPolicy: 'replace', dataLimitBytes: 65_536 }, 1000);
    const open2 = () => sessions.open({ database: 'main', userId: 'u1', userName: 'u1', address: null, client: null });
    const first = await open2();
    const second = await open2();
    assert.equal(sessions.cache.get(digestSecret(first.token)), undefined);
    await sessions.close('main', [second.session.id]);
    assert.equal(sessions.cache.get(digestSecret(second.token)), undefined);
    assert.deepEqual(announced, [digestSecret(first.token), digestSecret(second.token)]);
  });

  test('closeAllForUser closes and evicts every session of the user except the one named', async (t) => {
    const { sessions, open, validate, published } = await setup(t);
    const [a, keep, c] = [await open(), await open(), await open()];
    const otherUser = await open('u2');
    const closed = await sessions.closeAllForUser('main', 'u1', keep.session.id);
    assert.deepEqual(closed.map((s) => s.id).sort(), [a.session.id, c.session.id].sort());
    assert.deepEqual([...published].sort(), [digestSecret(a.token), digestSecret(c.token)].sort());
    assert.equal(sessions.cache.get(digestSecret(a.token)), undefined);
    assert.equal(await validate(a.token), undefined);
    assert.equal(await validate(c.token), undefined);
    assert.ok(await validate(keep.token));
    assert.ok(await validate(otherUser.token));
  });

  test('sweep writes pending activity, then closes and evicts expired and idle sessions', async (t) => {
    const { sessions, clock, open, validate, row, published } = await setup(t, { absoluteTtlMs: 60 * MIN, idleTtlMs: 20 * MIN });
    const start = clock.now();
    const expiring = await open('expiring');
    clock.set(start + 15 * MIN);
    assert.ok(await validate(expiring.token));
    clock.set(start + 30 * MIN);
    assert.ok(await validate(expiring.token));
    const idle = await open('idle');
    clock.set(start + 35 * MIN);
    const touched = await open('touched');
    clock.set(start + 45 * MIN);
    assert.ok(await validate(expiring.token));
    clock.set(start + 50 * MIN);
    assert.ok(await validate(touched.token)); // only in memory until the sweep flushes it
    clock.set(start + 55 * MIN);
    const live = await open('live');
    clock.set(start + 60 * MIN);

    assert.equal(await sessions.sweep(1), 2);
    assert.deepEqual([...published].sort(), [digestSecret(expiring.token), digestSecret(idle.token)].sort());
    // Each is recorded closed when it ran out: the expiring one at its end, the idle one
    // 20 minutes after it was opened (its last use), not when the sweep ran.
    for (const [gone, ranOut] of [[expiring, start + 60 * MIN], [idle, start + 50 * MIN]] as const) {
      assert.equal(sessions.cache.get(digestSecret(gone.token)), undefined);
      assert.equal((await row(gone.session.id)).close_time, ranOut);
    }
    assert.equal((await row(touched.session.id)).request_time, start + 50 * MIN);
    assert.ok(await validate(touched.token));
    assert.ok(await validate(live.token));
    assert.equal(await sessions.sweep(), 0);
  });
});

// Several connections are what a scaled-out deployment has; SQLite's single connection
// serialises transactions and cannot show a race.
const postgres = await freshPostgresDatabase();

describe('on PostgreSQL (several connections)', () => {
  const skip = 'skip' in postgres ? postgres.skip : false;
  if (!('skip' in postgres)) after(() => postgres.drop());

  for (const limitPolicy of ['replace', 'reject'] as const) {
    test(`concurrent opens never exceed the per-user limit (${limitPolicy})`, { skip }, async (t) => {
      if ('skip' in postgres) return;
      const store = openPostgresStore(postgres.url, 10);
      t.after(() => store.close());
      await store.migrate();
      // Warm the pool so the opens really run side by side on separate connections.
      await Promise.all(Array.from({ length: 10 }, () => store.ping()));
      const sessions = new SessionService(store, new MemoryBus(), new FakeClock(), { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 1, limitPolicy, dataLimitBytes: 65_536 }, 100);
      const userId = `racer-${limitPolicy}`;
      const opens = Array.from({ length: 5 }, () => sessions.open({ database: 'main', userId, userName: userId, address: null, client: null }));
      const results = await Promise.allSettled(opens);
      for (const r of results) if (r.status === 'rejected') assert.ok(isSessionLimit(r.reason), String(r.reason));
      assert.equal((await store.sessions.listActiveForUser('main', userId)).length, 1);
    });
  }
});
