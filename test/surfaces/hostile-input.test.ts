// Hostile input on every HTTP surface: URLs that are not URLs, bodies nested past any
// reason, text and numbers JSON cannot carry back, compressed bodies, path traversal and
// slow senders. Each is answered with a 4xx in the surface's envelope, writes nothing, and
// the process keeps answering.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymous } from '../../src/core/context.js';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { createLogger } from '../../src/server/logger.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';
import { rawExchange, rawRequestLine } from '../support/raw-http.js';
import { countRows, rawRequest } from '../support/rest.js';

const maxDepth = 64;
/** A JSON value nested `levels` deep: arrays inside arrays around a number. */
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

async function serviceKey(app: TestApp, name: string): Promise<string> {
  const ctx = { database: 'main', caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock };
  return (await new ServiceKeyService(app.core.store, app.core.audit).create(ctx, name)).key;
}

async function rowCounts(app: TestApp) {
  return { users: await countRows(app, 'users'), sessions: await countRows(app, 'sessions'), audit: await countRows(app, 'audit_events') };
}

describe('hostile input', () => {
  let app: TestApp;
  let key: string;
  let cookie: string;
  const logLines: string[] = [];

  before(async () => {
    const logger = createLogger('info', { write: (line: string) => void logLines.push(line) });
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' }, { logger });
    key = await serviceKey(app, 'hostile');
    ({ cookie } = await signUp(app, 'hostile'));
  });
  after(() => app.close());

  test('URLs that do not parse are answered (4xx) and the process keeps serving', async () => {
    const targets = [
      '//a:b/?correlation_id=x',
      '//x:99999/?correlation_id=x',
      '//[::1/?correlation_id=x',
      '/\\a:b/?correlation_id=x',
      '//a:b/api/user?correlation_id=%zz',
      '/api/user/%?correlation_id=x',
      '/sessions/%E0%A4%A?correlation_id=x',
      '/?correlation_id=%',
      '/?correlation_id=&correlation_id=x#y',
      '/api/user/sessions/%00',
      '/api/user/sessions/' + 'a'.repeat(2000),
      '//',
      '///api/user',
      'http://evil.example:99999/api/user?correlation_id=x',
      '*',
    ];
    for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS', 'PATCH']) {
      for (const target of targets) {
        const answer = await rawRequestLine(app.url, method, target, { 'content-type': 'application/json' }, method === 'GET' ? '' : '{}');
        assert.ok(answer.status >= 400 && answer.status < 500, `${method} ${target}: ${answer.status} ${answer.head.split('\r\n')[0]}`);
      }
    }
    assert.equal((await api(app.url, '/healthz')).status, 200);
    assert.equal(logLines.filter((line) => line.includes('internal error')).length, 0, 'none of them was an internal error');
  });

  test('a correlation id in the query of an unparsable URL is still read', async () => {
    const answer = await rawRequestLine(app.url, 'GET', '//a:b/?correlation_id=req-1');
    assert.equal(answer.status, 404);
    assert.match(answer.head, /^x-correlation-id: req-1$/im);
  });

  test('a body nested 10,000 levels deep gets validation_failed on every route of both surfaces and writes nothing', async () => {
    const deep = nested(10_000);
    const bodies = [deep, `{"data":${deep}}`, `{"user":${deep},"user_id":"x"}`, `{"username":${deep}}`];
    const before = await rowCounts(app);
    const routes = app.server.registry.list().filter((route) => route.path.startsWith('/api/user') || route.path.includes('/sessions/'));
    assert.ok(routes.length >= 20, `every route of both surfaces (${routes.length})`);
    for (const route of routes) {
      const path = route.path.replace('{id}', 'some-id');
      for (const body of bodies) {
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${path.startsWith('/api/user') ? cookie : key}` };
        const response = await rawRequest(app.url, path, { method: route.method, headers, body });
        const label = `${route.method} ${path}: ${response.text.slice(0, 200)}`;
        assert.equal(response.status, 400, label);
        const code = path.startsWith('/api/user') ? response.body.error.code : response.body.code;
        assert.equal(code, path.startsWith('/api/user') ? 'validation_failed' : 'VALIDATION_FAILED', label);
      }
    }
    assert.deepEqual(await rowCounts(app), before);
    assert.equal((await api(app.url, '/healthz')).status, 200);
  });

  test('nesting of exactly BODY_MAX_DEPTH passes and reads back unchanged; one more is refused', async () => {
    const atLimit = `{"user_id":"deep","data":${nested(maxDepth - 1)}}`; // the body object is the first level
    const opened = await api(app.url, '/sessions/open_session', { rawBody: atLimit, headers: { 'content-type': 'application/json' }, bearer: key });
    assert.equal(opened.status, 200, opened.text.slice(0, 200));
    assert.deepEqual(opened.body.data, JSON.parse(nested(maxDepth - 1)));
    const read = await api(app.url, '/sessions/get_sessions', { body: { filter: { user_id: 'deep' } }, bearer: key });
    assert.deepEqual(read.body.data[0].data, JSON.parse(nested(maxDepth - 1)));
    const overLimit = `{"user_id":"deep","data":${nested(maxDepth)}}`;
    const refused = await api(app.url, '/sessions/open_session', { rawBody: overLimit, headers: { 'content-type': 'application/json' }, bearer: key });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /nested deeper than 64 levels/);
    // Brackets inside strings are text, not nesting.
    const inText = await api(app.url, '/sessions/open_session', { body: { user_id: 'deep', data: '['.repeat(5000) }, bearer: key });
    assert.equal(inText.status, 200);
  });

  test('text with lone UTF-16 surrogates, in values or keys, is refused before anything is written', async () => {
    const before = await rowCounts(app);
    const bodies = [
      '{"username":"lone","email":"a\\ud800@example.com","password":"correct horse battery"}',
      '{"username":"lone\\udc00","email":"lone@example.com","password":"correct horse battery"}',
      '{"username":"lone","email":"lone@example.com","password":"correct horse battery","full_name":"x\\ud83d"}',
      '{"username":"lone","email":"lone@example.com","password":"correct horse battery","\\ud800":1}',
    ];
    for (const body of bodies) {
      const response = await api(app.url, '/api/user/register', { rawBody: body, headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 400, body);
      assert.equal(response.body.error.code, 'validation_failed');
      assert.match(response.body.error.message, /well-formed Unicode/);
    }
    const data = await api(app.url, '/sessions/open_session', { rawBody: '{"user_id":"u","data":{"k":"\\udfff"}}', headers: { 'content-type': 'application/json' }, bearer: key });
    assert.equal(data.status, 400);
    assert.deepEqual(await rowCounts(app), before);
    // A real pair of surrogates (an emoji) is well-formed and kept.
    const emoji = await api(app.url, '/api/user/register', { rawBody: '{"username":"emoji","email":"emoji@example.com","password":"correct horse battery","full_name":"\\ud83d\\ude00"}', headers: { 'content-type': 'application/json' } });
    assert.equal(emoji.status, 201, emoji.text);
  });

  test('bytes that are not UTF-8 are refused rather than read as U+FFFD', async () => {
    const before = await rowCounts(app);
    const body = Buffer.concat([Buffer.from('{"username":"bytes","email":"b'), Buffer.from([0xff, 0xfe]), Buffer.from(`@example.com","password":"${password}"}`)]);
    const response = await fetch(`${app.url}/api/user/register`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'validation_failed');
    assert.deepEqual(await rowCounts(app), before);
  });

  test('numbers JSON cannot carry back (1e309) are refused, not stored as null', async () => {
    const before = await rowCounts(app);
    for (const number of ['1e309', '-1e309', '123e456']) {
      const response = await api(app.url, '/sessions/open_session', { rawBody: `{"user_id":"n","data":{"x":${number}}}`, headers: { 'content-type': 'application/json' }, bearer: key });
      assert.equal(response.status, 400, number);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
    assert.deepEqual(await rowCounts(app), before);
    const large = await api(app.url, '/sessions/open_session', { rawBody: '{"user_id":"n","data":{"x":1e308}}', headers: { 'content-type': 'application/json' }, bearer: key });
    assert.equal(large.body.data.x, 1e308);
  });

  test('compressed bodies are unsupported_media_type, whatever they contain', async () => {
    const gzip = await api(app.url, '/api/user/register', { body: { username: 'gz', email: 'gz@example.com', password }, headers: { 'content-encoding': 'gzip' } });
    assert.equal(gzip.status, 415);
    assert.equal(gzip.body.error.code, 'unsupported_media_type');
    const chunkedGzip = await rawRequestLine(
      app.url,
      'POST',
      '/sessions/get_sessions',
      { 'content-type': 'application/json', 'transfer-encoding': 'gzip, chunked', authorization: `Bearer ${key}` },
      '2\r\n{}\r\n0\r\n\r\n',
    );
    assert.equal(chunkedGzip.status, 415);
    assert.equal(JSON.parse(chunkedGzip.body).code, 'UNSUPPORTED_MEDIA_TYPE');
    const identity = await api(app.url, '/sessions/get_sessions', { body: {}, bearer: key, headers: { 'content-encoding': 'identity' } });
    assert.equal(identity.status, 200);
    const chunked = await rawRequestLine(app.url, 'POST', '/sessions/get_sessions', { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${key}` }, '2\r\n{}\r\n0\r\n\r\n');
    assert.equal(chunked.status, 200);
  });

  test('path traversal under /docs/static is a 4xx, never a 500', async () => {
    for (const target of ['/docs/static/../package.json', '/docs/static/..\\package.json', '/docs/static/..%5c..%5cpackage.json', '/docs/static/%2e%2e/%2e%2e/package.json']) {
      const answer = await rawRequestLine(app.url, 'GET', target);
      assert.ok(answer.status >= 400 && answer.status < 500, `${target}: ${answer.status}`);
      assert.doesNotMatch(answer.body, /"name":\s*"gatehouse"/, target);
    }
    assert.equal(logLines.filter((line) => line.includes('internal error')).length, 0);
  });
});

describe('slow senders', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '1s', HTTP_KEEP_ALIVE_TIMEOUT: '1s' });
  });
  after(() => app.close());

  test('a body that stops half way is cut off after the request timeout', async () => {
    const started = Date.now();
    const head = 'POST /api/user/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user';
    const answer = await rawExchangeOpen(app.url, head, 8000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 4000, `closed after ${elapsed} ms`);
    assert.ok(answer.status === 408 || answer.status === 0, `status ${answer.status}`);
  });

  test('headers that never end are cut off after the headers timeout', async () => {
    const started = Date.now();
    await rawExchangeOpen(app.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a', 8000);
    assert.ok(Date.now() - started < 4000);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const started = Date.now();
    const answer = await rawExchangeOpen(app.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 8000);
    assert.equal(answer.status, 200);
    assert.ok(Date.now() - started < 4000);
  });
});

/** Writes `text` and keeps the socket open for writing: only the server can end the exchange. */
function rawExchangeOpen(base: string, text: string, timeoutMs: number) {
  return rawExchange(base, Buffer.from(text), timeoutMs, { keepOpen: true });
}
