// Moderation through the account messages: temporary and permanent bans (sessions closed,
// logins refused on every surface, a temporary ban lifting itself), unban, flags counted
// once per reporter, the flagged list, and flags leaving with a deleted account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, password, startApp, type TestApp } from '../support/harness.js';
import { assertRestError } from '../support/rest.js';
import { assertV1Error, assertV1Success, assertV2Error, assertV2Success, member, v1, v2 } from '../support/messages.js';

const HOUR = 3_600_000;

describe('moderation messages', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
  });
  after(() => app.close());

  const events = async (userId: string) => (await app.core.store.audit.listForTarget('main', userId, 50)).map((e) => e.type);

  describe('RequestBanUser and RequestUnbanUser', () => {
    test('a ban without until lasts 24 h: sessions close, logins are refused everywhere, then it lifts itself', async () => {
      const moderator = await member(app, 'moderator');
      const target = await member(app);
      assert.equal(assertV2Success(await v2(app, 'RequestBanUser', { user_id: target.userId }, { token: moderator.token })), null);
      const stored = await app.core.store.users.findById('main', target.userId);
      assert.deepEqual([stored?.status, stored?.banUntil], ['banned', app.clock.now() + 24 * HOUR]);
      assertV2Error(await v2(app, 'RequestAccountData', {}, { token: target.token }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestLoginToken', { username: target.username, password }), 403, 'account_banned');
      assertV1Error(await v1(app, 'RequestLoginToken', { username: target.username, password }), 403, 'account_banned');
      assertRestError(await api(app.url, '/api/user/session/create', { body: { username: target.username, password } }), 403, 'account_banned');
      app.clock.advance(24 * HOUR + 1000);
      assertV2Success(await v2(app, 'RequestLoginToken', { username: target.username, password }));
      assert.equal((await app.core.store.users.findById('main', target.userId))?.status, 'active');
      assert.ok((await events(target.userId)).includes('account.banned'));
    });

    test('a permanent ban and a ban until a given time; unban lets the user in again', async () => {
      const moderator = await member(app, 'moderator');
      const target = await member(app);
      assertV1Success(await v1(app, 'RequestBanUser', { 'user-id': target.userId, permanent: true }, { token: moderator.token }));
      assert.equal((await app.core.store.users.findById('main', target.userId))?.banUntil, null);
      app.clock.advance(400 * 24 * HOUR);
      assertV2Error(await v2(app, 'RequestLoginToken', { username: target.username, password }), 403, 'account_banned');
      // A year on, the moderator needs a new token too.
      const token = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: moderator.username, password }));
      assertV2Success(await v2(app, 'RequestUnbanUser', { user_id: target.userId }, { token }));
      assertV2Success(await v2(app, 'RequestLoginToken', { username: target.username, password }));
      const until = new Date(app.clock.now() + 2 * HOUR).toISOString();
      assertV2Success(await v2(app, 'RequestBanUser', { user_id: target.userId, until }, { token }));
      assert.equal((await app.core.store.users.findById('main', target.userId))?.banUntil, Date.parse(until));
      assert.deepEqual((await events(target.userId)).filter((t) => t.startsWith('account.')).slice(0, 3), ['account.banned', 'account.unbanned', 'account.banned']);
    });

    test('bad input: until in the past or not a time, until with permanent, unknown users, unbanning an unbanned account', async () => {
      const moderator = await member(app, 'moderator');
      const target = await member(app);
      const ban = (body: Record<string, unknown>) => v2(app, 'RequestBanUser', { user_id: target.userId, ...body }, { token: moderator.token });
      assertV2Error(await ban({ until: new Date(app.clock.now() - 1000).toISOString() }), 400, 'validation_failed');
      assertV2Error(await ban({ until: 'tomorrow' }), 400, 'validation_failed');
      assertV2Error(await ban({ permanent: true, until: new Date(app.clock.now() + HOUR).toISOString() }), 400, 'validation_failed');
      assertV2Error(await ban({ permanent: 'yes' }), 400, 'validation_failed');
      assertV2Error(await v2(app, 'RequestBanUser', { user_id: 'missing' }, { token: moderator.token }), 404, 'not_found');
      assertV2Error(await v2(app, 'RequestUnbanUser', { user_id: target.userId }, { token: moderator.token }), 409, 'conflict');
      assert.equal((await app.core.store.users.findById('main', target.userId))?.status, 'active');
    });

    test('who may ban: not users or strangers, not oneself; moderators only users; administrators anyone else', async () => {
      const user = await member(app);
      const target = await member(app);
      const moderator = await member(app, 'moderator');
      const otherModerator = await member(app, 'moderator');
      const admin = await member(app, 'admin');
      assertV2Error(await v2(app, 'RequestBanUser', { user_id: target.userId }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestBanUser', { user_id: target.userId }, { token: user.token }), 403, 'forbidden');
      assertV1Error(await v1(app, 'RequestUnbanUser', { 'user-id': target.userId }, { token: user.token }), 403, 'forbidden');
      assertV2Error(await v2(app, 'RequestBanUser', { user_id: moderator.userId }, { token: moderator.token }), 403, 'forbidden');
      assertV2Error(await v2(app, 'RequestBanUser', { user_id: otherModerator.userId }, { token: moderator.token }), 403, 'forbidden');
      assertV2Error(await v2(app, 'RequestBanUser', { user_id: admin.userId }, { token: moderator.token }), 403, 'forbidden');
      assert.equal((await app.core.store.users.findById('main', otherModerator.userId))?.status, 'active');
      assertV2Success(await v2(app, 'RequestBanUser', { user_id: otherModerator.userId }, { token: admin.token }));
      assertV2Success(await v2(app, 'RequestUnbanUser', { user_id: otherModerator.userId }, { token: admin.token }));
    });
  });

  describe('RequestFlagUser and RequestAllFlagged', () => {
    test('a reporter counts once; reasons are listed; the list is for moderators', async () => {
      const target = await member(app);
      const alice = await member(app);
      const bob = await member(app);
      const moderator = await member(app, 'moderator');
      assertV2Success(await v2(app, 'RequestFlagUser', { user_id: target.userId, reason: 'spam' }, { token: alice.token }));
      assertV2Success(await v2(app, 'RequestFlagUser', { user_id: target.userId, reason: 'spam' }, { token: alice.token }));
      app.clock.advance(1000);
      assertV1Success(await v1(app, 'RequestFlagUser', { 'user-id': target.userId, reason: 'rude' }, { token: bob.token }));
      const { users } = assertV2Success(await v2(app, 'RequestAllFlagged', {}, { token: moderator.token }));
      const entry = users.find((u: { user_id: string }) => u.user_id === target.userId);
      assert.deepEqual(entry, { user_id: target.userId, username: target.username, flags: 2, reasons: ['spam', 'rude'], last_flagged_at: new Date(app.clock.now()).toISOString() });
      assert.equal(users[0].user_id, target.userId, 'most recently flagged first');
      assert.equal((await app.core.store.users.findById('main', target.userId))?.flagged, true);
      assertV2Error(await v2(app, 'RequestAllFlagged', {}, { token: alice.token }), 403, 'forbidden');
      assertV1Error(await v1(app, 'RequestAllFlagged'), 401, 'unauthenticated');
      assert.ok((await events(target.userId)).includes('account.flagged'));
    });

    test('flagging: oneself is refused, an unknown account is not_found, a stranger is unauthenticated, a long reason is refused', async () => {
      const user = await member(app);
      const target = await member(app);
      assertV2Error(await v2(app, 'RequestFlagUser', { user_id: user.userId }, { token: user.token }), 400, 'validation_failed');
      assertV2Error(await v2(app, 'RequestFlagUser', { user_id: 'missing' }, { token: user.token }), 404, 'not_found');
      assertV2Error(await v2(app, 'RequestFlagUser', { user_id: target.userId }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestFlagUser', { user_id: target.userId, reason: 'x'.repeat(501) }, { token: user.token }), 400, 'validation_failed');
      assert.deepEqual(await app.core.store.flags.listForUser('main', target.userId), []);
    });

    test('deleting an account removes the flags about it and the flags it made', async () => {
      const target = await member(app);
      const reporter = await member(app);
      const other = await member(app);
      const admin = await member(app, 'admin');
      assertV2Success(await v2(app, 'RequestFlagUser', { user_id: target.userId }, { token: reporter.token }));
      assertV2Success(await v2(app, 'RequestFlagUser', { user_id: other.userId }, { token: reporter.token }));
      assertV2Success(await v2(app, 'RequestFlagUser', { user_id: reporter.userId }, { token: other.token }));
      assertV2Success(await v2(app, 'RequestAccountDelete', { user_id: reporter.userId }, { token: admin.token }));
      const { users } = assertV2Success(await v2(app, 'RequestAllFlagged', {}, { token: admin.token }));
      const ids = users.map((u: { user_id: string }) => u.user_id);
      for (const gone of [target.userId, other.userId, reporter.userId]) assert.ok(!ids.includes(gone));
    });
  });
});
