// HTTP hardening shared by every surface: security headers (with /docs still loading), the
// CORS allow-list and its preflight, bounds on headers and URLs, and signed-in routes that
// refuse a stranger before reading the body.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestLimits } from '../../src/server/request-limits.js';
import { api, signUp, startApp, type TestApp } from '../support/harness.js';
import { rawRequestLine } from '../support/raw-http.js';

const allowed = 'https://app.example';

describe('HTTP hardening', () => {
  let app: TestApp;
  before(async () => (app = await startApp({ ALLOWED_ORIGINS: allowed, BODY_LIMIT: '4kb' })));
  after(() => app.close());

  test('every JSON answer carries the security headers of an API (OWASP REST set), whatever its status', async () => {
    for (const path of ['/api/user', '/healthz', '/no/such/route', '/api/user/%zz']) {
      const response = await api(app.url, path);
      const where = `${response.status} ${path}`;
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', where);
      assert.equal(response.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", where);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', where);
      assert.equal(response.headers.get('cache-control'), 'no-store', where);
      // Plain HTTP: no HSTS (RFC 6797 §7.2); see the HTTPS test below.
      assert.equal(response.headers.get('strict-transport-security'), null, where);
      // Document-only headers stay off JSON answers (nothing renders them).
      for (const name of ['x-xss-protection', 'x-dns-prefetch-control', 'origin-agent-cluster', 'cross-origin-opener-policy']) assert.equal(response.headers.get(name), null, `${where}: ${name}`);
    }
    // A route that may be cached says so itself.
    const jwks = await fetch(`${app.url}/.well-known/jwks.json`);
    assert.match(jwks.headers.get('cache-control') ?? '', /max-age=60/);
  });

  test('a path under no surface answers 404 with the bare catalog error, since no surface\'s envelope applies', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${app.url}/no/such/route`, { method });
      assert.equal(response.status, 404, method);
      assert.deepEqual(await response.json(), { error: { code: 'not_found', message: 'No such route.' } }, method);
      assert.ok(response.headers.get('x-correlation-id'), method);
    }
  });

  test('HSTS is sent over HTTPS only: X-Forwarded-Proto counts from a trusted proxy, never from a client', async () => {
    const spoofed = await api(app.url, '/api/user', { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(spoofed.headers.get('strict-transport-security'), null);
    const proxied = await startApp({ TRUST_PROXY: 'true' });
    try {
      for (const path of ['/api/user', '/healthz', '/no/such/route', '/api/user/%zz', '/docs/']) {
        const secure = await fetch(`${proxied.url}${path}`, { headers: { 'x-forwarded-proto': 'https' } });
        await secure.arrayBuffer();
        assert.match(secure.headers.get('strict-transport-security') ?? '', /^max-age=31536000; includeSubDomains$/, `${secure.status} ${path}`);
      }
      const plain = await fetch(`${proxied.url}/api/user`, { headers: { 'x-forwarded-proto': 'http' } });
      await plain.arrayBuffer();
      assert.equal(plain.headers.get('strict-transport-security'), null);
    } finally {
      await proxied.close();
    }
  });

  test('/docs still loads: its page names only same-origin scripts and styles, which the policy allows', async () => {
    const page = await fetch(`${app.url}/docs/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    assert.ok(scripts.length > 0);
    for (const attributes of scripts) assert.match(attributes, /src="\.?\/?(docs\/)?static\//, `no inline or foreign script: ${attributes}`);
    const bundle = await fetch(`${app.url}/docs/static/swagger-ui-bundle.js`);
    assert.equal(bundle.status, 200);
    await bundle.arrayBuffer();
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    // The HTML pages get helmet's full set.
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  });

  test('CORS: an allowed origin gets its preflight answered with credentials; another gets nothing', async () => {
    const preflight = (origin: string) =>
      fetch(`${app.url}/api/user/update`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type' } });
    const ok = await preflight(allowed);
    assert.ok(ok.status === 204 || ok.status === 200, String(ok.status));
    assert.equal(ok.headers.get('access-control-allow-origin'), allowed);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /PATCH/);
    const other = await preflight('https://evil.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const simple = await api(app.url, '/api/user', { headers: { origin: allowed } });
    assert.equal(simple.headers.get('access-control-allow-origin'), allowed);
  });

  test('an over-long URL is validation_failed in the envelope of its surface', async () => {
    const long = 'x'.repeat(requestLimits.maxUrlLength);
    const rest = await api(app.url, `/api/user?q=${long}`);
    assert.equal(rest.status, 400);
    assert.equal(rest.body.error.code, 'validation_failed');
    const sessions = await api(app.url, `/sessions/get_sessions?q=${long}`, { body: {} });
    assert.equal(sessions.status, 400);
    assert.equal(sessions.body.code, 'VALIDATION_FAILED');
    const v2 = await api(app.url, `/api/v2/RequestUsername?q=${long}`, { body: {} });
    assert.equal(v2.status, 400);
    assert.equal(v2.headers.get('status_message'), 'validation_failed');
  });

  test('headers: more bytes than the limit are 431; headers past the count limit are not read', async () => {
    const big = await rawRequestLine(app.url, 'GET', '/healthz', { 'x-filler': 'y'.repeat(requestLimits.maxHeaderSize) });
    assert.equal(big.status, 431);
    // A valid session cookie sent after the count limit is never seen: the caller is a stranger.
    const { cookie } = await signUp(app, 'alice');
    const fillers = Object.fromEntries(Array.from({ length: requestLimits.maxHeadersCount }, (_, n) => [`x-filler-${n}`, 'y']));
    assert.equal((await rawRequestLine(app.url, 'GET', '/api/user', { cookie: `sid=${cookie}` })).status, 200);
    assert.equal((await rawRequestLine(app.url, 'GET', '/api/user', { ...fillers, cookie: `sid=${cookie}` })).status, 401);
  });

  test("a signed-in route refuses a stranger's oversized or malformed body as unauthenticated", async () => {
    const huge = JSON.stringify({ full_name: 'z'.repeat(64 * 1024) });
    for (const [method, path] of [['PATCH', '/api/user/update'], ['POST', '/api/user/token'], ['DELETE', '/api/user/delete']] as const) {
      const oversized = await rawRequestLine(app.url, method, path, { 'content-type': 'application/json' }, huge);
      assert.equal(oversized.status, 401, `${method} ${path} oversized: ${oversized.head}`);
      const malformed = await rawRequestLine(app.url, method, path, { 'content-type': 'application/json' }, '{"full_name": ');
      assert.equal(malformed.status, 401, `${method} ${path} malformed: ${malformed.head}`);
      assert.match(malformed.body, /"unauthenticated"/);
    }
    const sessions = await rawRequestLine(app.url, 'POST', '/sessions/get_sessions', { 'content-type': 'application/json' }, huge);
    assert.equal(sessions.status, 401, sessions.head);
    const badKey = await rawRequestLine(app.url, 'POST', '/sessions/get_sessions', { 'content-type': 'application/json', authorization: 'Bearer nope' }, '{"filter": [');
    assert.equal(badKey.status, 401, badKey.head);
    assert.match(badKey.body, /UNAUTHENTICATED/);
  });
});
