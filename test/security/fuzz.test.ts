// Property-based fuzzing of every surface (fast-check): random JSON, field types, message
// and method names, headers and cookies, truncated, oversized and deeply nested bodies.
// Invariants: never a 5xx, the process keeps answering, the heap stays bounded, and the
// store is consistent afterwards. FUZZ_RUNS sets the cases per surface (default 400).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { signUpAdmin, testContext } from '../support/admin.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';
import { rawRequest } from '../support/rest.js';
import { RpcSocket } from '../support/rpc.js';
import { storeInconsistencies } from '../support/store-consistency.js';

const runs = Number(process.env.FUZZ_RUNS ?? 400);
const messageNames = ['RequestLoginToken', 'RequestInvalidateLoginToken', 'RequestAccountCreate', 'RequestAccountReset', 'RequestAccountPasswordUpdate', 'RequestAccountDelete', 'UpdateAccountPrivileges', 'UpdateAccount', 'RequestAccountData', 'RequestBanUser', 'RequestUnbanUser', 'RequestFlagUser', 'RequestAllFlagged', 'RequestUsername', 'RequestTokenRefresh'];
const rpcMethods = ['open_session', 'close_session', 'validate_session', 'create_user', 'delete_user', 'suspend_user', 'reinstate_user', 'status_user', 'export_user', 'create_database', 'delete_database', 'select_database', 'list_databases', 'unlock_user'];
const sessionOperations = ['get_sessions', 'get_session_by_id', 'open_session', 'store_session_data', 'update_session_user', 'close_session', 'delete_session_by_id'];
const restRoutes: Array<[string, string]> = [
  ['POST', '/register'], ['POST', '/session/create'], ['GET', '/session/validate'], ['DELETE', '/session/delete'], ['GET', ''], ['PATCH', '/update'],
  ['DELETE', '/delete'], ['GET', '/permissions'], ['POST', '/token'], ['GET', '/sessions'], ['DELETE', '/sessions/x'], ['POST', '/totp'], ['POST', '/totp/verify'], ['DELETE', '/totp'],
];
const fieldNames = ['username', 'email', 'user_email', 'user-email', 'password', 'current_password', 'old_password', 'new_password', 'reset_code', 'totp', 'code', 'user_id', 'session_id', 'role', 'new_role', 'ttl', 'filter', 'paging', 'data', 'user', 'authentication', 'secret', 'dbname', 'authToken', 'sessionToken', 'id', 'database', 'permanent', 'until'];

const text = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
/** Objects with the field names the surfaces read, holding values of any JSON type. */
const plausibleObject = fc.dictionary(fc.oneof(fc.constantFrom(...fieldNames), text), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 });
/** A body as bytes on the wire: JSON of any shape, truncated JSON, deep nesting, oversized or junk. */
const wireBody = fc.oneof(
  plausibleObject.map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc.tuple(plausibleObject, fc.nat()).map(([value, cut]) => { const s = JSON.stringify(value); return s.slice(0, cut % (s.length + 1)); }),
  fc.integer({ min: 1, max: 5000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 60, max: 200 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.integer({ min: 1, max: 3 }).map((mb) => JSON.stringify({ username: 'x'.repeat(mb * 700_000) })),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'APPLICATION/JSON', undefined);

describe('fuzzing every surface', { timeout: 300_000 }, () => {
  let app: TestApp;
  const credentials: string[] = [];
  let heapBefore = 0;

  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0', BODY_LIMIT: '1mb' });
    const alice = await signUp(app, 'alice');
    const admin = await signUpAdmin(app);
    const key = (await new ServiceKeyService(app.core.store, app.core.audit).create(testContext(app), 'fuzzer')).key;
    credentials.push(alice.cookie, admin.cookie, key, 'garbage', '');
    heapBefore = process.memoryUsage().heapUsed;
  });
  after(() => app.close());

  const headersArb = fc.record({
    contentType,
    credential: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4), fc.constant(-1)),
    as: fc.constantFrom('bearer', 'cookie', 'jwt', 'none'),
    database: fc.option(fc.oneof(fc.constant('main'), text), { nil: undefined }),
    extra: fc.dictionary(fc.stringMatching(/^x-[a-z-]{1,20}$/), text, { maxKeys: 4 }),
    cookie: fc.option(text, { nil: undefined }),
  });

  type HeaderCase = typeof headersArb extends fc.Arbitrary<infer T> ? T : never;
  const headersOf = (h: HeaderCase): Record<string, string> => {
    const headers: Record<string, string> = { ...h.extra };
    if (h.contentType) headers['content-type'] = h.contentType;
    if (h.database !== undefined) headers['x-database'] = h.database;
    const credential = h.credential >= 0 ? credentials[h.credential]! : '';
    if (h.as === 'bearer' && credential) headers.authorization = `Bearer ${credential}`;
    if (h.as === 'jwt' && credential) headers.jwt = credential;
    const cookies = [h.as === 'cookie' && credential ? `sid=${credential}` : undefined, h.cookie].filter(Boolean);
    if (cookies.length > 0) headers.cookie = cookies.join('; ');
    return headers;
  };

  const assertNo5xx = async (method: string, path: string, headers: Record<string, string>, body: string) => {
    const response = await rawRequest(app.url, path, { method, headers, body: method === 'GET' && body === '' ? undefined : body });
    assert.ok(response.status >= 200 && response.status < 500, `${method} ${path} ${JSON.stringify(headers)} ${body.slice(0, 200)} → ${response.status} ${response.text.slice(0, 200)}`);
  };
  const property = (arb: fc.Arbitrary<[string, string, Record<string, string>, string]>) =>
    fc.assert(fc.asyncProperty(arb, ([method, path, headers, body]) => assertNo5xx(method, path, headers, body)), { numRuns: runs });

  test('REST /api/user', () =>
    property(fc.tuple(fc.constantFrom(...restRoutes), fc.option(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT')), headersArb, wireBody).map(([[method, path], other, h, body]) => [other ?? method, `/api/user${path}`, headersOf(h), body])));

  test('sessions service /sessions and /v1/sessions', () =>
    property(fc.tuple(fc.oneof(fc.constantFrom(...sessionOperations), fc.stringMatching(/^[a-z_]{1,30}$/)), fc.constantFrom('/sessions/', '/v1/sessions/'), headersArb, wireBody).map(([op, prefix, h, body]) => ['POST', `${prefix}${op}`, headersOf(h), body])));

  test('RPC over HTTP', () =>
    property(
      fc.tuple(fc.oneof(fc.constantFrom(...rpcMethods), text, fc.jsonValue({ maxDepth: 1 })), plausibleObject, fc.constantFrom(0, 1, 2, 3, 4), headersArb, fc.boolean(), wireBody).map(([name, fields, c, h, structured, junk]) => [
        'POST', '/rpc', headersOf({ ...h, contentType: 'application/json' }), structured ? JSON.stringify({ ...fields, method: name, authToken: credentials[c], id: 1 }) : junk,
      ]),
    ));

  test('RPC over WebSocket: random frames never close the connection or go unanswered', async () => {
    const socket = await RpcSocket.open(app);
    try {
      await fc.assert(
        fc.asyncProperty(fc.tuple(fc.oneof(fc.constantFrom(...rpcMethods), text), plausibleObject, fc.constantFrom(0, 1, 2, 3, 4)), async ([name, fields, c]) => {
          const { id: _ignored, ...rest } = fields; // ids are the client's own: a fresh one per call
          let timer: NodeJS.Timeout | undefined;
          const unanswered = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(rest).slice(0, 200)}`)), 5000)));
          const reply = await Promise.race([socket.call({ ...rest, method: name, authToken: credentials[c] }), unanswered]).finally(() => clearTimeout(timer));
          assert.ok(reply.status === 'ok' || (reply.status === 'error' && reply.error.code !== 'internal'), JSON.stringify(reply).slice(0, 300));
        }),
        { numRuns: runs },
      );
    } finally {
      await socket.close();
    }
  });

  test('messages /api/v1 and /api/v2', () =>
    property(
      fc.tuple(fc.oneof(fc.constantFrom(...messageNames), fc.stringMatching(/^[A-Za-z]{1,30}$/)), fc.constantFrom('/api/v1/', '/api/v2/'), headersArb, wireBody, fc.constantFrom(0, 1, 2, 3, 4)).map(([name, prefix, h, body, c]) => {
        // v1 carries the token in the body: put one in when the body is an object.
        let wire = body;
        if (prefix === '/api/v1/' && body.startsWith('{') && body.endsWith('}')) {
          try {
            wire = JSON.stringify({ ...JSON.parse(body), authentication_token: credentials[c] });
          } catch {
            wire = body;
          }
        }
        return ['POST', `${prefix}${name}`, headersOf(h), wire];
      }),
    ));

  test('afterwards: still answering, heap bounded, store consistent after deletions', async () => {
    assert.equal((await api(app.url, '/healthz')).status, 200);
    // The store after a user with sessions on several surfaces and a tenant are deleted.
    const bob = await signUp(app, 'bob');
    await api(app.url, '/rpc', { body: { method: 'open_session', authentication: { user: 'bob', secret: password } } });
    assert.equal((await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: bob.cookie, body: { password } })).status, 200);
    // A fresh administrator: the fuzzer may have logged the first one out.
    const admin = (await signUpAdmin(app, 'root2')).cookie;
    assert.equal((await api(app.url, '/rpc', { body: { method: 'create_database', authToken: admin, dbname: 'doomed' } })).status, 200);
    await signUp(app, 'dora', { headers: { 'x-database': 'doomed' } });
    assert.equal((await api(app.url, '/rpc', { body: { method: 'delete_database', authToken: admin, dbname: 'doomed' } })).status, 200);
    assert.deepEqual(await storeInconsistencies(app.core.store.kysely), []);
    const heapAfter = process.memoryUsage().heapUsed;
    assert.ok(heapAfter - heapBefore < 256 * 1024 * 1024, `heap grew by ${((heapAfter - heapBefore) / 1e6).toFixed(0)} MB`);
  });

  test('the consistency check finds a session left to a deleted user', async () => {
    const carol = await signUp(app, 'carol');
    assert.equal((await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: carol.cookie, body: { password } })).status, 200);
    // Planted behind the services' back: a live session row of the deleted account.
    await app.core.store.kysely.insertInto('sessions').values({
      id: 'planted', database: 'main', token_digest: 'planted', user_id: carol.userId, user_name: 'carol', active: 1, open_time: 0, request_time: 0, expires_at: Date.now() + 60_000, mfa: 0,
    }).execute();
    assert.deepEqual(await storeInconsistencies(app.core.store.kysely), ['1 sessions of a deleted user']);
    await app.core.store.kysely.deleteFrom('sessions').where('id', '=', 'planted').execute();
  });
});
