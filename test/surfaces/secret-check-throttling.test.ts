// Every check of a typed secret is throttled like a login (SPEC §2): wrong current, old and
// delete passwords, TOTP codes and reset codes lock the account out with `rate_limited` and
// Retry-After in each surface's framing; an administrator's unlock_user lifts it. Reset
// requests and refused bearer credentials have per-name and per-address quotas, and a flood
// of refused service keys writes a bounded number of audit rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultThrottleRules } from '../../src/credentials/throttle.js';
import { signUpAdmin, totpCode, enrolTotp } from '../support/admin.js';
import { api, password, signUp, startApp, type ApiResponse, type TestApp } from '../support/harness.js';
import { assertV2Error, member, v2 } from '../support/messages.js';
import { assertRestError, countRows } from '../support/rest.js';
import { rpc } from '../support/rpc.js';

const freeFailures = defaultThrottleRules.freeFailures;

/** A lockout answer has the wrong-password answer's shape, with 429 and Retry-After. */
function assertLockedLike(locked: ApiResponse, wrong: ApiResponse): void {
  assert.equal(locked.status, 429, locked.text);
  assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
  const shape = (body: unknown): unknown => (body !== null && typeof body === 'object' ? Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'object' && v !== null ? shape(v) : typeof v])) : typeof body);
  assert.deepEqual(shape(locked.body), shape(wrong.body));
}

describe('secret checks share the account throttle', () => {
  let app: TestApp;
  before(async () => (app = await startApp({}, { throttleRules: { ...defaultThrottleRules, refusedCredentialsPerWindow: 20 } })));
  after(() => app.close());

  test('PATCH /api/user/update: wrong current_password tries end in 429; unlock_user lifts it', async () => {
    const alice = await signUp(app, 'alice');
    const wrongTry = () => api(app.url, '/api/user/update', { method: 'PATCH', cookie: alice.cookie, body: { password: 'a brand new passphrase', current_password: 'wrong password' } });
    let wrong!: ApiResponse;
    for (let n = 0; n < freeFailures; n++) assertRestError((wrong = await wrongTry()), 401, 'invalid_credentials');
    const locked = await wrongTry();
    assertRestError(locked, 429, 'rate_limited');
    assertLockedLike(locked, wrong);
    // Locked out of logging in too: the account is one throttle.
    assertRestError(await api(app.url, '/api/user/session/create', { body: { username: 'alice', password } }), 429, 'rate_limited');
    const admin = await signUpAdmin(app);
    const unlocked = await rpc(app, { method: 'unlock_user', authToken: admin.cookie, user: 'alice' });
    assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
    assert.equal((await api(app.url, '/api/user/session/create', { body: { username: 'alice', password } })).status, 200);
  });

  test('DELETE /api/user/delete and DELETE /api/user/totp count too', async () => {
    const bob = await signUp(app, 'bob');
    for (let n = 0; n < freeFailures; n++) {
      assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: bob.cookie, body: { password: 'wrong password' } }), 401, 'invalid_credentials');
    }
    assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: bob.cookie, body: { password } }), 429, 'rate_limited');

    const carol = await signUp(app, 'carol');
    await enrolTotp(app, carol.userId);
    const wrongCode = totpCode('JBSWY3DPEHPK3PXP', app.clock.now() + 10 * 60_000);
    for (let n = 0; n < freeFailures; n++) {
      const response = await api(app.url, '/api/user/totp', { method: 'DELETE', cookie: carol.cookie, body: { code: wrongCode } });
      assertRestError(response, 401, 'invalid_credentials');
    }
    assertRestError(await api(app.url, '/api/user/totp', { method: 'DELETE', cookie: carol.cookie, body: { password } }), 429, 'rate_limited');
    app.clock.advance(60 * 60_000);
  });

  test("v2 RequestAccountPasswordUpdate's old_password: 429 in the v2 framing", async () => {
    const user = await member(app);
    const wrongTry = () => v2(app, 'RequestAccountPasswordUpdate', { old_password: 'wrong password', new_password: 'a brand new passphrase' }, { token: user.token });
    let wrong!: ApiResponse;
    for (let n = 0; n < freeFailures; n++) assertV2Error((wrong = await wrongTry()), 401, 'invalid_credentials');
    const locked = await wrongTry();
    assertV2Error(locked, 429, 'rate_limited');
    assertLockedLike(locked, wrong);
    app.clock.advance(60 * 60_000);
  });

  test('reset requests: a quota per account name, the same for unknown names', async () => {
    await signUp(app, 'dave');
    for (const username of ['dave', 'nobody-here']) {
      for (let n = 0; n < defaultThrottleRules.resetRequestsPerName; n++) assert.equal((await v2(app, 'RequestAccountReset', { username })).status, 200);
      assertV2Error(await v2(app, 'RequestAccountReset', { username }), 429, 'rate_limited');
    }
    app.clock.advance(defaultThrottleRules.resetRequestWindowMs);
    assert.equal((await v2(app, 'RequestAccountReset', { username: 'dave' })).status, 200);
  });

  test('refused service keys: a few audit rows with a count, then 429 for the address', async () => {
    const audited = await countRows(app, 'audit_events');
    const refuse = () => api(app.url, '/sessions/get_sessions', { body: {}, bearer: 'not-a-key' });
    for (let n = 0; n < 20; n++) assert.equal((await refuse()).status, 401);
    const rows = (await countRows(app, 'audit_events')) - audited;
    assert.ok(rows >= 1 && rows <= 10, `${rows} audit rows for 20 refusals`);
    const limited = await refuse();
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.body.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // The next minute's first row says how many went unrecorded.
    app.clock.advance(60_000);
    await refuse();
    const rejections = await app.core.store.kysely.selectFrom('audit_events').select('details').where('type', '=', 'service_key.rejected').execute();
    const unrecorded = rejections.map((row) => JSON.parse(row.details ?? '{}').unrecorded_before).filter((n) => n !== undefined);
    assert.deepEqual(unrecorded, [21 - rows]);
  });
});
