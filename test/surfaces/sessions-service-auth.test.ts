// Who may call the sessions service: service keys (made and revoked with the CLI and the
// service), their database binding, administrators' session tokens, refusals and their
// audit trail, and correlation ids in answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { anonymous } from '../../src/core/context.js';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { signUpAdmin } from '../support/admin.js';
import { api, signUp, startApp, type TestApp } from '../support/harness.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const errorFields = ['category', 'code', 'correlation_id', 'details', 'message', 'status', 'type'];

async function gatehouse(app: TestApp, ...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', ...args, '--json'], {
    cwd: repoRoot,
    env: { ...process.env, GATEHOUSE_DATA_DIR: app.dataDir, LOG_LEVEL: 'silent' },
  });
  return JSON.parse(stdout);
}

describe('sessions service credentials', () => {
  let app: TestApp;
  let keys: ServiceKeyService;
  let key: string;
  const ctxIn = (database: string) => ({ database, caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock });
  const list = (credential: string | undefined, headers: Record<string, string> = {}) =>
    api(app.url, '/sessions/get_sessions', { body: {}, headers: credential === undefined ? headers : { ...headers, authorization: credential } });
  // Refusals name no target, so they are read from the table rather than by target.
  const rejections = (database = 'main') =>
    app.core.store.kysely.selectFrom('audit_events').selectAll().where('database', '=', database).where('type', '=', 'service_key.rejected').orderBy('id').execute();

  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
    keys = new ServiceKeyService(app.core.store, app.core.audit);
    key = (await keys.create(ctxIn('main'), 'backend')).key;
  });
  after(() => app.close());

  test('a valid service key is accepted on every operation under both prefixes', async () => {
    for (const prefix of ['/sessions', '/v1/sessions']) {
      const opened = await api(app.url, `${prefix}/open_session`, { body: { user_id: 'ext' }, bearer: key });
      assert.equal(opened.status, 200);
      for (const operation of ['get_session_by_id', 'close_session', 'delete_session_by_id']) {
        assert.equal((await api(app.url, `${prefix}/${operation}`, { body: { session_id: opened.body.id }, bearer: key })).status, 200, operation);
      }
      assert.equal((await api(app.url, `${prefix}/get_sessions`, { body: {}, bearer: key })).status, 200);
    }
  });

  test('a missing, malformed or unknown credential is UNAUTHENTICATED (401) and audited without the secret', async () => {
    const before = (await rejections()).length;
    const guess = 'ghsk_' + 'A'.repeat(43);
    for (const credential of [undefined, '', 'Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${guess}`, `Bearer ${key}x`]) {
      const response = await list(credential);
      assert.equal(response.status, 401, String(credential));
      assert.deepEqual(Object.keys(response.body).sort(), errorFields);
      assert.equal(response.body.code, 'UNAUTHENTICATED');
      assert.equal(response.body.category, 'Unauthorized');
      assert.equal(response.body.type, 'UnauthorizedException');
      assert.equal(response.body.status, 401);
    }
    const events = (await rejections()).slice(before);
    assert.equal(events.length, 7);
    const recorded = JSON.stringify(events);
    assert.doesNotMatch(recorded, new RegExp(guess));
    assert.doesNotMatch(recorded, new RegExp(key.slice(5)));
    assert.deepEqual(JSON.parse(events[0]!.details!), { operation: 'sessions_service.get_sessions', reason: 'missing' });
    assert.deepEqual(JSON.parse(events.at(-1)!.details!), { operation: 'sessions_service.get_sessions', reason: 'unknown' });
  });

  test('a revoked key stops working at once', async () => {
    const { key: shortLived } = await keys.create(ctxIn('main'), 'short-lived');
    assert.equal((await list(`Bearer ${shortLived}`)).status, 200);
    await keys.revoke({ caller: anonymous, correlationId: 'test', address: '', client: 'test', nodeId: 'test-node', clock: app.clock }, 'short-lived');
    assert.equal((await list(`Bearer ${shortLived}`)).status, 401);
  });

  test('the CLI creates a key ({name, key, database}) that works, and revoking it makes it stop', async () => {
    const created = (await gatehouse(app, 'service-key', 'create', '--name', 'from-cli')) as { name: string; key: string; database: string };
    assert.deepEqual(Object.keys(created).sort(), ['database', 'key', 'name']);
    assert.equal(created.name, 'from-cli');
    assert.equal(created.database, 'main');
    assert.match(created.key, /^ghsk_[\w-]{43}$/);
    assert.equal((await list(`Bearer ${created.key}`)).status, 200);
    await gatehouse(app, 'service-key', 'revoke', '--name', 'from-cli');
    const refused = await list(`Bearer ${created.key}`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'UNAUTHENTICATED');
  });

  test('a key acts only in its own database', async () => {
    await app.core.store.databases.create('tenant2', app.clock.now());
    const { key: tenantKey } = await keys.create(ctxIn('tenant2'), 'tenant2-backend');
    assert.equal((await list(`Bearer ${tenantKey}`)).status, 401, 'the main database refuses a tenant2 key');
    assert.equal((await list(`Bearer ${tenantKey}`, { 'x-database': 'tenant2' })).status, 200);
    assert.equal((await list(`Bearer ${key}`, { 'x-database': 'tenant2' })).status, 401, 'tenant2 refuses a main key');
    const missing = await list(`Bearer ${key}`, { 'x-database': 'no-such-db' });
    assert.equal(missing.status, 401, 'an unknown database holds no credentials');
    assert.equal(missing.body.code, 'UNAUTHENTICATED');
    const rejected = await rejections('tenant2');
    assert.equal(rejected.length, 1, 'the refusal is recorded where it happened');
  });

  test('an administrator’s session token or access token is accepted; another user’s is FORBIDDEN (403)', async () => {
    const admin = await signUpAdmin(app, 'root');
    const asAdmin = await list(`Bearer ${admin.cookie}`);
    assert.equal(asAdmin.status, 200);
    assert.ok(asAdmin.body.data.some((s: { id: string }) => s.id === admin.sessionId));
    const { token } = (await api(app.url, '/api/user/token', { method: 'POST', cookie: admin.cookie })).body.data;
    assert.equal((await list(`Bearer ${token}`)).status, 200, 'an administrator’s access token');

    const user = await signUp(app, 'mallory');
    const refused = await list(`Bearer ${user.cookie}`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'FORBIDDEN');
    assert.equal(refused.body.category, 'Unauthorized');
    const [event] = (await rejections()).filter((e) => e.actor === user.userId);
    assert.deepEqual(JSON.parse(event!.details!), { operation: 'sessions_service.get_sessions', reason: 'forbidden' });

    const { token: userToken } = (await api(app.url, '/api/user/token', { method: 'POST', cookie: user.cookie })).body.data;
    assert.equal((await list(`Bearer ${userToken}`)).status, 403, 'a user’s access token is FORBIDDEN');

    await api(app.url, '/api/user/session/delete', { method: 'DELETE', cookie: admin.cookie });
    assert.equal((await list(`Bearer ${admin.cookie}`)).status, 401, 'a closed admin session is no credential');
    assert.equal((await list(`Bearer ${token}`)).status, 401, 'nor is an access token of it');
  });

  test('an administrator whose session passed no second factor gets MFA_REQUIRED (401)', async () => {
    const admin = await signUp(app, 'root-without-totp');
    await app.core.store.users.update('main', admin.userId, { role: 'admin' });
    const refused = await list(`Bearer ${admin.cookie}`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'MFA_REQUIRED');
    const [event] = (await rejections()).filter((e) => e.actor === admin.userId);
    assert.deepEqual(JSON.parse(event!.details!), { operation: 'sessions_service.get_sessions', reason: 'mfa_required' });
  });

  test('the correlation id comes from the header or the query and is echoed in header and error', async () => {
    const byHeader = await list(undefined, { 'x-correlation-id': 'trace-123' });
    assert.equal(byHeader.headers.get('x-correlation-id'), 'trace-123');
    assert.equal(byHeader.body.correlation_id, 'trace-123');

    const byQuery = await api(app.url, '/v1/sessions/close_session?correlation_id=trace-456', { body: { session_id: 'none' }, bearer: key });
    assert.equal(byQuery.status, 404);
    assert.equal(byQuery.headers.get('x-correlation-id'), 'trace-456');
    assert.equal(byQuery.body.correlation_id, 'trace-456');

    const ok = await api(app.url, '/sessions/get_sessions', { body: {}, bearer: key, headers: { 'x-correlation-id': 'trace-789' } });
    assert.equal(ok.headers.get('x-correlation-id'), 'trace-789');

    const generated = await list(undefined, { 'x-correlation-id': 'not a sane id <script>' });
    assert.match(generated.body.correlation_id, /^[0-9a-f-]{36}$/);
    assert.equal(generated.headers.get('x-correlation-id'), generated.body.correlation_id);
  });

  test('the OpenAPI document lists each operation under both prefixes with its schemas', async () => {
    const { body: document } = await api(app.url, '/openapi.json');
    for (const prefix of ['/sessions', '/v1/sessions']) {
      for (const operation of ['get_sessions', 'get_session_by_id', 'open_session', 'store_session_data', 'close_session', 'delete_session_by_id']) {
        const post = document.paths[`${prefix}/${operation}`]?.post;
        assert.ok(post, `${prefix}/${operation}`);
        assert.equal(post.description, `Operation \`sessions_service.${operation}\`.`);
        assert.ok(post.requestBody.content['application/json'].schema.properties);
        assert.ok(post.responses['200'].content['application/json'].schema);
        assert.deepEqual(Object.keys(post.responses['401'].content['application/json'].schema.properties).sort(), errorFields);
        assert.deepEqual(post.security, [{ serviceKey: [] }, { bearer: [] }]);
      }
    }
  });
});
