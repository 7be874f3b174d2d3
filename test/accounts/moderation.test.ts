// Moderation closes sessions with the status change, and login honours the new status.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymous, type RequestContext } from '../../src/core/context.js';
import { GatehouseError } from '../../src/core/errors.js';
import { ModerationService } from '../../src/accounts/moderation.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';

describe('moderation', () => {
  let app: TestApp;
  let moderation: ModerationService;
  let ctx: RequestContext;

  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
    moderation = new ModerationService(app.core.store, app.core.sessions, app.core.audit);
    ctx = { database: 'main', caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock };
  });
  after(() => app.close());

  const validate = (cookie: string) => api(app.url, '/api/user/session/validate', { cookie });
  const login = (username: string) => api(app.url, '/api/user/session/create', { body: { username, password } });

  test('suspending closes every session at once and blocks login until reinstated', async () => {
    const { userId, cookie } = await signUp(app, 'suspendme');
    const second = await login('suspendme');
    await moderation.suspend(ctx, userId);
    assert.equal((await validate(cookie)).status, 401);
    assert.equal((await validate(second.headers.get('set-cookie')!.split(';')[0]!.slice(4))).status, 401);
    assert.deepEqual(await app.core.store.sessions.listActiveForUser('main', userId), []);
    const refused = await login('suspendme');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'account_suspended');
    await moderation.reinstate(ctx, userId);
    assert.equal((await login('suspendme')).status, 200);
    const events = (await app.core.store.audit.listForTarget('main', userId, 20)).map((e) => e.type);
    assert.ok(events.includes('account.suspended') && events.includes('account.reinstated'));
  });

  test('a timed ban closes sessions, refuses login until it ends, then lifts itself', async () => {
    const { userId, cookie } = await signUp(app, 'banme');
    await moderation.ban(ctx, userId, app.clock.now() + 60_000);
    assert.equal((await validate(cookie)).status, 401);
    const refused = await login('banme');
    assert.equal(refused.body.error.code, 'account_banned');
    app.clock.advance(60_001);
    assert.equal((await login('banme')).status, 200);
    assert.equal((await app.core.store.users.findById('main', userId))?.status, 'active');
  });

  test('a permanent ban holds until unbanned; a ban in the past is refused', async () => {
    const { userId } = await signUp(app, 'banforever');
    await assert.rejects(moderation.ban(ctx, userId, app.clock.now() - 1), (err: GatehouseError) => err.code === 'validation_failed');
    await moderation.ban(ctx, userId, null);
    app.clock.advance(365 * 86_400_000);
    assert.equal((await login('banforever')).body.error.code, 'account_banned');
    await moderation.unban(ctx, userId);
    assert.equal((await login('banforever')).status, 200);
  });

  test('moderating an unknown user is not_found and changes nothing', async () => {
    await assert.rejects(moderation.suspend(ctx, 'no-such-user'), (err: GatehouseError) => err.code === 'not_found');
  });
});
