// Secrets hygiene over every surface: a full flow with debug logging captured, then no
// password, token, cookie value, reset code or TOTP secret/code may appear in a log line or
// an error reply, and no raw token, code or TOTP secret may sit in any database row.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { createLogger } from '../../src/server/logger.js';
import { testContext, totpCode } from '../support/admin.js';
import { api, password, sidFrom, startApp, type ApiResponse, type TestApp } from '../support/harness.js';
import { rpc } from '../support/rpc.js';

describe('no secret in logs, error replies or database rows', () => {
  let app: TestApp;
  const logLines: string[] = [];
  const errorReplies: string[] = [];
  /** Every secret the flow handled, with what it is (for the failure message). */
  const secrets = new Map<string, string>();
  const keep = (what: string, value: string | undefined) => {
    assert.ok(value, `${what} missing`);
    secrets.set(value, what);
    return value;
  };

  before(async () => {
    const stream = new Writable({ write(chunk, _encoding, done) { logLines.push(String(chunk)); done(); } });
    const logger = createLogger('debug', stream);
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' }, { logger, coreLogger: logger });
  });
  after(() => app.close());

  /** A call whose error replies are kept for the final check. */
  const call = async (path: string, request: Parameters<typeof api>[2] = {}): Promise<ApiResponse> => {
    const response = await api(app.url, path, request);
    if (response.status >= 400) errorReplies.push(`${path} ${response.status} ${response.text} ${JSON.stringify([...response.headers])}`);
    return response;
  };
  const ok = (response: ApiResponse, status = 200) => {
    assert.equal(response.status, status, response.text);
    return response;
  };

  test('a full flow over REST, the sessions service, RPC and the v1/v2 messages', async () => {
    const first = keep('password', password);
    // REST: register, log in, token, TOTP enrol + verify, change password, log in with TOTP.
    ok(await call('/api/user/register', { body: { username: 'alice', email: 'alice@example.com', password: first } }), 201);
    await call('/api/user/session/create', { body: { username: 'alice', password: keep('wrong password', 'wrong horse battery staple') } });
    const login = ok(await call('/api/user/session/create', { body: { username: 'alice', password: first } }));
    const cookie = keep('session cookie', sidFrom(login.headers));
    keep('REST access token', ok(await call('/api/user/token', { method: 'POST', cookie })).body.data.token);
    const enrolment = ok(await call('/api/user/totp', { method: 'POST', cookie })).body.data;
    const totpSecret = keep('TOTP secret', enrolment.secret);
    await call('/api/user/totp/verify', { body: { code: keep('wrong TOTP code', '000000') }, cookie });
    ok(await call('/api/user/totp/verify', { body: { code: keep('TOTP code', totpCode(totpSecret, app.clock.now())) }, cookie }));
    app.clock.advance(30_000);
    const second = keep('new password', 'a second horse battery staple');
    await call('/api/user/update', { method: 'PATCH', cookie, body: { password: second, current_password: keep('wrong current password', 'not the current one at all') } });
    ok(await call('/api/user/update', { method: 'PATCH', cookie, body: { password: second, current_password: first } }));
    const totp = keep('TOTP code', totpCode(totpSecret, app.clock.now()));
    const relogin = ok(await call('/api/user/session/create', { body: { username: 'alice', password: second, totp } }));
    const adminCookie = keep('admin session cookie', sidFrom(relogin.headers));
    await app.core.store.users.update('main', (await app.core.accounts.findByUsername('main', 'alice')).id, { role: 'admin' });

    // Sessions service with a key; a refused key too.
    const serviceKey = keep('service key', (await new ServiceKeyService(app.core.store, app.core.audit).create(testContext(app), 'backend')).key);
    ok(await call('/sessions/open_session', { bearer: serviceKey, body: { user_id: 'external-1', user_name: 'ext', address: '10.0.0.1', client: 'c', user: null, data: { note: 1 } } }));
    await call('/sessions/get_sessions', { bearer: keep('bad service key', `${serviceKey}x`), body: {} });

    // RPC: open_session with TOTP, validate, admin calls with the TOTP-backed session.
    app.clock.advance(30_000);
    const rpcTotp = keep('TOTP code', totpCode(totpSecret, app.clock.now()));
    const opened = await rpc(app, { method: 'open_session', nodeID: 'n1', authentication: { user: 'alice', secret: second, totp: rpcTotp } });
    assert.equal(opened.status, 200, JSON.stringify(opened.body));
    const sessionToken = keep('RPC session token', opened.body.sessionToken);
    assert.equal((await rpc(app, { method: 'validate_session', sessionToken })).body.sessionStatus, 'True');
    const created = await rpc(app, { method: 'create_user', authToken: adminCookie, user: 'bob', secret: keep('bob password', 'bobs very own passphrase') });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const refused = await rpc(app, { method: 'list_databases', authToken: keep('bad RPC token', `${sessionToken}0`) });
    errorReplies.push(JSON.stringify(refused.body));
    await call('/rpc', { body: { method: 'open_session', authentication: { user: 'bob', secret: 'wrong horse battery staple' } } });

    // Messages: v1 and v2 login, reset by mailed code (read from the outbox), new password.
    keep('v1 token', ok(await call('/api/v1/RequestLoginToken', { body: { username: 'bob', password: 'bobs very own passphrase' } })).body.data);
    keep('v2 token', ok(await call('/api/v2/RequestLoginToken', { body: { username: 'bob', password: 'bobs very own passphrase' } })).body.data);
    ok(await call('/api/v2/RequestAccountReset', { body: { username: 'bob' } }));
    await app.core.mail.drain();
    const outbox = join(app.dataDir, 'outbox');
    // Quoted-printable soft line breaks are undone before the code is looked for.
    const mail = readFileSync(join(outbox, readdirSync(outbox).find((f) => f.endsWith('.eml'))!), 'utf8').replace(/=\r?\n/g, '');
    const code = keep('reset code', /reset code is: ([A-Z0-9]{10})/.exec(mail)?.[1]);
    await call('/api/v2/RequestAccountPasswordUpdate', { body: { reset_code: keep('wrong reset code', 'WRONGCODE2'), username: 'bob', new_password: 'bobs second passphrase' } });
    ok(await call('/api/v1/RequestAccountPasswordUpdate', { body: { reset_code: code, username: 'bob', 'new-password': keep('reset password', 'bobs third passphrase') } }));
    // REST deletion with the password, last.
    ok(await call('/api/user/delete', { method: 'DELETE', cookie: adminCookie, body: { password: second } }));
    assert.ok(logLines.length > 20, `debug logging captured (${logLines.length} lines)`);
  });

  test('no log line and no error reply holds any of them', () => {
    for (const [value, what] of secrets) {
      // A 6-digit code is looked for as a JSON string, so a timestamp containing its digits does not count.
      const needle = /^\d{6}$/.test(value) ? `"${value}"` : value;
      for (const line of logLines) assert.ok(!line.includes(needle), `${what} in a log line: ${line.slice(0, 300)}`);
      for (const reply of errorReplies) assert.ok(!reply.includes(needle), `${what} in an error reply: ${reply.slice(0, 300)}`);
    }
    assert.ok(errorReplies.length >= 6, `the flow produced error replies (${errorReplies.length})`);
  });

  test('no database row holds a raw token, code, key, password or TOTP secret', async () => {
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(app.core.store.kysely);
    let rows = 0;
    for (const { name } of tables.rows) {
      const content = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(app.core.store.kysely);
      for (const row of content.rows) {
        rows++;
        const text = JSON.stringify(row, (_key, value) => (Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));
        for (const [value, what] of secrets) if (value.length > 6) assert.ok(!text.includes(value), `${what} stored in ${name}: ${text.slice(0, 200)}`);
      }
    }
    assert.ok(rows > 10, `rows were read (${rows})`);
  });
});
