// REST user API: login throttling (SPEC §2: five free failures, then 1 s, 2 s, 4 s …
// answered rate_limited with Retry-After) and the audit events the REST routes record.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, password, sidFrom, signUp, startApp, type TestApp } from '../support/harness.js';
import { assertRestError, assertRestSuccess } from '../support/rest.js';

const login = (app: TestApp, body: Record<string, unknown>) => api(app.url, '/api/user/session/create', { body });

describe('login throttling', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  const failTimes = async (body: Record<string, unknown>, times: number) => {
    for (let i = 0; i < times; i++) assertRestError(await login(app, body), 401, 'invalid_credentials');
  };

  test('after 5 failures the 6th attempt, even with the right password, is rate_limited until the wait is over', async () => {
    await signUp(app, 'throttle.me');
    await failTimes({ username: 'throttle.me', password: 'wrong password' }, 5);
    const limited = await login(app, { username: 'throttle.me', password });
    assertRestError(limited, 429, 'rate_limited');
    assert.equal(limited.headers.get('retry-after'), '1');
    app.clock.advance(1000);
    assertRestSuccess(await login(app, { username: 'throttle.me', password }));
    // Success resets the count.
    assertRestError(await login(app, { username: 'throttle.me', password: 'wrong password' }), 401, 'invalid_credentials');
  });

  test('each further failure doubles the wait', async () => {
    await signUp(app, 'throttle.double');
    await failTimes({ username: 'throttle.double', password: 'wrong password' }, 5);
    app.clock.advance(1000);
    await failTimes({ username: 'throttle.double', password: 'wrong password' }, 1);
    const limited = await login(app, { username: 'throttle.double', password });
    assertRestError(limited, 429, 'rate_limited');
    assert.equal(limited.headers.get('retry-after'), '2');
    app.clock.advance(1000);
    assertRestError(await login(app, { username: 'throttle.double', password }), 429, 'rate_limited');
    app.clock.advance(1000);
    assertRestSuccess(await login(app, { username: 'throttle.double', password }));
  });

  test('username and email share one counter; unknown names are throttled alike', async () => {
    await signUp(app, 'throttle.shared');
    await failTimes({ username: 'throttle.shared', password: 'wrong password' }, 3);
    await failTimes({ email: 'throttle.shared@example.com', password: 'wrong password' }, 2);
    assertRestError(await login(app, { username: 'throttle.shared', password }), 429, 'rate_limited');
    await failTimes({ username: 'throttle.ghost', password }, 5);
    const ghost = await login(app, { username: 'throttle.ghost', password });
    assertRestError(ghost, 429, 'rate_limited');
    assert.equal(ghost.headers.get('retry-after'), '1');
  });
});

describe('audit events', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  const typesFor = async (userId: string) => (await app.core.store.audit.listForTarget('main', userId, 100)).map((e) => e.type).reverse();

  test('account created, login ok and failed, logout, account updated and password changed are recorded', async () => {
    const user = await signUp(app, 'audit.me');
    assertRestError(await login(app, { username: 'audit.me', password: 'wrong password' }), 401, 'invalid_credentials');
    const secondLogin = await login(app, { username: 'audit.me', password });
    const second = { sessionId: assertRestSuccess(secondLogin).session_id as string, cookie: sidFrom(secondLogin.headers)! };
    assertRestSuccess(await api(app.url, '/api/user/session/delete', { method: 'DELETE', cookie: second.cookie }));
    assertRestSuccess(await api(app.url, '/api/user/update', { method: 'PATCH', cookie: user.cookie, body: { full_name: 'Audit Me' } }));
    assertRestSuccess(await api(app.url, '/api/user/update', { method: 'PATCH', cookie: user.cookie, body: { password: 'another password', current_password: password } }));
    assert.deepEqual(await typesFor(user.userId), ['account.created', 'login.succeeded', 'login.failed', 'login.succeeded', 'logout', 'account.updated', 'password.changed']);

    const events = await app.core.store.audit.listForTarget('main', user.userId, 100);
    const byType = (type: string) => events.find((e) => e.type === type)!;
    assert.deepEqual(
      { ...byType('logout') },
      { database: 'main', at: app.clock.now(), type: 'logout', actor: user.userId, target: user.userId, address: '127.0.0.1', nodeId: 'test-node', details: { session_id: second.sessionId } },
    );
    assert.equal(byType('login.failed').actor, null);
    assert.deepEqual(byType('account.updated').details, { fields: ['fullName'] });
    assert.equal(byType('password.changed').actor, user.userId);
    // No secret rides along in any event.
    assert.doesNotMatch(JSON.stringify(events), /correct horse|another password|wrong password/);
  });

  test('account deleted is recorded after the rest is removed', async () => {
    const user = await signUp(app, 'audit.gone');
    assertRestSuccess(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: user.cookie, body: { password } }));
    const events = await app.core.store.audit.listForTarget('main', user.userId, 100);
    assert.deepEqual(events.map((e) => [e.type, e.actor, e.address, e.nodeId]), [['account.deleted', user.userId, '127.0.0.1', 'test-node']]);
  });
});
