// TOTP over the REST user API with codes from an independent authenticator (otpauth):
// enrolment and its confirmation, the second step of every later login, drift, replay,
// throttling of wrong codes, and disabling with a code or the password.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testContext, totpCode } from '../support/admin.js';
import { api, password, sidFrom, signUp, startApp, type TestApp } from '../support/harness.js';
import { assertRestError, assertRestSuccess } from '../support/rest.js';

const STEP = 30_000;

describe('TOTP second factor', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
  });
  after(() => app.close());

  const login = (username: string, extra: Record<string, unknown> = {}) => api(app.url, '/api/user/session/create', { body: { username, password, ...extra } });
  const code = (secret: string, offset = 0) => totpCode(secret, app.clock.now() + offset);

  async function enrolled(username: string) {
    const user = await signUp(app, username);
    const enrolment = assertRestSuccess(await api(app.url, '/api/user/totp', { method: 'POST', cookie: user.cookie }));
    assertRestSuccess(await api(app.url, '/api/user/totp/verify', { cookie: user.cookie, body: { code: code(enrolment.secret) } }));
    app.clock.advance(STEP); // the confirming code is spent
    return { ...user, secret: enrolment.secret as string };
  }

  test('enrolment gives an otpauth URI, stays pending until a code confirms it, then every login needs a code', async () => {
    const alice = await signUp(app, 'alice');
    const enrolment = assertRestSuccess(await api(app.url, '/api/user/totp', { method: 'POST', cookie: alice.cookie }));
    assert.match(enrolment.otpauth_url, /^otpauth:\/\/totp\/Gatehouse:alice\?/);
    assert.ok(enrolment.otpauth_url.includes(`secret=${enrolment.secret}`));
    assert.equal((await login('alice')).status, 200, 'a pending enrolment asks nothing at login');
    assertRestError(await api(app.url, '/api/user/totp/verify', { cookie: alice.cookie, body: { code: '000000' } }), 401, 'invalid_credentials');
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/totp/verify', { cookie: alice.cookie, body: { code: code(enrolment.secret) } })), { enabled: true });
    assertRestError(await api(app.url, '/api/user/totp', { method: 'POST', cookie: alice.cookie }), 409, 'conflict');
    app.clock.advance(STEP);

    assertRestError(await login('alice'), 401, 'mfa_required');
    const wrong = code(enrolment.secret) === '123456' ? '654321' : '123456';
    assertRestError(await login('alice', { totp: wrong }), 401, 'invalid_credentials');
    const ok = await login('alice', { totp: code(enrolment.secret) });
    const session = assertRestSuccess(ok);
    assert.equal((await app.core.sessions.find('main', session.session_id))?.mfa, true, 'the session records the second factor');
    assert.equal((await app.core.sessions.find('main', alice.sessionId))?.mfa, false);
    assert.ok(sidFrom(ok.headers));
  });

  test('a code works once: a replay is refused, on the same node or by a concurrent check', async () => {
    const bob = await enrolled('bob');
    const now = code(bob.secret);
    assertRestSuccess(await login('bob', { totp: now }));
    assertRestError(await login('bob', { totp: now }), 401, 'invalid_credentials');
    app.clock.advance(STEP);
    const next = code(bob.secret);
    const results = await Promise.all([1, 2, 3].map(() => app.core.accounts.secondFactor.check(testContext(app), bob.userId, next)));
    assert.deepEqual(results.filter(Boolean).length, 1, 'exactly one of three concurrent uses wins');
  });

  test('one step of clock drift either way is accepted; later steps may follow earlier ones, never the reverse', async () => {
    const carol = await enrolled('carol');
    app.clock.advance(10 * STEP);
    assertRestSuccess(await login('carol', { totp: code(carol.secret, -STEP) }));
    assertRestSuccess(await login('carol', { totp: code(carol.secret, STEP) }));
    assertRestError(await login('carol', { totp: code(carol.secret) }), 401, 'invalid_credentials');
    app.clock.advance(10 * STEP);
    assertRestError(await login('carol', { totp: code(carol.secret, 2 * STEP) }), 401, 'invalid_credentials');
    assertRestError(await login('carol', { totp: code(carol.secret, -2 * STEP) }), 401, 'invalid_credentials');
  });

  test('wrong codes count toward the login throttle', async () => {
    const dave = await enrolled('dave');
    for (let i = 0; i < 5; i++) assertRestError(await login('dave', { totp: '000000' }), 401, 'invalid_credentials');
    const throttled = await login('dave', { totp: code(dave.secret) });
    assertRestError(throttled, 429, 'rate_limited');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
  });

  test('disabling needs a current code or the password; wrong ones are refused; then logins need no code', async () => {
    const erin = await enrolled('erin');
    const cookie = sidFrom((await login('erin', { totp: code(erin.secret) })).headers)!;
    app.clock.advance(STEP);
    assertRestError(await api(app.url, '/api/user/totp', { method: 'DELETE', cookie, body: { password: 'not the password' } }), 401, 'invalid_credentials');
    assertRestError(await api(app.url, '/api/user/totp', { method: 'DELETE', cookie, body: { code: '000000' } }), 401, 'invalid_credentials');
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/totp', { method: 'DELETE', cookie, body: { code: code(erin.secret) } })), { enabled: false });
    assertRestError(await api(app.url, '/api/user/totp', { method: 'DELETE', cookie, body: { password } }), 404, 'not_found');
    assertRestSuccess(await login('erin'));

    const frank = await enrolled('frank');
    const frankCookie = sidFrom((await login('frank', { totp: code(frank.secret) })).headers)!;
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/totp', { method: 'DELETE', cookie: frankCookie, body: { password } })), { enabled: false });
    assertRestSuccess(await login('frank'));
  });

  test('an unknown user with a code gets exactly what a wrong password gets', async () => {
    const unknown = await login('nobody-here', { totp: '123456' });
    const wrong = await api(app.url, '/api/user/session/create', { body: { username: 'alice', password: 'wrong password here', totp: '123456' } });
    assertRestError(unknown, 401, 'invalid_credentials');
    assert.deepEqual(unknown.body, wrong.body);
  });
});
