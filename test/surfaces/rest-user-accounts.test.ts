// REST user API, accounts: register, profile, permissions, self-service update and
// deletion, over real HTTP against a real core with a fake clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, password, sidFrom, signUp, startApp, type TestApp } from '../support/harness.js';
import { assertCookieCleared, assertRestError, assertRestSuccess, countRows } from '../support/rest.js';

const register = (app: TestApp, body: Record<string, unknown>) => api(app.url, '/api/user/register', { body });
const login = (app: TestApp, body: Record<string, unknown>) => api(app.url, '/api/user/session/create', { body });
const update = (app: TestApp, cookie: string, body: unknown) => api(app.url, '/api/user/update', { method: 'PATCH', cookie, body });
const profile = (app: TestApp, cookie: string) => api(app.url, '/api/user', { cookie });

describe('POST /api/user/register', () => {
  let app: TestApp;
  before(async () => (app = await startApp()));
  after(() => app.close());

  test('answers 201 with exactly user_id, username, email and created_at', async () => {
    const response = await register(app, { username: 'reg.shape', email: 'reg.shape@example.com', password, full_name: 'Reg Shape' });
    const data = assertRestSuccess(response, 201);
    assert.deepEqual(Object.keys(data).sort(), ['created_at', 'email', 'user_id', 'username']);
    assert.equal(data.username, 'reg.shape');
    assert.equal(data.email, 'reg.shape@example.com');
    assert.equal(data.created_at, new Date(app.clock.now()).toISOString());
    const stored = await app.core.store.users.findById('main', data.user_id);
    assert.equal(stored?.fullName, 'Reg Shape');
    assert.equal(stored?.role, 'user');
    assert.notEqual(stored?.passwordHash, password);
  });

  test('usernames are NFKC-normalised and unique case-insensitively', async () => {
    // Full-width letters normalise to ASCII under NFKC.
    const data = assertRestSuccess(await register(app, { username: 'Ｎｆｋｃ_Name', email: 'nfkc1@example.com', password }), 201);
    assert.equal(data.username, 'Nfkc_Name');
    for (const taken of ['nfkc_name', 'NFKC_NAME', 'ｎｆｋｃ_ｎａｍｅ']) {
      assertRestError(await register(app, { username: taken, email: `other-${taken.length}@example.com`, password }), 409, 'username_taken');
    }
  });

  test('emails are trimmed, lower-cased and unique', async () => {
    const data = assertRestSuccess(await register(app, { username: 'mail.case', email: '  Mail.Case@Example.COM ', password }), 201);
    assert.equal(data.email, 'mail.case@example.com');
    assertRestError(await register(app, { username: 'mail.case2', email: 'mail.case@example.com', password }), 409, 'email_taken');
    assertRestError(await register(app, { username: 'mail.case3', email: 'MAIL.CASE@example.com ', password }), 409, 'email_taken');
  });

  test('refuses usernames, emails, passwords and full names of the wrong shape, writing nothing', async () => {
    const users = await countRows(app, 'users');
    const bad: Array<Record<string, unknown>> = [
      { username: 'ab', email: 'b1@example.com', password },
      { username: 'a'.repeat(65), email: 'b2@example.com', password },
      { username: 'has space', email: 'b3@example.com', password },
      { username: 'semi;colon', email: 'b4@example.com', password },
      { username: 'bad.email', email: 'not-an-email', password },
      { username: 'bad.email2', email: `${'x'.repeat(250)}@example.com`, password },
      { username: 'short.pw', email: 'b5@example.com', password: '1234567' },
      { username: 'long.pw', email: 'b6@example.com', password: 'p'.repeat(257) },
      { username: 'long.name', email: 'b7@example.com', password, full_name: 'n'.repeat(257) },
    ];
    for (const body of bad) assertRestError(await register(app, body), 400, 'validation_failed');
    assert.equal(await countRows(app, 'users'), users);
  });

  test('accepts the boundary lengths: 3 and 64 character usernames, 8 and 256 character passwords', async () => {
    assertRestSuccess(await register(app, { username: 'abc', email: 'len1@example.com', password: 'tq7#vm2x' }), 201);
    assertRestSuccess(await register(app, { username: 'b'.repeat(64), email: 'len2@example.com', password: 'p'.repeat(256) }), 201);
    // Length counts characters, not UTF-16 units: eight emoji are eight characters.
    assertRestSuccess(await register(app, { username: 'emoji.pw', email: 'len3@example.com', password: '😀'.repeat(8) }), 201);
    assertRestSuccess(await login(app, { username: 'emoji.pw', password: '😀'.repeat(8) }));
  });
});

describe('GET /api/user and /api/user/permissions', () => {
  let app: TestApp;
  before(async () => (app = await startApp()));
  after(() => app.close());

  test('GET /api/user returns the caller with the documented fields', async () => {
    const alice = await signUp(app, 'profile.alice');
    const data = assertRestSuccess(await profile(app, alice.cookie));
    assert.deepEqual(Object.keys(data).sort(), ['created_at', 'email', 'full_name', 'last_login', 'role', 'status', 'updated_at', 'user_id', 'username']);
    const now = new Date(app.clock.now()).toISOString();
    assert.deepEqual(data, {
      user_id: alice.userId,
      username: 'profile.alice',
      email: 'profile.alice@example.com',
      full_name: null,
      role: 'user',
      status: 'active',
      last_login: now,
      created_at: now,
      updated_at: now,
    });
  });

  test('GET /api/user without a session is unauthenticated', async () => {
    assertRestError(await api(app.url, '/api/user'), 401, 'unauthenticated');
    assertRestError(await profile(app, 'not-a-session-token'), 401, 'unauthenticated');
  });

  test('a user has the permissions of the user role', async () => {
    const bob = await signUp(app, 'perm.bob');
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/permissions', { cookie: bob.cookie })), {
      role: 'user',
      permissions: ['account.self', 'sessions.self'],
    });
  });

  test('privileges add to the role and a role change shows on the next request', async () => {
    const carol = await signUp(app, 'perm.carol');
    await app.core.store.users.update('main', carol.userId, { privileges: ['accounts.read'] });
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/permissions', { cookie: carol.cookie })).permissions, ['account.self', 'sessions.self', 'accounts.read']);
    await app.core.store.users.update('main', carol.userId, { role: 'moderator', privileges: [] });
    const data = assertRestSuccess(await api(app.url, '/api/user/permissions', { cookie: carol.cookie }));
    assert.equal(data.role, 'moderator');
    assert.deepEqual(data.permissions, ['account.self', 'sessions.self', 'accounts.read', 'flags.review', 'accounts.ban']);
  });
});

describe('PATCH /api/user/update', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  test('changes the username; the new name logs in and the old one is free', async () => {
    const user = await signUp(app, 'rename.me');
    app.clock.advance(1000);
    const data = assertRestSuccess(await update(app, user.cookie, { username: 'Renamed.Me' }));
    assert.equal(data.username, 'Renamed.Me');
    assert.equal(data.updated_at, new Date(app.clock.now()).toISOString());
    assert.equal(assertRestSuccess(await profile(app, user.cookie)).username, 'Renamed.Me');
    assertRestSuccess(await login(app, { username: 'renamed.me', password }));
    assertRestError(await login(app, { username: 'rename.me', password }), 401, 'invalid_credentials');
    assertRestSuccess(await register(app, { username: 'rename.me', email: 'newcomer@example.com', password }), 201);
    // Changing only the case of one's own name is not a clash with oneself.
    assert.equal(assertRestSuccess(await update(app, user.cookie, { username: 'RENAMED.ME' })).username, 'RENAMED.ME');
  });

  test('changes the email, normalised', async () => {
    const user = await signUp(app, 'email.change');
    assert.equal(assertRestSuccess(await update(app, user.cookie, { email: ' New.Address@Example.COM' })).email, 'new.address@example.com');
    assertRestSuccess(await login(app, { email: 'new.address@example.com', password }));
  });

  test('sets and clears the full name', async () => {
    const user = await signUp(app, 'full.name');
    assert.equal(assertRestSuccess(await update(app, user.cookie, { full_name: '  Ada Lovelace ' })).full_name, 'Ada Lovelace');
    assert.equal(assertRestSuccess(await update(app, user.cookie, { full_name: null })).full_name, null);
    assert.equal(assertRestSuccess(await profile(app, user.cookie)).full_name, null);
  });

  test('ignores role, status and unknown fields while applying the known ones', async () => {
    const user = await signUp(app, 'no.escalation');
    const data = assertRestSuccess(await update(app, user.cookie, { role: 'admin', status: 'banned', privileges: ['databases.manage'], shoe_size: 44, full_name: 'Still User' }));
    assert.equal(data.role, 'user');
    assert.equal(data.status, 'active');
    assert.equal(data.full_name, 'Still User');
    const stored = await app.core.store.users.findById('main', user.userId);
    assert.equal(stored?.role, 'user');
    assert.deepEqual(stored?.privileges, []);
  });

  test('a taken username refuses the whole update: the valid full name is not written', async () => {
    await signUp(app, 'taken.name');
    const user = await signUp(app, 'wants.name');
    const before = await app.core.store.users.findById('main', user.userId);
    assertRestError(await update(app, user.cookie, { full_name: 'Should Not Land', username: 'TAKEN.name' }), 409, 'username_taken');
    assertRestError(await update(app, user.cookie, { full_name: 'Should Not Land', email: 'taken.name@example.com' }), 409, 'email_taken');
    assertRestError(await update(app, user.cookie, { full_name: 'Should Not Land', username: 'x' }), 400, 'validation_failed');
    assert.deepEqual(await app.core.store.users.findById('main', user.userId), before);
  });

  test('a wrong current password refuses the whole update: the valid email is not written', async () => {
    const user = await signUp(app, 'wrong.current');
    const before = await app.core.store.users.findById('main', user.userId);
    const response = await update(app, user.cookie, { email: 'changed@example.com', password: 'a brand new password', current_password: 'not the password' });
    assertRestError(response, 401, 'invalid_credentials');
    assert.deepEqual(await app.core.store.users.findById('main', user.userId), before);
    assertRestSuccess(await login(app, { username: 'wrong.current', password }));
  });

  test('a new password needs current_password and a valid length', async () => {
    const user = await signUp(app, 'needs.current');
    const before = await app.core.store.users.findById('main', user.userId);
    assertRestError(await update(app, user.cookie, { password: 'a brand new password' }), 400, 'validation_failed');
    assertRestError(await update(app, user.cookie, { password: 'short', current_password: password }), 400, 'validation_failed');
    assert.deepEqual(await app.core.store.users.findById('main', user.userId), before);
  });

  test('a password change keeps the current session, closes the others, and swaps the password', async () => {
    const user = await signUp(app, 'pw.change');
    const other = await login(app, { username: 'pw.change', password });
    assertRestSuccess(other);
    const otherCookie = sidFrom(other.headers)!;
    const stranger = await signUp(app, 'pw.bystander');

    assertRestSuccess(await update(app, user.cookie, { password: 'the new password', current_password: password }));

    assertRestSuccess(await api(app.url, '/api/user/session/validate', { cookie: user.cookie }));
    assertRestError(await api(app.url, '/api/user/session/validate', { cookie: otherCookie }), 401, 'unauthenticated');
    const closed = await app.core.store.sessions.findById('main', other.body.data.session_id);
    assert.equal(closed?.active, false);
    assertRestSuccess(await api(app.url, '/api/user/session/validate', { cookie: stranger.cookie }));

    assertRestError(await login(app, { username: 'pw.change', password }), 401, 'invalid_credentials');
    assertRestSuccess(await login(app, { username: 'pw.change', password: 'the new password' }));
  });
});

describe('DELETE /api/user/delete', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  test('refuses a wrong or missing password and keeps the account', async () => {
    const user = await signUp(app, 'keep.me');
    assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: user.cookie, body: { password: 'not the password' } }), 401, 'invalid_credentials');
    assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: user.cookie, body: {} }), 400, 'validation_failed');
    assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: user.cookie }), 400, 'validation_failed');
    assert.ok(await app.core.store.users.findById('main', user.userId));
    assertRestSuccess(await profile(app, user.cookie));
  });

  test('needs a session', async () => {
    assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', body: { password } }), 401, 'unauthenticated');
  });

  test('removes the user, their sessions and audit records, clears the cookie and frees the name', async () => {
    const user = await signUp(app, 'delete.me');
    const second = await login(app, { username: 'delete.me', password });
    assertRestSuccess(second);
    const bystander = await signUp(app, 'delete.bystander');
    assert.ok((await app.core.store.audit.listForTarget('main', user.userId, 50)).length >= 2);

    const response = await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: user.cookie, body: { password } });
    assert.deepEqual(assertRestSuccess(response), { user_id: user.userId });
    assertCookieCleared(response);

    assert.equal(await app.core.store.users.findById('main', user.userId), undefined);
    assert.equal(await app.core.store.sessions.findById('main', user.sessionId), undefined);
    assert.equal(await app.core.store.sessions.findById('main', second.body.data.session_id), undefined);
    // Only the deletion itself stays on record, by opaque id.
    assert.deepEqual((await app.core.store.audit.listForTarget('main', user.userId, 50)).map((e) => e.type), ['account.deleted']);

    assertRestError(await profile(app, user.cookie), 401, 'unauthenticated');
    assertRestError(await login(app, { username: 'delete.me', password }), 401, 'invalid_credentials');
    assertRestSuccess(await profile(app, bystander.cookie));
    const again = assertRestSuccess(await register(app, { username: 'Delete.Me', email: 'delete.me@example.com', password }), 201);
    assert.notEqual(again.user_id, user.userId);
  });
});
