// The user cache behind every signed-in request, across two nodes that share one SQLite
// file and a bus: a change made on one node (profile, login, suspension, deletion) is seen
// on the other at its very next request, also while the other's bus is down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ModerationService } from '../../src/accounts/moderation.js';
import { anonymous, type RequestContext } from '../../src/core/context.js';
import { newSecretKeyText } from '../../src/credentials/secret-box.js';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';
import { LinkedBus } from '../support/linked-buses.js';

describe('user cache across nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-user-cache-'));
  const file = join(dir, 'shared.db');
  const [busA, busB] = LinkedBus.group(2) as [LinkedBus, LinkedBus];
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    // One secret key for both: the signing keys in the shared store are sealed with it.
    const env = { GATEHOUSE_SECRET_KEY: newSecretKeyText(), SESSION_LIMIT_PER_USER: '0' };
    a = await startApp({ ...env, NODE_ID: 'node-a' }, { store: openSqliteStore(file), bus: busA });
    b = await startApp({ ...env, NODE_ID: 'node-b' }, { store: openSqliteStore(file), bus: busB });
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const profileOn = (app: TestApp, cookie: string) => api(app.url, '/api/user', { cookie });
  const contextOn = (app: TestApp): RequestContext => ({
    database: 'main',
    caller: anonymous,
    correlationId: 'test',
    address: '127.0.0.1',
    client: '',
    nodeId: app.core.config.nodeId,
    clock: app.core.clock,
  });

  test('a profile read is served from memory until the user changes', async () => {
    const { userId, cookie } = await signUp(a, 'reader');
    assert.equal((await profileOn(b, cookie)).status, 200);
    let reads = 0;
    const users = b.core.store.users;
    const findById = users.findById.bind(users);
    users.findById = (database, id) => {
      if (id === userId) reads++;
      return findById(database, id);
    };
    try {
      for (let i = 0; i < 3; i++) assert.equal((await profileOn(b, cookie)).body.data.username, 'reader');
      assert.equal(reads, 0, 'no store read while nothing changed');
    } finally {
      users.findById = findById;
    }
  });

  test('a profile update on one node shows on the other at once', async () => {
    const { cookie } = await signUp(a, 'renamed');
    assert.equal((await profileOn(b, cookie)).body.data.full_name, null);
    const updated = await api(a.url, '/api/user/update', { method: 'PATCH', cookie, body: { full_name: 'Renée Named' } });
    assert.equal(updated.status, 200);
    assert.equal((await profileOn(b, cookie)).body.data.full_name, 'Renée Named');
    // And the other way round.
    await api(b.url, '/api/user/update', { method: 'PATCH', cookie, body: { email: 'renee@example.org' } });
    assert.equal((await profileOn(a, cookie)).body.data.email, 'renee@example.org');
  });

  test("a login on one node updates the other's last login at once", async () => {
    const { cookie } = await signUp(a, 'returning');
    const before = (await profileOn(b, cookie)).body.data.last_login as string;
    a.clock.advance(60_000);
    assert.equal((await api(a.url, '/api/user/session/create', { body: { username: 'returning', password } })).status, 200);
    const afterLogin = (await profileOn(b, cookie)).body.data.last_login as string;
    assert.ok(Date.parse(afterLogin) > Date.parse(before), `${afterLogin} after ${before}`);
  });

  test('a suspension on one node refuses the user on the other at once', async () => {
    const { userId } = await signUp(a, 'suspended');
    // A session opened through B, so that only B's caches know it.
    const login = await api(b.url, '/api/user/session/create', { body: { username: 'suspended', password } });
    const cookie = /sid=([^;]*)/.exec(login.headers.get('set-cookie')!)![1]!;
    assert.equal((await profileOn(b, cookie)).status, 200);
    await new ModerationService(a.core.store, a.core.sessions, a.core.audit).suspend(contextOn(a), userId);
    assert.equal((await profileOn(b, cookie)).status, 401);
  });

  test('a role change written on one node reaches a caller on the other at once', async () => {
    const { userId, cookie } = await signUp(a, 'promoted');
    assert.equal((await api(b.url, '/api/user/permissions', { cookie })).body.data.role, 'user');
    await a.core.store.users.update('main', userId, { role: 'moderator', updatedAt: a.clock.now() });
    await a.core.sessions.afterUserChanged('main', userId);
    assert.equal((await api(b.url, '/api/user/permissions', { cookie })).body.data.role, 'moderator');
  });

  test('while the bus is down the cache is bypassed, and a reset clears it', async () => {
    const { userId, cookie } = await signUp(a, 'partitioned');
    assert.equal((await profileOn(b, cookie)).status, 200);
    assert.ok(b.core.sessions.users.size > 0);
    busB.drop();
    try {
      assert.equal(b.core.sessions.users.size, 0, 'a reset clears the cache');
      // The change's message to B is lost with B's connection; B reads the store instead.
      await api(a.url, '/api/user/update', { method: 'PATCH', cookie, body: { full_name: 'Lost Message' } });
      assert.equal((await profileOn(b, cookie)).body.data.full_name, 'Lost Message');
      assert.equal(b.core.sessions.users.size, 0, 'nothing is cached while unhealthy');
    } finally {
      busB.restore();
    }
    await profileOn(b, cookie);
    assert.ok(b.core.sessions.users.size > 0, 'cached again once healthy');
    // Deletion on A: B refuses the (closed) session and forgets the user.
    const deleted = await api(a.url, '/api/user/delete', { method: 'DELETE', cookie, body: { password } });
    assert.equal(deleted.status, 200);
    assert.equal((await profileOn(b, cookie)).status, 401);
    assert.equal(await b.core.sessions.users.find('main', userId), undefined);
  });
});
