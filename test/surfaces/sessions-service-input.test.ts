// Bad input of every kind to the sessions service gets a 4xx in the standard error
// description, never a 5xx; extra fields are ignored for drop-in compatibility.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymous } from '../../src/core/context.js';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { api, startApp, type ApiResponse, type TestApp } from '../support/harness.js';

const errorFields = ['category', 'code', 'correlation_id', 'details', 'message', 'status', 'type'];

function assertError(response: ApiResponse, status: number, code: string, category: string, label = ''): void {
  assert.equal(response.status, status, `${label}: ${response.text}`);
  assert.deepEqual(Object.keys(response.body ?? {}).sort(), errorFields, label);
  assert.equal(response.body.code, code, label);
  assert.equal(response.body.category, category, label);
  assert.equal(response.body.type, `${category}Exception`, label);
  assert.equal(response.body.status, status, label);
  assert.equal(response.body.correlation_id, response.headers.get('x-correlation-id'), label);
}

describe('sessions service input', () => {
  let app: TestApp;
  let key: string;
  const raw = (path: string, init: RequestInit) =>
    fetch(`${app.url}${path}`, { method: 'POST', ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } }).then(async (response) => {
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, body: JSON.parse(text) } as ApiResponse;
    });
  const post = (operation: string, body: unknown) => api(app.url, `/sessions/${operation}`, { body, bearer: key });

  before(async () => {
    app = await startApp({ BODY_LIMIT: '16kb', SESSION_LIMIT_PER_USER: '0' });
    const ctx = { database: 'main', caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock };
    key = (await new ServiceKeyService(app.core.store, app.core.audit).create(ctx, 'input-tests')).key;
  });
  after(() => app.close());

  test('malformed JSON is VALIDATION_FAILED (400)', async () => {
    for (const text of ['{bad', '{"session_id": "a",}', '{"__proto__": {"x": 1}}']) {
      assertError(await raw('/sessions/get_session_by_id', { body: text, headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED', 'BadRequest', text);
    }
    // An empty JSON body is no body (some clients always send the header): defaults apply.
    const empty = await raw('/sessions/get_sessions', { body: '', headers: { 'content-type': 'application/json' } });
    assert.equal(empty.status, 200);
    assertError(await raw('/sessions/get_session_by_id', { body: ' ', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED', 'BadRequest', 'empty body');
  });

  test('a body that is not JSON is UNSUPPORTED_MEDIA_TYPE (415)', async () => {
    assertError(await raw('/sessions/get_sessions', { body: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported', 'text/plain');
    assertError(await raw('/sessions/get_sessions', { body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported', 'form');
    assertError(await raw('/sessions/get_sessions', { body: new TextEncoder().encode('{}') }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported', 'no content type');
  });

  test('a body over BODY_LIMIT is PAYLOAD_TOO_LARGE (413)', async () => {
    const response = await post('store_session_data', { session_id: 'x', data: 'y'.repeat(17 * 1024) });
    assertError(response, 413, 'PAYLOAD_TOO_LARGE', 'BadRequest', 'body limit');
  });

  test('a body that is not an object is VALIDATION_FAILED (400)', async () => {
    for (const text of ['[]', '[{"session_id":"a"}]', '"a"', '42', 'null', 'true']) {
      const response = await raw('/sessions/get_session_by_id', { body: text, headers: { 'content-type': 'application/json' } });
      assertError(response, 400, 'VALIDATION_FAILED', 'BadRequest', text);
    }
  });

  test('missing or wrongly typed fields are VALIDATION_FAILED (400) naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['get_session_by_id', {}, '/session_id'],
      ['get_session_by_id', { session_id: 42 }, '/session_id'],
      ['get_session_by_id', { session_id: '' }, '/session_id'],
      ['get_session_by_id', { session_id: 'x'.repeat(129) }, '/session_id'],
      ['open_session', {}, '/user_id'],
      ['open_session', { user_id: ['a'] }, '/user_id'],
      ['open_session', { user_id: 'u', address: 7 }, '/address'],
      ['store_session_data', { session_id: 'a' }, '/data'],
      ['store_session_data', { data: {} }, '/session_id'],
      ['close_session', { session_id: null }, '/session_id'],
      ['delete_session_by_id', { session_id: { id: 'a' } }, '/session_id'],
      ['get_sessions', { paging: { take: 'abc' } }, '/paging/take'],
      ['get_sessions', { filter: { active: 'maybe' } }, '/filter/active'],
    ];
    for (const [operation, body, path] of cases) {
      const response = await post(operation, body);
      assertError(response, 400, 'VALIDATION_FAILED', 'BadRequest', `${operation} ${JSON.stringify(body)}`);
      assert.equal(response.body.details.errors[0].path, path, `${operation} ${JSON.stringify(body)}`);
    }
  });

  test('fields the protocol does not name are ignored', async () => {
    const opened = await post('open_session', { user_id: 'ext', id: 'chosen-by-client', active: false, close_time: '2020-01-01T00:00:00Z', token: 'x', correlation_id: 'c' });
    assert.equal(opened.status, 200);
    assert.notEqual(opened.body.id, 'chosen-by-client');
    assert.equal(opened.body.active, true);
    assert.equal(opened.body.close_time, null);
    const stored = await post('store_session_data', { session_id: opened.body.id, data: { a: 1 }, user: { admin: true } });
    assert.equal(stored.status, 200);
    assert.equal(stored.body.user, null, 'store_session_data writes data only');
    assert.equal((await post('get_session_by_id', { session_id: opened.body.id, data: { ignored: true } })).status, 200);
  });

  test('unknown operations and other methods are NOT_FOUND (404) in the same description', async () => {
    assertError(await post('close_all_sessions', {}), 404, 'NOT_FOUND', 'NotFound', 'unknown operation');
    assertError(await api(app.url, '/v1/sessions/close_expired_sessions', { body: {}, bearer: key }), 404, 'NOT_FOUND', 'NotFound', 'not offered');
    assertError(await api(app.url, '/sessions/get_sessions', { method: 'GET', bearer: key }), 404, 'NOT_FOUND', 'NotFound', 'GET');
    assertError(await api(app.url, '/sessions/get_sessions', { method: 'PUT', body: {}, bearer: key }), 404, 'NOT_FOUND', 'NotFound', 'PUT');
  });

  test('a malformed X-Database is VALIDATION_FAILED (400)', async () => {
    const response = await api(app.url, '/sessions/get_sessions', { body: {}, bearer: key, headers: { 'x-database': 'Not A Name' } });
    assertError(response, 400, 'VALIDATION_FAILED', 'BadRequest', 'x-database');
  });

  test('a malformed path is VALIDATION_FAILED (400) in the same description, under both prefixes', async () => {
    for (const prefix of ['/sessions', '/v1/sessions']) {
      assertError(await raw(`${prefix}/%zz`, { body: '{}', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED', 'BadRequest', prefix);
    }
  });
});
