// Operations endpoints (SPEC §7): health, readiness, metrics, the OpenAPI document and its
// UI, the headers every response carries, correlation ids, and logs that never hold a secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/server/logger.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';
import { assertRestError, assertRestSuccess, rawRequest } from '../support/rest.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('health, readiness and metrics', () => {
  let app: TestApp;
  before(async () => (app = await startApp()));
  after(() => app.close());

  test('GET /healthz and GET /readyz answer 200', async () => {
    const health = await api(app.url, '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await api(app.url, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready' });
  });

  test('GET /metrics is Prometheus text with request counts and latencies per route template', async () => {
    const user = await signUp(app, 'metrics.user');
    await api(app.url, `/api/user/sessions/${user.sessionId}-not-mine`, { method: 'DELETE', cookie: user.cookie });
    await api(app.url, '/api/user/no-such-route-4711');
    const metrics = await api(app.url, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const lines = metrics.text.split('\n');
    assert.ok(lines.includes('# TYPE gatehouse_http_requests_total counter'));
    assert.ok(lines.includes('# TYPE gatehouse_http_request_duration_seconds histogram'));
    assert.ok(lines.includes('gatehouse_http_requests_total{method="POST",route="/api/user/register",status="201"} 1'), metrics.text);
    assert.ok(lines.includes('gatehouse_http_requests_total{method="POST",route="/api/user/session/create",status="200"} 1'));
    assert.ok(lines.includes('gatehouse_http_requests_total{method="DELETE",route="/api/user/sessions/:id",status="404"} 1'));
    assert.ok(lines.includes('gatehouse_http_requests_total{method="GET",route="unmatched",status="404"} 1'));
    assert.ok(lines.some((l) => /^gatehouse_http_request_duration_seconds_bucket\{.*route="\/api\/user\/register".*\} 1$/.test(l)));
    assert.ok(lines.some((l) => /^gatehouse_http_request_duration_seconds_count\{method="POST",route="\/api\/user\/register"\} 1$/.test(l)));
    // Concrete ids and unknown paths never become label values.
    assert.doesNotMatch(metrics.text, new RegExp(`${user.sessionId}|no-such-route-4711`));
  });

  test('GET /readyz is 503 unavailable once the store is unreachable', async () => {
    const broken = await startApp();
    try {
      await broken.core.store.close();
      const ready = await api(broken.url, '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.error.code, 'unavailable');
      assert.equal(ready.headers.get('x-node-id'), 'test-node');
      assert.equal((await api(broken.url, '/healthz')).status, 200);
    } finally {
      await broken.close();
    }
  });
});

describe('the OpenAPI document and /docs', () => {
  let app: TestApp;
  let document: any;
  before(async () => {
    app = await startApp();
    const response = await api(app.url, '/openapi.json');
    assert.equal(response.status, 200);
    document = response.body;
  });
  after(() => app.close());

  const restRoutes: Array<[string, string, { body?: string[] }?]> = [
    ['post', '/api/user/register', { body: ['username', 'email', 'password'] }],
    ['post', '/api/user/session/create', { body: ['password'] }],
    ['get', '/api/user/session/validate'],
    ['delete', '/api/user/session/delete'],
    ['get', '/api/user'],
    ['patch', '/api/user/update', { body: [] }],
    ['delete', '/api/user/delete', { body: ['password'] }],
    ['get', '/api/user/permissions'],
    ['get', '/api/user/sessions'],
    ['delete', '/api/user/sessions/{id}'],
    ['post', '/api/user/token', { body: [] }],
    ['post', '/api/user/totp'],
    ['post', '/api/user/totp/verify', { body: ['code'] }],
    ['delete', '/api/user/totp', { body: [] }],
  ];

  test('is OpenAPI 3.1 and lists every REST user route of SPEC §3', () => {
    assert.equal(document.openapi, '3.1.0');
    const listed = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path === '/api/user' || path.startsWith('/api/user/'))
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort();
    assert.deepEqual(listed, restRoutes.map(([method, path]) => `${method} ${path}`).sort());
  });

  test('documents request body schemas, success and error responses', () => {
    for (const [method, path, options] of restRoutes) {
      const operation = document.paths[path][method];
      const success = operation.responses[path === '/api/user/register' ? '201' : '200'];
      assert.ok(success?.content?.['application/json']?.schema, `${method} ${path}: success schema`);
      assert.ok(Object.keys(operation.responses).some((status) => Number(status) >= 400), `${method} ${path}: error responses`);
      if (options?.body) {
        const schema = operation.requestBody?.content?.['application/json']?.schema;
        assert.equal(schema?.type, 'object', `${method} ${path}: request body schema`);
        assert.deepEqual(schema.required ?? [], options.body, `${method} ${path}: required fields`);
      } else {
        assert.equal(operation.requestBody, undefined, `${method} ${path}: no request body`);
      }
    }
    const register = document.paths['/api/user/register'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(register.properties).sort(), ['email', 'full_name', 'password', 'username']);
    assert.deepEqual(document.paths['/api/user/sessions/{id}'].delete.parameters.find((p: { in: string }) => p.in === 'path')?.name, 'id');
  });

  test('GET /docs serves the HTML UI for the same document', async () => {
    const docs = await fetch(`${app.url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await docs.text(), /<html/i);
    const json = await api(app.url, '/docs/json');
    assert.deepEqual(json.body.paths, document.paths);
  });
});

describe('headers on every response', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0' })));
  after(() => app.close());

  test('X-Node-Id and Server-Timing are on successes, errors and router errors alike', async () => {
    const user = await signUp(app, 'headers.user');
    const responses = {
      healthz: await api(app.url, '/healthz'),
      readyz: await api(app.url, '/readyz'),
      metrics: await api(app.url, '/metrics'),
      openapi: await api(app.url, '/openapi.json'),
      docs: await api(app.url, '/docs'),
      profile: await api(app.url, '/api/user', { cookie: user.cookie }),
      unauthenticated: await api(app.url, '/api/user'),
      invalidJson: await api(app.url, '/api/user/register', { rawBody: '{', headers: { 'content-type': 'application/json' } }),
      noContentType: await rawRequest(app.url, '/api/user/register', { method: 'POST', body: '{}' }),
      tooLarge: await api(app.url, '/api/user/register', { body: { full_name: 'x'.repeat(1024 * 1024) } }),
      restUnknown: await api(app.url, '/api/user/nope'),
      rootUnknown: await api(app.url, '/nope'),
      badEscape: await api(app.url, '/nope/%E0%A4%A'),
    };
    for (const [name, response] of Object.entries(responses)) {
      assert.equal(response.headers.get('x-node-id'), 'test-node', name);
      assert.match(response.headers.get('server-timing') ?? '', /^app;dur=\d+(\.\d+)?$/, name);
      assert.ok(response.status < 500, name);
    }
    assertRestError(responses.restUnknown, 404, 'not_found');
    assert.equal(responses.rootUnknown.body.error.code, 'not_found');
    assert.equal(responses.badEscape.body.error.code, 'validation_failed');
  });

  test('X-Correlation-Id is echoed when sent and generated otherwise', async () => {
    const sent = await api(app.url, '/healthz', { headers: { 'x-correlation-id': 'client-42.trace:a@b' } });
    assert.equal(sent.headers.get('x-correlation-id'), 'client-42.trace:a@b');
    const onError = await api(app.url, '/api/user', { headers: { 'x-correlation-id': 'client-43' } });
    assert.equal(onError.headers.get('x-correlation-id'), 'client-43');

    const first = (await api(app.url, '/healthz')).headers.get('x-correlation-id') ?? '';
    const second = (await api(app.url, '/healthz')).headers.get('x-correlation-id') ?? '';
    assert.match(first, uuid);
    assert.match(second, uuid);
    assert.notEqual(first, second);
    // An id that could forge log lines or bloat them is replaced.
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const response = await api(app.url, '/healthz', { headers: { 'x-correlation-id': bad } });
      assert.match(response.headers.get('x-correlation-id') ?? '', uuid, bad);
    }
  });
});

describe('logs', () => {
  /** A Gatehouse whose debug-level log lines are kept in memory. */
  async function loggedApp() {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const app = await startApp({ LOG_LEVEL: 'debug', NODE_ID: 'log-node', SESSION_LIMIT_PER_USER: '0' }, { logger });
    return { ...app, logger, lines };
  }

  test('requests carrying passwords, cookies and tokens, and an internal error, leave no secret in the log', async () => {
    const app = await loggedApp();
    try {
      const user = await signUp(app, 'log.user');
      const newPassword = 'a-brand-new-secret-pass';
      await api(app.url, '/api/user/session/create', { body: { username: 'log.user', password: 'wrong-secret-guess' } });
      assertRestSuccess(await api(app.url, '/api/user/session/validate', { cookie: user.cookie }));
      assertRestSuccess(await api(app.url, '/api/user', { bearer: user.cookie }));
      assertRestSuccess(await api(app.url, '/api/user/update', { method: 'PATCH', cookie: user.cookie, body: { password: newPassword, current_password: password } }));
      assertRestError(await api(app.url, '/api/user/register', { body: { username: 'x', email: 'x@example.com', password: 'short-but-secret', extra: 1 } }), 400, 'validation_failed');

      // An unreachable store turns the next signed-in request into an internal error.
      await app.core.store.close();
      const failed = await api(app.url, '/api/user', { cookie: user.cookie, headers: { 'x-correlation-id': 'corr-internal-1' } });
      assertRestError(failed, 500, 'internal');
      assert.deepEqual(Object.keys(failed.body.error).sort(), ['code', 'message']);
      assert.doesNotMatch(failed.text, /sqlite|database|stack|at .*\.ts/i);

      const log = app.lines.join('');
      // The log is not empty: per-request debug lines and the internal error are there.
      assert.ok(app.lines.some((l) => JSON.parse(l).route === '/api/user/session/create'));
      const internal = app.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'internal error');
      assert.equal(internal?.correlation_id, 'corr-internal-1');
      assert.ok(internal?.err, 'the internal error is logged with its cause');
      for (const secret of [password, newPassword, 'wrong-secret-guess', 'short-but-secret', user.cookie]) {
        assert.equal(log.includes(secret), false, `a secret reached the log: ${secret.slice(0, 6)}…`);
      }
    } finally {
      await app.close();
    }
  });

  test('the logger censors credentials wherever a log call puts them', async () => {
    const app = await loggedApp();
    try {
      app.logger.info(
        {
          req: { headers: { authorization: 'Bearer tok-secret-1', cookie: 'sid=cookie-secret-2', jwt: 'jwt-secret-3' } },
          res: { headers: { 'set-cookie': 'sid=cookie-secret-4' } },
          body: { password: 'pw-secret-5', current_password: 'pw-secret-6', token: 'tok-secret-7', secret: 'totp-secret-8', key: 'key-secret-9' },
        },
        'probe',
      );
      const line = app.lines.find((l) => l.includes('"probe"')) ?? '';
      assert.match(line, /\[redacted\]/);
      assert.doesNotMatch(line, /secret-\d/);
    } finally {
      await app.close();
    }
  });
});
