// REST user API under bad input: every route × malformed and mistyped bodies, wrong media
// types, oversized bodies and unknown paths. Every answer must be the REST error envelope
// with the right status, never a 5xx, and nothing may be half-written. Also the Origin
// check on cookie-authenticated mutations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, password, signUp, startApp, type ApiResponse, type TestApp } from '../support/harness.js';
import { assertRestError, assertRestSuccess, countRows, jsonHeaders, rawRequest } from '../support/rest.js';

interface RouteUnderTest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** As documented (OpenAPI form). */
  path: string;
  signedIn: boolean;
  /** Bodies with a field of the wrong type, or missing a required field: all validation_failed. */
  wrongFields?: unknown[];
  /** A body with a field the route does not know. */
  extra: Record<string, unknown>;
  /** PATCH /api/user/update ignores unknown fields; every other route refuses them. */
  extraIgnored?: boolean;
}

const routes: RouteUnderTest[] = [
  {
    method: 'POST',
    path: '/api/user/register',
    signedIn: false,
    wrongFields: [
      { username: 5, email: 'new@example.com', password },
      { username: 'newcomer', email: ['new@example.com'], password },
      { username: 'newcomer', email: 'new@example.com', password: 12345678 },
      { username: 'newcomer', email: 'new@example.com', password, full_name: 7 },
      { username: 'newcomer', email: 'new@example.com' },
      { email: 'new@example.com', password },
      {},
    ],
    extra: { username: 'newcomer', email: 'new@example.com', password, role: 'admin' },
  },
  {
    method: 'POST',
    path: '/api/user/session/create',
    signedIn: false,
    wrongFields: [
      { username: ['sweeper'], password },
      { username: 'sweeper', password: { value: password } },
      { username: 'sweeper', password, totp: 123456 },
      { username: 'sweeper' },
      { password },
      {},
    ],
    extra: { username: 'sweeper', password, remember_me: true },
  },
  { method: 'GET', path: '/api/user/session/validate', signedIn: true, extra: { token: 'x' } },
  { method: 'DELETE', path: '/api/user/session/delete', signedIn: true, extra: { everywhere: true } },
  { method: 'GET', path: '/api/user', signedIn: true, extra: { fields: ['email'] } },
  {
    method: 'PATCH',
    path: '/api/user/update',
    signedIn: true,
    wrongFields: [
      { username: 5 },
      { email: true },
      { full_name: 12 },
      { full_name: { first: 'A' } },
      { password: 12345678, current_password: password },
      { password: 'a fresh password', current_password: 5 },
      { password: 'a fresh password' },
    ],
    extra: { full_name: 'Sweeper', role: 'admin', nickname: 'sweepy' },
    extraIgnored: true,
  },
  {
    method: 'DELETE',
    path: '/api/user/delete',
    signedIn: true,
    wrongFields: [{ password: 12345678 }, { password: null }, { pass: password }, {}],
    extra: { password, reason: 'testing' },
  },
  { method: 'GET', path: '/api/user/permissions', signedIn: true, extra: { role: 'admin' } },
  { method: 'GET', path: '/api/user/sessions', signedIn: true, extra: { all: true } },
  { method: 'DELETE', path: '/api/user/sessions/{id}', signedIn: true, extra: { session_id: 'other' } },
  { method: 'POST', path: '/api/user/token', signedIn: true, wrongFields: [{ ttl: '1h' }, { ttl: 5 }, { ttl: 1.5 }, { ttl: null }], extra: { ttl: 60_000, scope: 'all' } },
  { method: 'POST', path: '/api/user/totp', signedIn: true, extra: { issuer: 'elsewhere' } },
  { method: 'POST', path: '/api/user/totp/verify', signedIn: true, wrongFields: [{ code: 123456 }, { code: '' }, {}], extra: { code: '123456', remember: true } },
  {
    method: 'DELETE',
    path: '/api/user/totp',
    signedIn: true,
    wrongFields: [{ code: 123456 }, { password: 5 }, {}, { code: '123456', password }],
    extra: { password, reason: 'lost phone' },
  },
];

const bodyLimit = 1024 * 1024;

describe('REST user API: bad input on every route', () => {
  let app: TestApp;
  let cookie: string;
  let spareSessionId: string;
  let before_: Awaited<ReturnType<typeof snapshot>>;
  let userId: string;

  const urlOf = (route: RouteUnderTest) => route.path.replace('{id}', spareSessionId);
  const send = (route: RouteUnderTest, rawBody: string, headers: Record<string, string>): Promise<ApiResponse> => {
    const allHeaders = { ...headers, ...(route.signedIn ? { cookie: `sid=${cookie}` } : {}) };
    // fetch refuses a GET with a body and labels string bodies text/plain: go raw for those.
    if (route.method === 'GET' || headers['content-type'] === undefined) return rawRequest(app.url, urlOf(route), { method: route.method, headers: allHeaders, body: rawBody });
    return api(app.url, urlOf(route), { method: route.method, rawBody, headers: allHeaders });
  };
  const sendJson = (route: RouteUnderTest, body: unknown) => send(route, JSON.stringify(body), jsonHeaders);

  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
    const sweeper = await signUp(app, 'sweeper');
    cookie = sweeper.cookie;
    userId = sweeper.userId;
    spareSessionId = assertRestSuccess(await api(app.url, '/api/user/session/create', { body: { username: 'sweeper', password } })).session_id;
    before_ = await snapshot();
  });
  after(() => app.close());

  async function snapshot() {
    return {
      users: await countRows(app, 'users'),
      sessions: await countRows(app, 'sessions'),
      audit: await countRows(app, 'audit_events'),
      user: await app.core.store.users.findById('main', userId),
      active: (await app.core.store.sessions.listActiveForUser('main', userId)).map((s) => s.id),
    };
  }

  test('the table covers every REST route the server registers', () => {
    const registered = app.server.registry
      .list()
      .filter((r) => r.path === '/api/user' || r.path.startsWith('/api/user/'))
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    assert.deepEqual(registered, routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  const notJson: Array<[string, string, string]> = [
    ['text/plain', 'text/plain', 'username=sweeper'],
    ['a form', 'application/x-www-form-urlencoded', 'username=sweeper&password=x'],
    ['multipart', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--xyz--\r\n'],
    ['XML', 'application/xml', '<user/>'],
  ];

  for (const route of routes) {
    const name = `${route.method} ${route.path}`;
    const bodyOnGet = route.method === 'GET';

    test(`${name}: malformed JSON is validation_failed`, async () => {
      assertRestError(await send(route, '{"username": "sweeper",', jsonHeaders), 400, 'validation_failed');
    });

    for (const [label, rawBody] of [['an array', '[]'], ['a string', '"sweeper"'], ['null', 'null'], ['a number', '42']] as const) {
      test(`${name}: a JSON body that is ${label} is validation_failed`, async () => {
        assertRestError(await send(route, rawBody, jsonHeaders), 400, 'validation_failed');
      });
    }

    for (const [i, body] of (route.wrongFields ?? []).entries()) {
      test(`${name}: wrong or missing field #${i + 1} ${JSON.stringify(body)} is validation_failed`, async () => {
        assertRestError(await sendJson(route, body), 400, 'validation_failed');
      });
    }

    test(`${name}: unknown fields are ${route.extraIgnored ? 'ignored' : 'validation_failed'}`, async () => {
      const response = await sendJson(route, route.extra);
      if (route.extraIgnored) assert.equal(assertRestSuccess(response).role, 'user');
      else assertRestError(response, 400, 'validation_failed');
    });

    for (const [label, contentType, rawBody] of notJson) {
      test(`${name}: ${label} body is unsupported_media_type`, async () => {
        assertRestError(await send(route, rawBody, { 'content-type': contentType }), 415, 'unsupported_media_type');
      });
    }

    test(`${name}: a body without Content-Type is unsupported_media_type`, async () => {
      assertRestError(await send(route, JSON.stringify(route.extra), {}), 415, 'unsupported_media_type');
    });

    // Fastify never reads a GET body, so there is nothing to measure against the limit.
    if (!bodyOnGet) {
      test(`${name}: a body over BODY_LIMIT is payload_too_large`, async () => {
        const huge = JSON.stringify({ full_name: 'x'.repeat(bodyLimit) });
        assertRestError(await send(route, huge, jsonHeaders), 413, 'payload_too_large');
      });
    }

    test(`${name}: a malformed X-Database is validation_failed and an unknown one not_found`, async () => {
      const withDatabase = (database: string) => api(app.url, urlOf(route), { method: route.method, ...(route.signedIn ? { cookie } : {}), headers: { 'x-database': database } });
      assertRestError(await withDatabase('Not A Name!'), 400, 'validation_failed');
      assertRestError(await withDatabase('nosuchdb'), 404, 'not_found');
    });
  }

  test('a body just under BODY_LIMIT is read and judged on its content', async () => {
    const body = JSON.stringify({ username: 'big', email: 'big@example.com', password, full_name: 'x'.repeat(bodyLimit - 200) });
    assert.ok(Buffer.byteLength(body) < bodyLimit);
    assertRestError(await api(app.url, '/api/user/register', { rawBody: body, headers: jsonHeaders }), 400, 'validation_failed');
  });

  for (const [label, id] of [['an over-long id', 'x'.repeat(101)], ['a much longer id', 'x'.repeat(2000)], ['a malformed %-escape', '%E0%A4%A']] as const) {
    test(`DELETE /api/user/sessions/{id} with ${label} is validation_failed`, async () => {
      const response = await api(app.url, `/api/user/sessions/${id}`, { method: 'DELETE', cookie });
      assertRestError(response, 400, 'validation_failed');
      assert.equal(response.headers.get('x-node-id'), 'test-node');
    });
  }

  for (const [method, path] of [
    ['GET', '/api/user/nope'],
    ['POST', '/api/user/nope'],
    ['GET', '/api/user/session'],
    ['DELETE', '/api/user/sessions'],
    ['POST', '/api/user/sessions/x/y'],
    ['GET', '/api/user/register'],
    ['PUT', '/api/user/update'],
    ['GET', '/api/user/update/'],
  ] as const) {
    test(`unknown route ${method} ${path} is not_found in the REST envelope`, async () => {
      assertRestError(await api(app.url, path, { method, cookie, ...(method === 'GET' ? {} : { body: {} }) }), 404, 'not_found');
    });
  }

  test('after the sweep nothing was written: users, sessions and the account are unchanged', async () => {
    const after_ = await snapshot();
    assert.deepEqual({ ...after_, audit: 0, user: undefined }, { ...before_, audit: 0, user: undefined });
    // The one accepted request, the PATCH with unknown fields, changed the full name and
    // nothing else, and left the one audit event it should.
    const { fullName, updatedAt, ...rest } = after_.user!;
    const { fullName: _fullName, updatedAt: _updatedAt, ...restBefore } = before_.user!;
    assert.equal(fullName, 'Sweeper');
    assert.deepEqual(rest, restBefore);
    assert.equal(after_.audit, before_.audit + 1);
    const [latest] = await app.core.store.audit.listForTarget('main', userId, 1);
    assert.deepEqual([latest?.type, latest?.details], ['account.updated', { fields: ['fullName'] }]);
    assertRestSuccess(await api(app.url, '/api/user/session/validate', { cookie }));
  });
});

describe('REST user API: the Origin check on cookie-authenticated mutations', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ SESSION_LIMIT_PER_USER: '0', ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000' })));
  after(() => app.close());

  const patch = (headers: Record<string, string>, auth: { cookie?: string; bearer?: string }, fullName: string) =>
    api(app.url, '/api/user/update', { method: 'PATCH', headers, ...auth, body: { full_name: fullName } });

  test('a foreign Origin is forbidden and nothing is written', async () => {
    const user = await signUp(app, 'origin.evil');
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1', 'https://app.example.com.evil.example']) {
      assertRestError(await patch({ origin }, { cookie: user.cookie }, 'Hijacked'), 403, 'forbidden');
    }
    assertRestError(await api(app.url, '/api/user/delete', { method: 'DELETE', cookie: user.cookie, headers: { origin: 'https://evil.example' }, body: { password } }), 403, 'forbidden');
    assertRestError(await api(app.url, '/api/user/session/delete', { method: 'DELETE', cookie: user.cookie, headers: { origin: 'https://evil.example' } }), 403, 'forbidden');
    const stored = await app.core.store.users.findById('main', user.userId);
    assert.equal(stored?.fullName, null);
    assertRestSuccess(await api(app.url, '/api/user/session/validate', { cookie: user.cookie }));
  });

  test("the service's own origin is allowed", async () => {
    const user = await signUp(app, 'origin.same');
    const data = assertRestSuccess(await patch({ origin: app.url }, { cookie: user.cookie }, 'Same Origin'));
    assert.equal(data.full_name, 'Same Origin');
  });

  test('an origin listed in ALLOWED_ORIGINS is allowed', async () => {
    const user = await signUp(app, 'origin.allowed');
    assert.equal(assertRestSuccess(await patch({ origin: 'https://app.example.com' }, { cookie: user.cookie }, 'Allowed')).full_name, 'Allowed');
    assert.equal(assertRestSuccess(await patch({ origin: 'http://localhost:3000' }, { cookie: user.cookie }, 'Local')).full_name, 'Local');
  });

  test('bearer requests are not subject to the Origin check', async () => {
    const user = await signUp(app, 'origin.bearer');
    assert.equal(assertRestSuccess(await patch({ origin: 'https://evil.example' }, { bearer: user.cookie }, 'Bearer')).full_name, 'Bearer');
  });

  test('reads are not subject to the Origin check', async () => {
    const user = await signUp(app, 'origin.read');
    assertRestSuccess(await api(app.url, '/api/user', { cookie: user.cookie, headers: { origin: 'https://evil.example' } }));
  });
});
