// Tenant databases across every surface: created, selected and deleted over the RPC;
// nothing of one database is visible or usable from another — accounts, cookies, access
// tokens, service keys, RPC tokens — and deleting a database takes everything in it at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { signUpAdmin, testContext, totpCode } from '../support/admin.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';
import { assertRestError, assertRestSuccess, countRows } from '../support/rest.js';
import { rpc } from '../support/rpc.js';

describe('tenant databases', () => {
  let app: TestApp;
  let authToken: string;
  const inShop = { 'x-database': 'shop' };
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
    authToken = (await signUpAdmin(app, 'root')).cookie;
  });
  after(() => app.close());

  test('create, list, select; names are checked; main cannot be deleted', async () => {
    assert.deepEqual((await rpc(app, { method: 'create_database', authToken, dbname: 'shop' })).body, { status: 'ok' });
    const again = await rpc(app, { method: 'create_database', authToken, dbname: 'shop' });
    assert.deepEqual([again.status, again.body.error.code], [409, 'conflict']);
    const bad = await rpc(app, { method: 'create_database', authToken, dbname: 'Not A Name' });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'validation_failed']);
    assert.deepEqual((await rpc(app, { method: 'list_databases', authToken })).body.databases, ['main', 'shop']);
    const main = await rpc(app, { method: 'delete_database', authToken, dbname: 'main' });
    assert.deepEqual([main.status, main.body.error.code], [403, 'forbidden']);
    const missing = await rpc(app, { method: 'delete_database', authToken, dbname: 'nowhere' });
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'not_found']);
    assert.equal((await rpc(app, { method: 'select_database', authToken, dbname: 'nowhere' })).body.error.code, 'not_found');
  });

  test('nothing crosses: accounts, cookies, access tokens and service keys of one database are useless in the other', async () => {
    const mainUser = await signUp(app, 'dana');
    const shopUser = await signUp(app, 'dana', { email: 'dana@example.com', headers: inShop });
    assert.notEqual(mainUser.userId, shopUser.userId, 'the same name and email in two databases are two accounts');
    assertRestError(await api(app.url, '/api/user', { cookie: mainUser.cookie, headers: inShop }), 401, 'unauthenticated');
    assertRestError(await api(app.url, '/api/user', { cookie: shopUser.cookie }), 401, 'unauthenticated');
    assert.equal(assertRestSuccess(await api(app.url, '/api/user', { cookie: shopUser.cookie, headers: inShop })).user_id, shopUser.userId);
    const shopToken = assertRestSuccess(await api(app.url, '/api/user/token', { method: 'POST', cookie: shopUser.cookie, headers: inShop })).token;
    assertRestError(await api(app.url, '/api/user', { bearer: shopToken }), 401, 'unauthenticated');

    const shopKey = (await new ServiceKeyService(app.core.store, app.core.audit).create(testContext(app, 'shop'), 'shop-key')).key;
    const listed = await api(app.url, '/sessions/get_sessions', { body: {}, bearer: shopKey, headers: inShop });
    assert.deepEqual(listed.body.data.map((s: { user_id: string }) => s.user_id), [shopUser.userId], 'only the shop’s sessions');
    assert.equal((await api(app.url, '/sessions/get_sessions', { body: {}, bearer: shopKey })).status, 401, 'a shop key in main');
    assert.equal((await api(app.url, '/sessions/get_session_by_id', { body: { session_id: mainUser.sessionId }, bearer: shopKey, headers: inShop })).status, 204);

    // The RPC: a session token of the shop validates as the shop's, and is no administrator anywhere.
    const opened = await rpc(app, { method: 'open_session', database: 'shop', authentication: { user: 'dana', secret: password } });
    assert.equal((await rpc(app, { method: 'validate_session', sessionToken: opened.body.sessionToken })).body.sessionStatus, 'True');
    assert.equal((await rpc(app, { method: 'status_user', sessionToken: opened.body.sessionToken, user: 'dana' })).body.userStatus, 'active');
    const mainStatus = await app.core.accounts.findByUsername('main', 'dana');
    assert.equal(mainStatus.id, mainUser.userId);
  });

  test('select_database makes an administrator’s calls act on the tenant; a tenant’s administrator manages no database', async () => {
    assert.deepEqual((await rpc(app, { method: 'select_database', authToken, dbname: 'shop' })).body, { status: 'ok', activedb: 'shop' });
    assert.equal((await rpc(app, { method: 'create_user', authToken, user: 'shopkeeper', secret: 'a long password', role: 'admin' })).body.status, 'ok');
    assert.ok(await app.core.accounts.findByUsername('shop', 'shopkeeper'));
    await assert.rejects(app.core.accounts.findByUsername('main', 'shopkeeper'), 'created in the selected database only');
    assert.equal((await rpc(app, { method: 'status_user', authToken, user: 'dana' })).body.userStatus, 'active');

    const shopAdmin = (await app.core.accounts.findByUsername('shop', 'shopkeeper')).id;
    const secret = (await app.core.accounts.secondFactor.enrol(testContext(app, 'shop'), await app.core.accounts.findUser('shop', shopAdmin), { enabled: true })).secret;
    const shopToken = (await rpc(app, { method: 'open_session', database: 'shop', authentication: { user: 'shopkeeper', secret: 'a long password', totp: totpCode(secret, app.clock.now()) } })).body.sessionToken;
    app.clock.advance(30_000);
    assert.equal((await rpc(app, { method: 'status_user', authToken: shopToken, user: 'dana' })).body.userStatus, 'active', 'an administrator of the shop acts in the shop');
    assert.equal((await rpc(app, { method: 'list_databases', authToken: shopToken })).body.error.code, 'forbidden');
    assert.equal((await rpc(app, { method: 'select_database', authToken: shopToken, dbname: 'main' })).body.error.code, 'forbidden');
    assert.equal((await rpc(app, { method: 'select_database', authToken, dbname: 'main' })).body.activedb, 'main');
  });

  test('deleting a database removes every user, session, key and record in it at once; its credentials stop working', async () => {
    await rpc(app, { method: 'create_database', authToken, dbname: 'doomed' });
    const headers = { 'x-database': 'doomed' };
    const victim = await signUp(app, 'victim', { headers });
    const token = assertRestSuccess(await api(app.url, '/api/user/token', { method: 'POST', cookie: victim.cookie, headers })).token;
    const key = (await new ServiceKeyService(app.core.store, app.core.audit).create(testContext(app, 'doomed'), 'doomed-key')).key;
    assertRestSuccess(await api(app.url, '/api/user', { cookie: victim.cookie, headers })); // cached now
    const mainUsers = await countRows(app, 'users');

    assert.deepEqual((await rpc(app, { method: 'delete_database', authToken, dbname: 'doomed' })).body, { status: 'ok' });
    assertRestError(await api(app.url, '/api/user', { cookie: victim.cookie, headers }), 404, 'not_found');
    assertRestError(await api(app.url, '/api/user', { cookie: victim.cookie }), 401, 'unauthenticated');
    assertRestError(await api(app.url, '/api/user', { bearer: token }), 401, 'unauthenticated');
    assert.equal((await api(app.url, '/sessions/get_sessions', { body: {}, bearer: key, headers })).status, 401);
    const kysely = app.core.store.kysely;
    for (const table of ['users', 'sessions', 'audit_events', 'service_keys', 'totp_credentials'] as const) {
      const left = await kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('database', '=', 'doomed').executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0, `${table} holds nothing of the deleted database`);
    }
    assert.equal(await countRows(app, 'users'), mainUsers - 1);
    assert.deepEqual((await rpc(app, { method: 'list_databases', authToken })).body.databases, ['main', 'shop']);
    const events = await app.core.store.audit.listForTarget('main', 'doomed', 10);
    assert.deepEqual(events.map((e) => e.type).sort(), ['database.created', 'database.deleted']);
  });
});
