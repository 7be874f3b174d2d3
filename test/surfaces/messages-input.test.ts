// The message surfaces facing bad input and bad credentials: unknown messages, bodies that
// are not JSON objects, wrong media types, oversized bodies, wrong field types and
// spellings, and tokens that are expired, forged, closed or of another database — each a
// catalog error in the framing's envelope, never a 5xx, with nothing written. Also the
// v2 headers, and the OpenAPI document listing every message of both framings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { api, password, startApp, type TestApp } from '../support/harness.js';
import { countRows, rawRequest } from '../support/rest.js';
import { assertV1Error, assertV2Error, assertV2Success, member, v1, v2 } from '../support/messages.js';
import { messageTable } from '../../src/surfaces/messages/table.js';

const names = [
  'RequestLoginToken', 'RequestInvalidateLoginToken', 'RequestAccountCreate', 'RequestAccountReset', 'RequestAccountPasswordUpdate',
  'RequestAccountDelete', 'UpdateAccountPrivileges', 'UpdateAccount', 'RequestAccountData', 'RequestBanUser', 'RequestUnbanUser',
  'RequestFlagUser', 'RequestAllFlagged', 'RequestUsername', 'RequestTokenRefresh',
];

describe('message surfaces and bad input', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0', BODY_LIMIT: '4kb' });
  });
  after(() => app.close());

  test('the table holds exactly the fifteen messages of SPEC §6, each its own operation', () => {
    const table = messageTable(app.core.catalog);
    assert.deepEqual([...table.keys()].sort(), [...names].sort());
    assert.equal(new Set([...table.values()].map((m) => m.operation.name)).size, names.length);
  });

  test('an unknown message, another method or a path below a message is not_found in each envelope', async () => {
    assertV1Error(await v1(app, 'RequestEverything'), 404, 'not_found');
    assertV2Error(await v2(app, 'RequestEverything'), 404, 'not_found');
    assertV2Error(await v2(app, 'requestlogintoken'), 404, 'not_found');
    assertV2Error(await api(app.url, '/api/v2/RequestLoginToken', { method: 'GET' }), 404, 'not_found');
    assertV1Error(await api(app.url, '/api/v1/RequestLoginToken/more', { method: 'POST', body: {} }), 404, 'not_found');
    assertV1Error(await api(app.url, '/api/v1/%E0%A4%A', { method: 'POST', body: {} }), 400, 'validation_failed');
  });

  test('bodies that are not JSON objects, wrong media types and oversized bodies', async () => {
    const users = await countRows(app, 'users');
    const raw = (framing: string, body: string, type = 'application/json') => api(app.url, `/api/${framing}/RequestAccountCreate`, { method: 'POST', rawBody: body, headers: { 'content-type': type } });
    assertV1Error(await raw('v1', '{"username":'), 400, 'validation_failed');
    assertV2Error(await raw('v2', '{"username":'), 400, 'validation_failed');
    assertV2Error(await raw('v2', '[1,2]'), 400, 'validation_failed');
    assertV1Error(await raw('v1', '"text"'), 400, 'validation_failed');
    assertV2Error(await raw('v2', `{"a":${'['.repeat(100)}${']'.repeat(100)}}`), 400, 'validation_failed');
    assertV2Error(await raw('v2', 'username=x', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    assertV1Error(await raw('v1', '{}', 'text/plain'), 415, 'unsupported_media_type');
    assertV1Error(await rawRequest(app.url, '/api/v1/RequestAccountCreate', { method: 'POST', body: '{}' }), 415, 'unsupported_media_type');
    const huge = JSON.stringify({ username: 'big', user_email: 'big@example.com', password: 'x'.repeat(8000) });
    assertV2Error(await raw('v2', huge), 413, 'payload_too_large');
    assertV1Error(await raw('v1', huge), 413, 'payload_too_large');
    assert.equal(await countRows(app, 'users'), users);
  });

  test('wrong types, missing and unknown fields, and the other framing’s spelling', async () => {
    const users = await countRows(app, 'users');
    assertV2Error(await v2(app, 'RequestAccountCreate', { username: 5, user_email: 'a@example.com', password }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'abc', password }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'abc', user_email: 'a@example.com', password, admin: true }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'abc', 'user-email': 'a@example.com', password }), 400, 'validation_failed');
    const v1Spelling = await v1(app, 'RequestAccountCreate', { username: 'abc', user_email: 'a@example.com', password });
    assertV1Error(v1Spelling, 400, 'validation_failed');
    assert.match(v1Spelling.body.message, /user-email/);
    const missing = await v1(app, 'RequestAccountCreate', { username: 'abc', password });
    assertV1Error(missing, 400, 'validation_failed');
    assert.match(missing.body.message, /user-email/, 'v1 hears its own field names');
    assertV1Error(await v1(app, 'RequestAccountData', { authentication_token: 42 }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestLoginToken', { username: ['a'], password }), 400, 'validation_failed');
    assert.equal(await countRows(app, 'users'), users);
  });

  test('tokens that are expired, forged, of a closed session, of another database, or garbage', async () => {
    const user = await member(app);
    const expired = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: user.username, password, ttl: 1000 }));
    app.clock.advance(2000);
    const [header, payload] = user.token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(user.token), role: 'admin' })).toString('base64url')}.${user.token.split('.')[2]}`;
    const { privateKey } = generateKeyPairSync('ed25519');
    const foreign = await new SignJWT({ ...decodeJwt(user.token) }).setProtectedHeader({ alg: 'EdDSA', kid: decodeJwt(user.token).jti as string }).sign(privateKey);
    const closed = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: user.username, password }));
    assertV2Success(await v2(app, 'RequestInvalidateLoginToken', {}, { token: closed }));
    await app.core.store.databases.create('shop', app.clock.now());
    const shop = { 'x-database': 'shop' };
    assertV2Success(await v2(app, 'RequestAccountCreate', { username: 'shopper', user_email: 'shopper@example.com', password }, { headers: shop }), 201);
    const shopToken = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: 'shopper', password }, { headers: shop }));
    assertV2Success(await v2(app, 'RequestAccountData', {}, { token: shopToken, headers: shop }));
    for (const token of [expired, tampered, foreign, closed, shopToken, `${header}.${payload}`, 'not-a-token', 'x'.repeat(5000)]) {
      assertV2Error(await v2(app, 'RequestAccountData', {}, { token }), 401, 'unauthenticated');
      assertV2Error(await v2(app, 'RequestAccountData', {}, { headers: { authorization: `Bearer ${token}` } }), 401, 'unauthenticated');
      if (token.length < 4096) assertV1Error(await v1(app, 'RequestAccountData', {}, { token }), 401, 'unauthenticated');
    }
    // In the body, an over-long token makes the body too large for this app's 4 kB limit.
    assertV1Error(await v1(app, 'RequestAccountData', {}, { token: 'x'.repeat(5000) }), 413, 'payload_too_large');
    assertV2Error(await v2(app, 'RequestAccountData', {}, { headers: { 'x-database': 'nowhere', jwt: user.token } }), 404, 'not_found');
    // A public message with a bad token is refused too, rather than served as a stranger's.
    assertV2Error(await v2(app, 'RequestAccountCreate', { username: 'newbie', user_email: 'newbie@example.com', password }, { token: expired }), 401, 'unauthenticated');
    assert.equal(await app.core.store.users.findByUsernameKey('main', 'newbie'), undefined);
  });

  test('v2 echoes CorrelationId and puts the outcome in headers, on success and on error; a rate limit carries Retry-After', async () => {
    const ok = await v2(app, 'RequestAccountCreate', { username: 'echoed', user_email: 'echoed@example.com', password }, { headers: { CorrelationId: 'corr-123' } });
    assertV2Success(ok, 201);
    assert.equal(ok.headers.get('correlationid'), 'corr-123');
    const failed = await v2(app, 'RequestAccountCreate', {}, { headers: { CorrelationId: 'corr-456' } });
    assertV2Error(failed, 400, 'validation_failed');
    assert.equal(failed.headers.get('correlationid'), 'corr-456');
    let last = await v2(app, 'RequestLoginToken', { username: 'echoed', password: 'wrong password' });
    for (let n = 0; n < 6 && last.status !== 429; n++) last = await v2(app, 'RequestLoginToken', { username: 'echoed', password: 'wrong password' });
    assertV2Error(last, 429, 'rate_limited');
    assert.match(last.headers.get('retry-after') ?? '', /^\d+$/);
    const v1Limited = await v1(app, 'RequestLoginToken', { username: 'echoed', password: 'wrong password' });
    assertV1Error(v1Limited, 429, 'rate_limited');
  });

  test('/openapi.json lists every message of both framings with request and response schemas', async () => {
    const { body } = await api(app.url, '/openapi.json');
    for (const framing of ['v1', 'v2']) {
      for (const name of names) {
        const post = body.paths[`/api/${framing}/${name}`]?.post;
        assert.ok(post, `/api/${framing}/${name}`);
        assert.ok(post.requestBody.content['application/json'].schema, `${framing} ${name} request`);
        const success = post.responses['201'] ?? post.responses['200'];
        assert.ok(success.content['application/json'].schema.properties.data, `${framing} ${name} response`);
        assert.ok(post.responses['401'].content['application/json'].schema, `${framing} ${name} error`);
      }
    }
    const v1Create = body.paths['/api/v1/RequestAccountCreate'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(v1Create.properties).sort(), ['authentication_token', 'password', 'role', 'user-email', 'username']);
    assert.deepEqual(v1Create.required.sort(), ['password', 'user-email', 'username']);
    const v1Data = body.paths['/api/v1/RequestAccountData'].post.responses['200'].content['application/json'].schema.properties.data;
    assert.ok(v1Data.properties['last-login'] && v1Data.properties['user-email']);
  });
});
