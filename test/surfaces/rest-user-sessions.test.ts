// REST user API, sessions: login, the sid cookie, validation with cookie and bearer,
// expiry, logout, listing and revoking one's sessions, the per-user limit and account
// status at login. Throttling and the audit trail: rest-user-throttling-audit.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, password, sidFrom, signUp, startApp, type TestApp } from '../support/harness.js';
import { assertCookieCleared, assertRestError, assertRestSuccess, sidCookieOf } from '../support/rest.js';

const minutes = (n: number) => n * 60_000;
const login = (app: TestApp, body: Record<string, unknown>, headers?: Record<string, string>) => api(app.url, '/api/user/session/create', { body, headers });
const validate = (app: TestApp, cookie: string) => api(app.url, '/api/user/session/validate', { cookie });
const logout = (app: TestApp, cookie: string) => api(app.url, '/api/user/session/delete', { method: 'DELETE', cookie });

/** Logs in and returns the session id and its cookie value. */
async function loginAgain(app: TestApp, username: string, headers?: Record<string, string>) {
  const response = await login(app, { username, password }, headers);
  const data = assertRestSuccess(response);
  return { sessionId: data.session_id as string, cookie: sidFrom(response.headers)! };
}

describe('logging in', () => {
  let app: TestApp;
  before(async () => (app = await startApp()));
  after(() => app.close());

  test('by username answers the session and sets the sid cookie', async () => {
    const registered = assertRestSuccess(await api(app.url, '/api/user/register', { body: { username: 'login.name', email: 'login.name@example.com', password } }), 201);
    const response = await login(app, { username: 'LOGIN.name', password });
    const data = assertRestSuccess(response);
    assert.deepEqual(Object.keys(data).sort(), ['expires_at', 'session_id', 'user_id']);
    assert.equal(data.user_id, registered.user_id);
    assert.equal(data.expires_at, new Date(app.clock.now() + minutes(180)).toISOString());
    const cookie = sidCookieOf(response);
    assert.ok(cookie.value.length >= 32);
    assertRestSuccess(await validate(app, cookie.value));
  });

  test('by email, trimmed and case-insensitive', async () => {
    const user = await signUp(app, 'login.mail');
    const data = assertRestSuccess(await login(app, { email: '  Login.Mail@EXAMPLE.com ', password }));
    assert.equal(data.user_id, user.userId);
  });

  test('needs exactly one of username and email', async () => {
    await signUp(app, 'login.both');
    assertRestError(await login(app, { username: 'login.both', email: 'login.both@example.com', password }), 400, 'validation_failed');
    assertRestError(await login(app, { password }), 400, 'validation_failed');
  });

  test('an unknown user and a wrong password get the identical answer', async () => {
    await signUp(app, 'login.same');
    const unknown = await login(app, { username: 'nobody.here', password });
    const wrong = await login(app, { username: 'login.same', password: 'wrong password' });
    const unknownEmail = await login(app, { email: 'nobody@example.com', password });
    const wrongEmail = await login(app, { email: 'login.same@example.com', password: 'wrong password' });
    assertRestError(unknown, 401, 'invalid_credentials');
    for (const other of [wrong, unknownEmail, wrongEmail]) {
      assert.equal(other.status, unknown.status);
      assert.deepEqual(other.body, unknown.body);
      assert.deepEqual(other.headers.getSetCookie(), []);
    }
  });

  test('the cookie is HttpOnly, SameSite=Lax, Path=/, lives as long as the session and is not Secure over plain http', async () => {
    await signUp(app, 'cookie.attrs');
    const cookie = sidCookieOf(await login(app, { username: 'cookie.attrs', password }));
    assert.equal(cookie.attributes.get('httponly'), true);
    assert.equal(cookie.attributes.get('samesite'), 'Lax');
    assert.equal(cookie.attributes.get('path'), '/');
    assert.equal(cookie.attributes.get('max-age'), String(3 * 3600));
    assert.equal(cookie.attributes.has('secure'), false);
    // Without TRUST_PROXY a forwarded protocol is not believed.
    const forwarded = sidCookieOf(await login(app, { username: 'cookie.attrs', password }, { 'x-forwarded-proto': 'https' }));
    assert.equal(forwarded.attributes.has('secure'), false);
  });
});

describe('cookie Secure and lifetime settings', () => {
  test('COOKIE_SECURE=true marks the cookie Secure; Max-Age follows SESSION_ABSOLUTE_TTL', async () => {
    const app = await startApp({ COOKIE_SECURE: 'true', SESSION_ABSOLUTE_TTL: '90m', SESSION_IDLE_TTL: '30m' });
    try {
      await signUp(app, 'secure.cookie');
      const cookie = sidCookieOf(await login(app, { username: 'secure.cookie', password }));
      assert.equal(cookie.attributes.get('secure'), true);
      assert.equal(cookie.attributes.get('max-age'), String(90 * 60));
    } finally {
      await app.close();
    }
  });

  test('COOKIE_SECURE=auto behind a trusted proxy that says https marks the cookie Secure', async () => {
    const app = await startApp({ TRUST_PROXY: 'true' });
    try {
      await signUp(app, 'proxy.cookie');
      const cookie = sidCookieOf(await login(app, { username: 'proxy.cookie', password }, { 'x-forwarded-proto': 'https' }));
      assert.equal(cookie.attributes.get('secure'), true);
    } finally {
      await app.close();
    }
  });
});

describe('validating and ending a session', () => {
  let app: TestApp;
  // An absolute lifetime shorter than two idle periods, so each rule can be hit alone.
  before(async () => (app = await startApp({ SESSION_ABSOLUTE_TTL: '1h', SESSION_IDLE_TTL: '40m', SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  test('validates with the cookie and with a bearer token', async () => {
    const user = await signUp(app, 'val.both');
    const expected = { session_id: user.sessionId, user_id: user.userId, expires_at: new Date(app.clock.now() + minutes(60)).toISOString() };
    assert.deepEqual(assertRestSuccess(await validate(app, user.cookie)), expected);
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/session/validate', { bearer: user.cookie })), expected);
    assert.equal(assertRestSuccess(await api(app.url, '/api/user', { bearer: user.cookie })).user_id, user.userId);
  });

  test('past the absolute lifetime: 401, cookie cleared, session row closed', async () => {
    const user = await signUp(app, 'val.absolute');
    app.clock.advance(minutes(30));
    assertRestSuccess(await validate(app, user.cookie));
    app.clock.advance(minutes(30) + 1000);
    const response = await validate(app, user.cookie);
    assertRestError(response, 401, 'unauthenticated');
    assertCookieCleared(response);
    const row = await app.core.store.sessions.findById('main', user.sessionId);
    assert.equal(row?.active, false);
    assert.equal(row?.closeTime, app.clock.now());
    assertRestError(await api(app.url, '/api/user', { cookie: user.cookie }), 401, 'unauthenticated');
  });

  test('after the idle timeout: 401, cookie cleared, session row closed; use keeps it alive', async () => {
    const used = await signUp(app, 'val.idle');
    app.clock.advance(minutes(39));
    assertRestSuccess(await validate(app, used.cookie));
    app.clock.advance(minutes(20)); // 59 minutes old, more than the idle timeout, but used 20 minutes ago
    assertRestSuccess(await validate(app, used.cookie));

    const user = await loginAgain(app, 'val.idle');
    app.clock.advance(minutes(40)); // well inside the 1h lifetime
    const response = await validate(app, user.cookie);
    assertRestError(response, 401, 'unauthenticated');
    assertCookieCleared(response);
    assert.equal((await app.core.store.sessions.findById('main', user.sessionId))?.active, false);
  });

  test('an expired bearer session is refused without touching cookies', async () => {
    const user = await signUp(app, 'val.bearer');
    app.clock.advance(minutes(61));
    const response = await api(app.url, '/api/user/session/validate', { bearer: user.cookie });
    assertRestError(response, 401, 'unauthenticated');
    assert.deepEqual(response.headers.getSetCookie(), []);
  });

  test('logout closes the session and clears the cookie; a second logout is 401', async () => {
    const user = await signUp(app, 'val.logout');
    const response = await logout(app, user.cookie);
    assert.deepEqual(assertRestSuccess(response), { session_id: user.sessionId });
    assertCookieCleared(response);
    assert.equal((await app.core.store.sessions.findById('main', user.sessionId))?.active, false);
    assertRestError(await validate(app, user.cookie), 401, 'unauthenticated');
    assertRestError(await logout(app, user.cookie), 401, 'unauthenticated');
    assertRestError(await api(app.url, '/api/user/session/delete', { method: 'DELETE' }), 401, 'unauthenticated');
  });

  test('a malformed or over-long credential is unauthenticated on validate and logout, like everywhere else', async () => {
    for (const token of ['x'.repeat(600), 'not-a-session', '%%%']) {
      for (const [path, method] of [['/api/user/session/validate', 'GET'], ['/api/user/session/delete', 'DELETE'], ['/api/user', 'GET']] as const) {
        const byCookie = await api(app.url, path, { method, cookie: token });
        assertRestError(byCookie, 401, 'unauthenticated');
        assertCookieCleared(byCookie);
        assertRestError(await api(app.url, path, { method, bearer: token }), 401, 'unauthenticated');
      }
    }
  });

  test('logout works with a bearer token', async () => {
    const user = await signUp(app, 'val.bearer.out');
    assertRestSuccess(await api(app.url, '/api/user/session/delete', { method: 'DELETE', bearer: user.cookie }));
    assertRestError(await validate(app, user.cookie), 401, 'unauthenticated');
  });
});

describe("listing and revoking one's sessions", () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '3' })));
  after(() => app.close());

  test('lists the live sessions, oldest first, marking the caller current', async () => {
    await signUp(app, 'list.me');
    app.clock.advance(1000);
    const first = await loginAgain(app, 'list.me', { 'user-agent': 'first-browser' });
    app.clock.advance(1000);
    const second = await loginAgain(app, 'list.me', { 'user-agent': 'second-browser' });
    const listed = assertRestSuccess(await api(app.url, '/api/user/sessions', { cookie: second.cookie }));
    assert.equal(listed.length, 3); // the signUp session, first, second: within the limit of 3
    for (const item of listed) assert.deepEqual(Object.keys(item).sort(), ['address', 'client', 'current', 'id', 'open_time', 'request_time']);
    const [, a, b] = listed;
    const openedAt = new Date(app.clock.now() - 1000).toISOString();
    assert.deepEqual(a, { id: first.sessionId, open_time: openedAt, request_time: openedAt, address: '127.0.0.1', client: 'first-browser', current: false });
    assert.equal(b.id, second.sessionId);
    assert.equal(b.client, 'second-browser');
    assert.equal(b.open_time, new Date(app.clock.now()).toISOString());
    assert.deepEqual(listed.filter((s: { current: boolean }) => s.current).map((s: { id: string }) => s.id), [second.sessionId]);
    // Seen from the first session, only the first is current.
    const fromFirst = assertRestSuccess(await api(app.url, '/api/user/sessions', { cookie: first.cookie }));
    assert.deepEqual(fromFirst.filter((s: { current: boolean }) => s.current).map((s: { id: string }) => s.id), [first.sessionId]);
  });

  test('leaves out sessions that have gone idle', async () => {
    const user = await signUp(app, 'list.idle');
    const other = await loginAgain(app, 'list.idle');
    app.clock.advance(minutes(20));
    assertRestSuccess(await validate(app, other.cookie));
    app.clock.advance(minutes(11));
    const listed = assertRestSuccess(await api(app.url, '/api/user/sessions', { cookie: other.cookie }));
    assert.deepEqual(listed.map((s: { id: string }) => s.id), [other.sessionId]);
    assert.equal(listed[0].request_time, new Date(app.clock.now()).toISOString());
    assertRestError(await validate(app, user.cookie), 401, 'unauthenticated');
  });

  test('revokes another of its own sessions without clearing the caller cookie', async () => {
    const user = await signUp(app, 'revoke.other');
    const other = await loginAgain(app, 'revoke.other');
    const response = await api(app.url, `/api/user/sessions/${other.sessionId}`, { method: 'DELETE', cookie: user.cookie });
    assert.deepEqual(assertRestSuccess(response), { session_id: other.sessionId });
    assert.deepEqual(response.headers.getSetCookie(), []);
    assertRestError(await validate(app, other.cookie), 401, 'unauthenticated');
    assertRestSuccess(await validate(app, user.cookie));
    assertRestError(await api(app.url, `/api/user/sessions/${other.sessionId}`, { method: 'DELETE', cookie: user.cookie }), 404, 'not_found');
  });

  test('revoking the current session clears its cookie', async () => {
    const user = await signUp(app, 'revoke.self');
    const response = await api(app.url, `/api/user/sessions/${user.sessionId}`, { method: 'DELETE', cookie: user.cookie });
    assertRestSuccess(response);
    assertCookieCleared(response);
    assertRestError(await validate(app, user.cookie), 401, 'unauthenticated');
  });

  test("another user's session is not found and stays open", async () => {
    const mallory = await signUp(app, 'revoke.mallory');
    const victim = await signUp(app, 'revoke.victim');
    assertRestError(await api(app.url, `/api/user/sessions/${victim.sessionId}`, { method: 'DELETE', cookie: mallory.cookie }), 404, 'not_found');
    assertRestError(await api(app.url, '/api/user/sessions/no-such-session', { method: 'DELETE', cookie: mallory.cookie }), 404, 'not_found');
    assertRestSuccess(await validate(app, victim.cookie));
    assert.ok(!assertRestSuccess(await api(app.url, '/api/user/sessions', { cookie: mallory.cookie })).some((s: { id: string }) => s.id === victim.sessionId));
  });
});

describe('the per-user session limit', () => {
  test('by default one session: a new login replaces the older one', async () => {
    const app = await startApp();
    try {
      const user = await signUp(app, 'limit.replace');
      const newer = await loginAgain(app, 'limit.replace');
      assertRestError(await validate(app, user.cookie), 401, 'unauthenticated');
      assertRestSuccess(await validate(app, newer.cookie));
      assert.equal((await app.core.store.sessions.findById('main', user.sessionId))?.active, false);
      assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/sessions', { cookie: newer.cookie })).map((s: { id: string }) => s.id), [newer.sessionId]);
    } finally {
      await app.close();
    }
  });

  test('SESSION_LIMIT_POLICY=reject refuses the new login with session_limit; an ended session frees the slot', async () => {
    const app = await startApp({ SESSION_LIMIT_POLICY: 'reject' });
    try {
      const user = await signUp(app, 'limit.reject');
      assertRestError(await login(app, { username: 'limit.reject', password }), 409, 'session_limit');
      assertRestSuccess(await validate(app, user.cookie));
      assertRestSuccess(await logout(app, user.cookie));
      const next = await loginAgain(app, 'limit.reject');
      // An idle session does not hold the slot either.
      app.clock.advance(minutes(31));
      assertRestSuccess(await login(app, { username: 'limit.reject', password }));
      assertRestError(await validate(app, next.cookie), 401, 'unauthenticated');
    } finally {
      await app.close();
    }
  });
});

describe('account status at login', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  test('a suspended user learns it only with the right password, and their session stops working', async () => {
    const user = await signUp(app, 'status.suspended');
    await app.core.store.users.update('main', user.userId, { status: 'suspended' });
    assertRestError(await login(app, { username: 'status.suspended', password: 'wrong password' }), 401, 'invalid_credentials');
    assertRestError(await login(app, { username: 'status.suspended', password }), 403, 'account_suspended');
    assertRestError(await api(app.url, '/api/user', { cookie: user.cookie }), 401, 'unauthenticated');
  });

  test('a banned user learns it only with the right password', async () => {
    const user = await signUp(app, 'status.banned');
    await app.core.store.users.update('main', user.userId, { status: 'banned', banUntil: null });
    assertRestError(await login(app, { username: 'status.banned', password: 'wrong password' }), 401, 'invalid_credentials');
    assertRestError(await login(app, { username: 'status.banned', password }), 403, 'account_banned');
    await app.core.store.users.update('main', user.userId, { banUntil: app.clock.now() + minutes(10) });
    assertRestError(await login(app, { email: 'status.banned@example.com', password }), 403, 'account_banned');
  });

  test('a ban whose time has passed is lifted at login', async () => {
    const user = await signUp(app, 'status.lifted');
    await app.core.store.users.update('main', user.userId, { status: 'banned', banUntil: app.clock.now() + minutes(10) });
    app.clock.advance(minutes(11));
    assertRestSuccess(await login(app, { username: 'status.lifted', password }));
    assert.equal((await app.core.store.users.findById('main', user.userId))?.status, 'active');
  });
});
