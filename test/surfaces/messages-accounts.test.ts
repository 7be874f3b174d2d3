// The account messages over HTTP, v1 and v2: login tokens (roles, ttl, TOTP), creation
// with roles, account data, renaming, deletion, name look-up, privileges, invalidation and
// refresh — each with its permission boundaries and catalog errors in the framing's envelope.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { totpCode } from '../support/admin.js';
import { api, password, startApp, type TestApp } from '../support/harness.js';
import { assertV1Error, assertV1Success, assertV2Error, assertV2Success, member, v1, v2 } from '../support/messages.js';
import { countRows } from '../support/rest.js';

describe('account messages', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
  });
  after(() => app.close());

  describe('RequestAccountCreate', () => {
    test('v2 answers 201 with {user_id, created_at}; v1 answers status_code 201 with the document’s user-id', async () => {
      const created = assertV2Success(await v2(app, 'RequestAccountCreate', { username: 'carol', user_email: 'Carol@Example.com', password }), 201);
      assert.deepEqual(Object.keys(created).sort(), ['created_at', 'user_id']);
      assert.equal((await app.core.store.users.findById('main', created.user_id))?.email, 'carol@example.com');
      const v1Created = assertV1Success(await v1(app, 'RequestAccountCreate', { username: 'dave', 'user-email': 'dave@example.com', password }), 201);
      assert.deepEqual(Object.keys(v1Created).sort(), ['created_at', 'user-id']);
      assert.equal((await app.core.store.users.findById('main', v1Created['user-id']))?.username, 'dave');
    });

    test('a taken username or email is a conflict; a short password is validation_failed; nothing is written', async () => {
      const users = await countRows(app, 'users');
      assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'CAROL', user_email: 'new@example.com', password }), 409, 'username_taken');
      assertV1Error(await v1(app, 'RequestAccountCreate', { username: 'newname', 'user-email': 'carol@example.com', password }), 409, 'email_taken');
      assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'short', user_email: 'short@example.com', password: 'short' }), 400, 'validation_failed');
      assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'norole', user_email: 'norole@example.com', password, role: 'root' }), 400, 'validation_failed');
      assert.equal(await countRows(app, 'users'), users);
    });

    test('a role above user needs an administrator with a second factor', async () => {
      const body = (username: string, role: string) => ({ username, user_email: `${username}@example.com`, password, role });
      assertV2Error(await v2(app, 'RequestAccountCreate', body('mod1', 'moderator')), 403, 'forbidden');
      const user = await member(app);
      assertV2Error(await v2(app, 'RequestAccountCreate', body('mod2', 'moderator'), { token: user.token }), 403, 'forbidden');
      const moderator = await member(app, 'moderator');
      assertV1Error(await v1(app, 'RequestAccountCreate', { username: 'mod3', 'user-email': 'mod3@example.com', password, role: 'admin' }, { token: moderator.token }), 403, 'forbidden');
      const plainAdmin = await member(app, 'admin', { withoutTotp: true });
      assertV2Error(await v2(app, 'RequestAccountCreate', body('mod4', 'moderator'), { token: plainAdmin.token }), 401, 'mfa_required');
      const admin = await member(app, 'admin');
      const created = assertV2Success(await v2(app, 'RequestAccountCreate', body('mod5', 'moderator'), { token: admin.token }), 201);
      assert.equal((await app.core.store.users.findById('main', created.user_id))?.role, 'moderator');
      assert.equal(await app.core.store.users.findByUsernameKey('main', 'mod1'), undefined);
    });
  });

  describe('RequestLoginToken', () => {
    test('a JWT for a new session, in both framings; a wrong password or unknown user is invalid_credentials', async () => {
      const user = await member(app);
      const claims = decodeJwt(user.token);
      assert.deepEqual([claims.sub, claims.db, claims.role], [user.userId, 'main', 'user']);
      const v1Token = assertV1Success<string>(await v1(app, 'RequestLoginToken', { username: user.username, password }));
      assert.notEqual(decodeJwt(v1Token).sid, claims.sid);
      assertV2Error(await v2(app, 'RequestLoginToken', { username: user.username, password: 'wrong password!' }), 401, 'invalid_credentials');
      assertV1Error(await v1(app, 'RequestLoginToken', { username: 'nobody-here', password }), 401, 'invalid_credentials');
      assertV2Error(await v2(app, 'RequestLoginToken', { username: user.username }), 400, 'validation_failed');
    });

    test('ttl in ms is honoured and clamped to TOKEN_TTL_MAX', async () => {
      const user = await member(app);
      const short = decodeJwt(assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: user.username, password, ttl: 60_000 })));
      assert.equal(short.exp! - short.iat!, 60);
      const long = decodeJwt(assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: user.username, password, ttl: 30 * 86_400_000 })));
      assert.equal(long.exp! - long.iat!, 3 * 3600, 'clamped to 3 h');
      assertV2Error(await v2(app, 'RequestLoginToken', { username: user.username, password, ttl: '60000' }), 400, 'validation_failed');
    });

    test('a role above the user’s is forbidden and opens no session; a lower role limits the token', async () => {
      const user = await member(app);
      const sessions = await countRows(app, 'sessions');
      assertV2Error(await v2(app, 'RequestLoginToken', { username: user.username, password, role: 'admin' }), 403, 'forbidden');
      assert.equal(await countRows(app, 'sessions'), sessions);
      const moderator = await member(app, 'moderator');
      assertV2Success(await v2(app, 'RequestAllFlagged', {}, { token: moderator.token }));
      const limited = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: moderator.username, password, role: 'user' }));
      assert.equal(decodeJwt(limited).role, 'user');
      assertV2Error(await v2(app, 'RequestAllFlagged', {}, { token: limited }), 403, 'forbidden');
      assert.equal(decodeJwt(assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: moderator.username, password, role: 'moderator' }))).role, 'moderator');
    });

    test('an account with TOTP needs the code (mfa_required), and a wrong one is invalid_credentials', async () => {
      const admin = await member(app, 'admin');
      assertV2Error(await v2(app, 'RequestLoginToken', { username: admin.username, password }), 401, 'mfa_required');
      assertV1Error(await v1(app, 'RequestLoginToken', { username: admin.username, password, totp: '000000' }), 401, 'invalid_credentials');
      const token = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: admin.username, password, totp: totpCode(admin.secret!, app.clock.now()) }));
      assert.equal(decodeJwt(token).role, 'admin');
      app.clock.advance(30_000);
    });
  });

  describe('RequestAccountData and RequestUsername', () => {
    test('own data in each framing’s names; another’s only for moderators and administrators', async () => {
      const user = await member(app);
      const other = await member(app);
      const own = assertV2Success(await v2(app, 'RequestAccountData', {}, { token: user.token }));
      assert.deepEqual(Object.keys(own).sort(), ['created_at', 'last_login', 'role', 'updated_at', 'user_email', 'username']);
      assert.equal(own.user_email, `${user.username}@example.com`);
      const v1Own = assertV1Success(await v1(app, 'RequestAccountData', {}, { token: user.token }));
      assert.deepEqual(Object.keys(v1Own).sort(), ['created_at', 'last-login', 'role', 'updated_at', 'user-email', 'username']);
      assertV2Error(await v2(app, 'RequestAccountData', { user_id: other.userId }, { token: user.token }), 403, 'forbidden');
      assertV1Error(await v1(app, 'RequestAccountData', { 'user-id': other.userId }, { token: user.token }), 403, 'forbidden');
      const moderator = await member(app, 'moderator');
      assert.equal(assertV1Success(await v1(app, 'RequestAccountData', { 'user-id': other.userId }, { token: moderator.token })).username, other.username);
      assertV2Error(await v2(app, 'RequestAccountData', { user_id: 'no-such-user' }, { token: moderator.token }), 404, 'not_found');
      assertV2Error(await v2(app, 'RequestAccountData', {}), 401, 'unauthenticated');
    });

    test('RequestUsername: any signed-in user; anonymous is unauthenticated; unknown is not_found', async () => {
      const user = await member(app);
      const other = await member(app);
      assert.deepEqual(assertV2Success(await v2(app, 'RequestUsername', { user_id: other.userId }, { token: user.token })), { username: other.username });
      assert.deepEqual(assertV1Success(await v1(app, 'RequestUsername', { 'user-id': other.userId }, { token: user.token })), { username: other.username });
      assertV2Error(await v2(app, 'RequestUsername', { user_id: other.userId }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestUsername', { user_id: 'missing' }, { token: user.token }), 404, 'not_found');
      assertV2Error(await v2(app, 'RequestUsername', {}, { token: user.token }), 400, 'validation_failed');
    });
  });

  describe('UpdateAccount', () => {
    test('sets username and email together; both are required; a taken name is a conflict and changes nothing', async () => {
      const user = await member(app);
      const other = await member(app);
      const updated = assertV2Success(await v2(app, 'UpdateAccount', { username: `${user.username}x`, user_email: 'renamed@example.com' }, { token: user.token }));
      assert.deepEqual([updated.username, updated.user_email, typeof updated.updated_at], [`${user.username}x`, 'renamed@example.com', 'string']);
      assertV1Success(await v1(app, 'UpdateAccount', { username: `${user.username}y`, 'user-email': 'renamed@example.com' }, { token: user.token }));
      assertV2Error(await v2(app, 'UpdateAccount', { username: 'only-name' }, { token: user.token }), 400, 'validation_failed');
      assertV2Error(await v2(app, 'UpdateAccount', { username: other.username, user_email: 'another@example.com' }, { token: user.token }), 409, 'username_taken');
      const stored = await app.core.store.users.findById('main', user.userId);
      assert.deepEqual([stored?.username, stored?.email], [`${user.username}y`, 'renamed@example.com']);
      assertV2Error(await v2(app, 'UpdateAccount', { username: 'x', user_email: 'y' }), 401, 'unauthenticated');
    });
  });

  describe('RequestAccountDelete', () => {
    test('own account with the token alone; the name becomes free', async () => {
      const user = await member(app);
      assert.equal(assertV2Success(await v2(app, 'RequestAccountDelete', {}, { token: user.token })), null);
      assert.equal(await app.core.store.users.findById('main', user.userId), undefined);
      assertV2Error(await v2(app, 'RequestAccountData', {}, { token: user.token }), 401, 'unauthenticated');
      assertV2Success(await v2(app, 'RequestAccountCreate', { username: user.username, user_email: `${user.username}@example.com`, password }), 201);
    });

    test('another’s account: users and moderators are forbidden, an administrator needs TOTP', async () => {
      const target = await member(app);
      const user = await member(app);
      const moderator = await member(app, 'moderator');
      const plainAdmin = await member(app, 'admin', { withoutTotp: true });
      const admin = await member(app, 'admin');
      assertV2Error(await v2(app, 'RequestAccountDelete', { user_id: target.userId }, { token: user.token }), 403, 'forbidden');
      assertV1Error(await v1(app, 'RequestAccountDelete', { 'user-id': target.userId }, { token: moderator.token }), 403, 'forbidden');
      assertV2Error(await v2(app, 'RequestAccountDelete', { user_id: target.userId }, { token: plainAdmin.token }), 401, 'mfa_required');
      assert.ok(await app.core.store.users.findById('main', target.userId), 'nothing deleted yet');
      assertV2Error(await v2(app, 'RequestAccountDelete', { user_id: 'missing' }, { token: admin.token }), 404, 'not_found');
      assertV1Success(await v1(app, 'RequestAccountDelete', { 'user-id': target.userId }, { token: admin.token }));
      assert.equal(await app.core.store.users.findById('main', target.userId), undefined);
    });
  });

  describe('UpdateAccountPrivileges', () => {
    test('an administrator with TOTP sets role and privileges; they apply at once, up to the role a token was issued for', async () => {
      const admin = await member(app, 'admin');
      const target = await member(app);
      assertV2Error(await v2(app, 'RequestAllFlagged', {}, { token: target.token }), 403, 'forbidden');
      assert.equal(assertV2Success(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId, new_privileges: ['flags.review'] }, { token: admin.token })), null);
      assertV2Success(await v2(app, 'RequestAllFlagged', {}, { token: target.token }));
      assertV1Success(await v1(app, 'UpdateAccountPrivileges', { 'user-id': target.userId, new_role: 'moderator', 'new-privileges': [] }, { token: admin.token }));
      const stored = await app.core.store.users.findById('main', target.userId);
      assert.deepEqual([stored?.role, stored?.privileges], ['moderator', []]);
      // The old token was issued for role user: the privilege is gone and it stays a user's token.
      assertV2Error(await v2(app, 'RequestAllFlagged', {}, { token: target.token }), 403, 'forbidden');
      assert.equal((await api(app.url, '/api/user/permissions', { bearer: target.token })).body.data.role, 'user');
      const promoted = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: target.username, password }));
      assert.equal((await api(app.url, '/api/user/permissions', { bearer: promoted })).body.data.role, 'moderator');
      assertV2Success(await v2(app, 'RequestAllFlagged', {}, { token: promoted }));
      const events = await app.core.store.audit.listForTarget('main', target.userId, 20);
      assert.equal(events.filter((e) => e.type === 'account.role_changed').length, 2);
    });

    test('refused: unknown permission names, nothing to change, unknown users, non-administrators, no TOTP', async () => {
      const admin = await member(app, 'admin');
      const target = await member(app);
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId, new_privileges: ['everything'] }, { token: admin.token }), 400, 'validation_failed');
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId }, { token: admin.token }), 400, 'validation_failed');
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: 'missing', new_role: 'moderator' }, { token: admin.token }), 404, 'not_found');
      const moderator = await member(app, 'moderator');
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId, new_role: 'admin' }, { token: moderator.token }), 403, 'forbidden');
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId, new_role: 'admin' }, { token: target.token }), 403, 'forbidden');
      const plainAdmin = await member(app, 'admin', { withoutTotp: true });
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId, new_role: 'admin' }, { token: plainAdmin.token }), 401, 'mfa_required');
      assertV2Error(await v2(app, 'UpdateAccountPrivileges', { user_id: target.userId, new_role: 'admin' }), 401, 'unauthenticated');
      assert.equal((await app.core.store.users.findById('main', target.userId))?.role, 'user');
    });
  });

  describe('RequestInvalidateLoginToken and RequestTokenRefresh', () => {
    test('v1 puts invalidated_at at the top level too; the token’s session is closed', async () => {
      const user = await member(app);
      const response = await v1(app, 'RequestInvalidateLoginToken', {}, { token: user.token });
      const data = assertV1Success(response);
      assert.equal(response.body.invalidated_at, data.invalidated_at);
      assert.equal(data.invalidated_at, new Date(app.clock.now()).toISOString());
      assertV1Error(await v1(app, 'RequestInvalidateLoginToken', {}, { token: user.token }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestAccountData', {}, { token: user.token }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestInvalidateLoginToken'), 401, 'unauthenticated');
    });

    test('refresh gives a new token of the same session, never past its end; it dies with the session', async () => {
      const user = await member(app);
      app.clock.advance(60_000);
      const refreshed = assertV2Success<string>(await v2(app, 'RequestTokenRefresh', {}, { token: user.token }));
      assert.notEqual(refreshed, user.token);
      assert.equal(decodeJwt(refreshed).sid, decodeJwt(user.token).sid);
      const v1Refreshed = assertV1Success<string>(await v1(app, 'RequestTokenRefresh', { ttl: 10 * 86_400_000 }, { token: refreshed }));
      const session = await app.core.store.sessions.findById('main', decodeJwt(refreshed).sid as string);
      assert.ok(decodeJwt(v1Refreshed).exp! * 1000 <= session!.expiresAt);
      assertV2Success(await v2(app, 'RequestInvalidateLoginToken', {}, { headers: { authorization: `Bearer ${v1Refreshed}` } }));
      assertV2Error(await v2(app, 'RequestTokenRefresh', {}, { token: user.token }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestTokenRefresh'), 401, 'unauthenticated');
    });
  });
});
