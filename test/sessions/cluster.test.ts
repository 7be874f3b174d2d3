// The session core in a cluster, on a real SQLite store with a fake clock: the cache is
// bypassed while the bus may miss messages and cleared on every reset, a store read that
// raced with another node's eviction is not cached, and activity seen by another node
// keeps a session alive on a node whose cached copy looks idle.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../src/bus/memory.js';
import { FakeClock } from '../../src/core/clock.js';
import { digestSecret } from '../../src/core/ids.js';
import { SessionService } from '../../src/sessions/service.js';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { SilentBus } from '../support/silent-bus.js';

const MIN = 60_000;
const ABSOLUTE = 180 * MIN;
const IDLE = 30 * MIN;

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function setup(t: TestContext) {
  const store = openSqliteStore(join(dir, `sessions-${++files}.db`));
  t.after(() => store.close());
  await store.migrate();
  return { store, clock: new FakeClock() };
}

describe('sessions across nodes', () => {
  test('while the bus is down the cache is bypassed; a reset clears it', async (t) => {
    const { store, clock } = await setup(t);
    const bus = new SilentBus();
    const sessions = new SessionService(store, bus, clock, { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 0, limitPolicy: 'replace', dataLimitBytes: 65_536 }, 1000);
    const opened = await sessions.open({ database: 'main', userId: 'u1', userName: 'u1', address: null, client: null });
    assert.ok(await sessions.validate(opened.token, 'main'));
    assert.equal(sessions.cache.size, 1);
    bus.drop();
    assert.equal(sessions.cache.size, 0, 'a reset clears the cache');
    // Another node closes the session; its message is lost with the connection.
    await store.sessions.close('main', [opened.session.id], clock.now());
    assert.equal(await sessions.validate(opened.token, 'main'), undefined, 'read from the store while unhealthy');
    const second = await sessions.open({ database: 'main', userId: 'u2', userName: 'u2', address: null, client: null });
    assert.ok(await sessions.validate(second.token, 'main'));
    assert.equal(sessions.cache.size, 0, 'nothing is cached while unhealthy');
    bus.restore();
    assert.ok(await sessions.validate(second.token, 'main'));
    assert.equal(sessions.cache.size, 1, 'cached again once healthy');
  });

  test('activity seen by another node keeps a session alive on a node holding an older cached copy', async (t) => {
    const { store, clock } = await setup(t);
    const rules = { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 0, limitPolicy: 'replace' as const, dataLimitBytes: 65_536 };
    const a = new SessionService(store, new MemoryBus(), clock, rules, 1000);
    const b = new SessionService(store, new MemoryBus(), clock, rules, 1000);
    const opened = await a.open({ database: 'main', userId: 'u1', userName: 'u1', address: null, client: null });
    assert.ok(await b.validate(opened.token, 'main'), 'now cached on B');
    clock.advance(20 * MIN);
    assert.ok(await a.validate(opened.token, 'main'));
    await a.activity.flush();
    clock.advance(20 * MIN); // 40 min since B saw it, 20 since A did
    assert.ok(await b.validate(opened.token, 'main'), 'B asks the store before calling it idle');
    assert.equal((await store.sessions.findById('main', opened.session.id))?.active, true);
    clock.advance(IDLE);
    assert.equal(await b.validate(opened.token, 'main'), undefined, 'idle on every node: closed');
    assert.equal((await store.sessions.findById('main', opened.session.id))?.active, false);
  });

  test('a store read that raced with an eviction from another node is not cached', async (t) => {
    const { store, clock } = await setup(t);
    const bus = new SilentBus();
    const sessions = new SessionService(store, bus, clock, { absoluteTtlMs: ABSOLUTE, idleTtlMs: IDLE, limitPerUser: 0, limitPolicy: 'replace', dataLimitBytes: 65_536 }, 1000);
    const opened = await sessions.open({ database: 'main', userId: 'u1', userName: 'u1', address: null, client: null });
    sessions.cache.clear();
    const digest = digestSecret(opened.token);
    const find = store.sessions.findByTokenDigest.bind(store.sessions);
    // The read sees the session active; the close and its message land before it returns.
    store.sessions.findByTokenDigest = async (d) => {
      const row = await find(d);
      await store.sessions.close('main', [opened.session.id], clock.now());
      bus.arrive([digest]);
      return row;
    };
    t.after(() => (store.sessions.findByTokenDigest = find));
    assert.ok(await sessions.validate(opened.token, 'main'));
    store.sessions.findByTokenDigest = find;
    assert.equal(sessions.cache.get(digest), undefined);
    assert.equal(await sessions.validate(opened.token, 'main'), undefined);
  });
});
