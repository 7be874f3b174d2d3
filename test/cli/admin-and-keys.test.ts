// The operator commands run for real, as a separate process against the store of a running
// service: `admin create` (its URI yields codes the service accepts), `keys rotate` and
// `secret-key rotate` (nothing stored stops working).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import * as OTPAuth from 'otpauth';
import { testPasswordHash, api, startApp, type TestApp } from '../support/harness.js';
import { assertRestSuccess } from '../support/rest.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function gatehouse(app: TestApp, args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/cli/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, GATEHOUSE_DATA_DIR: app.dataDir, PASSWORD_HASH: testPasswordHash, LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('gatehouse admin create, keys rotate, secret-key rotate', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  test('admin create prints the URI and a QR code; its codes open an administrator session that passed TOTP', async () => {
    const plain = await gatehouse(app, ['admin', 'create', '--username', 'root', '--password-stdin'], 'correct horse battery staple\n');
    assert.equal(plain.code, 0, plain.stderr);
    const uri = /otpauth:\/\/totp\/\S+/.exec(plain.stdout)?.[0];
    assert.ok(uri, plain.stdout);
    assert.match(plain.stdout, /[▀▄█]/, 'a QR code drawn in the terminal');

    const json = await gatehouse(app, ['admin', 'create', '--username', 'ops', '--email', 'ops@example.com', '--password-stdin', '--json'], 'another long password');
    assert.equal(json.code, 0, json.stderr);
    const created = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(created).sort(), ['otpauth_url', 'totp_secret', 'user_id', 'username']);
    assert.equal(created.username, 'ops');

    const totp = OTPAuth.URI.parse(uri!) as OTPAuth.TOTP;
    const body = { username: 'root', password: 'correct horse battery staple' };
    assert.equal((await api(app.url, '/api/user/session/create', { body })).body.error.code, 'mfa_required');
    const login = await api(app.url, '/api/user/session/create', { body: { ...body, totp: totp.generate({ timestamp: app.clock.now() }) } });
    const session = assertRestSuccess(login);
    const cookie = /sid=([^;]+)/.exec(login.headers.get('set-cookie')!)![1]!;
    assert.equal(assertRestSuccess(await api(app.url, '/api/user/permissions', { cookie })).role, 'admin');
    const asService = await api(app.url, '/sessions/get_sessions', { bearer: cookie, body: {} });
    assert.equal(asService.status, 200, 'administrative power, with the second factor');
    assert.ok(asService.body.data.some((s: { id: string }) => s.id === session.session_id));

    const opsCode = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(created.totp_secret) }).generate({ timestamp: app.clock.now() });
    assert.equal((await api(app.url, '/api/user/session/create', { body: { username: 'ops', password: 'another long password', totp: opsCode } })).status, 200);
  });

  test('admin create refuses bad input with a reason and exit codes 1 and 2', async () => {
    const taken = await gatehouse(app, ['admin', 'create', '--username', 'root', '--email', 'other@example.com', '--password-stdin', '--json'], 'correct horse battery staple');
    // Exit code 1 is set after the command's core has closed: a shutdown that let the event
    // loop end early (HashThread.stop) once made this exit 0 with the refusal printed.
    assert.equal(taken.code, 1, `stdout: ${taken.stdout}\nstderr: ${taken.stderr}`);
    assert.equal(JSON.parse(taken.stderr).error.code, 'username_taken');
    const short = await gatehouse(app, ['admin', 'create', '--username', 'shorty', '--password-stdin'], 'short');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password: must be 8 to 256 characters/);
    assert.equal((await gatehouse(app, ['admin', 'create', '--username', 'x'])).code, 2, 'the password comes only from stdin');
  });

  test('keys rotate: the running service publishes the new key within its refresh, and old tokens keep working', async () => {
    await api(app.url, '/api/user/register', { body: { username: 'tokenuser', email: 'tokenuser@example.com', password: 'correct horse battery staple' } });
    const cookie = /sid=([^;]+)/.exec((await api(app.url, '/api/user/session/create', { body: { username: 'tokenuser', password: 'correct horse battery staple' } })).headers.get('set-cookie')!)![1]!;
    const old = assertRestSuccess(await api(app.url, '/api/user/token', { method: 'POST', cookie })).token as string;

    const run = await gatehouse(app, ['keys', 'rotate', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const rotated = JSON.parse(run.stdout);
    assert.ok(rotated.retired.includes(decodeProtectedHeader(old).kid));
    app.clock.advance(31_000); // past the node's key refresh
    const kids = (await api(app.url, '/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid);
    assert.ok(kids.includes(rotated.kid) && kids.includes(decodeProtectedHeader(old).kid));
    const fresh = assertRestSuccess(await api(app.url, '/api/user/token', { method: 'POST', cookie })).token as string;
    assert.equal(decodeProtectedHeader(fresh).kid, rotated.kid);
    assertRestSuccess(await api(app.url, '/api/user', { bearer: old }));
    assertRestSuccess(await api(app.url, '/api/user', { bearer: fresh }));
  });

  test('secret-key rotate re-seals every secret with a new key file; the service and its users notice nothing', async () => {
    const before = readFileSync(join(app.dataDir, 'secret.key'), 'utf8');
    const run = await gatehouse(app, ['secret-key', 'rotate', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.ok(result.resealed >= 3, `signing keys and TOTP secrets re-sealed (${result.resealed})`);
    assert.equal(result.dropped.length, 1);
    const after = readFileSync(join(app.dataDir, 'secret.key'), 'utf8');
    assert.notEqual(after, before);
    assert.equal(after.trim().split('\n').length, 1, 'only the new key is left');

    // TOTP secrets open with the new key: the running service re-reads the key file.
    app.clock.advance(60_000);
    const { otpauth_url } = JSON.parse((await gatehouse(app, ['admin', 'create', '--username', 'after-rotation', '--password-stdin', '--json'], 'correct horse battery staple')).stdout);
    const totp = OTPAuth.URI.parse(otpauth_url) as OTPAuth.TOTP;
    const body = { username: 'after-rotation', password: 'correct horse battery staple', totp: totp.generate({ timestamp: app.clock.now() }) };
    assert.equal((await api(app.url, '/api/user/session/create', { body })).status, 200);
    const records = await app.core.store.totp.listAll();
    assert.ok(records.every((record) => app.core.secrets.isCurrent(record.sealedSecret)), 'every TOTP secret is sealed with the new key');
    assert.match(app.core.secrets.open(records[0]!.sealedSecret, `totp:main:${records[0]!.userId}`), /^[A-Z2-7]+$/);
    app.clock.advance(31_000);
    const cookie = /sid=([^;]+)/.exec((await api(app.url, '/api/user/session/create', { body: { username: 'tokenuser', password: 'correct horse battery staple' } })).headers.get('set-cookie')!)![1]!;
    assertRestSuccess(await api(app.url, '/api/user/token', { method: 'POST', cookie }));
  });
});
