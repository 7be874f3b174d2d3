// The README's curl session must work exactly as written: each command is run with curl
// against a live server (only the host:port is pointed at the test server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../support/harness.js';

const run = promisify(execFile);

/** The commands of the first sh block under a README heading, one per entry. */
function readmeCommands(heading: string): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split(`## ${heading}`)[1];
  assert.ok(section, `README has a "${heading}" section`);
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  // Join continuation lines; one command per entry.
  return block.replace(/\\\n\s*/g, '').split('\n').map((line) => line.trim()).filter(Boolean);
}

test('the README curl session works as written', async () => {
  const app = await startApp();
  const cwd = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
  try {
    const commands = readmeCommands('Try it with curl');
    assert.ok(commands.length >= 9, 'register, log in, validate, profile, update, permissions, sessions, log out, log in, delete');
    const host = app.url.replace('http://', '');
    const outputs: Array<{ command: string; body: { status: string; data: any } }> = [];
    for (const command of commands) {
      // Asynchronous on purpose: the server answering curl runs in this process.
      const { stdout } = await run('bash', ['-c', command.replaceAll('localhost:8080', host)], { cwd, encoding: 'utf8', timeout: 10_000 });
      outputs.push({ command, body: JSON.parse(stdout) });
    }
    for (const { command, body } of outputs) assert.equal(body.status, 'success', `${command} → ${JSON.stringify(body)}`);
    const [registered, , , profile, updated] = outputs.map((o) => o.body.data);
    assert.equal(registered.username, 'alice');
    assert.equal(profile.user_id, registered.user_id);
    assert.equal(updated.full_name, 'Alice Liddell');
    // The last command deleted the account: the name is free again.
    assert.equal(await app.core.store.users.findById('main', registered.user_id), undefined);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    await app.close();
  }
});

test('the README access-token session works as written', async () => {
  const app = await startApp();
  const cwd = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
  try {
    const commands = readmeCommands('Access tokens');
    const host = app.url.replace('http://', '');
    const outputs: string[] = [];
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', command.replaceAll('localhost:8080', host)], { cwd, encoding: 'utf8', timeout: 10_000 });
      outputs.push(stdout);
    }
    const token = readFileSync(join(cwd, 'token.txt'), 'utf8').trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the sed line extracted a JWT');
    const [registered, , , profile, validated, renewed, loggedOut, afterLogout] = outputs.map((o) => (o ? JSON.parse(o) : undefined));
    assert.equal(registered.status, 'success');
    assert.equal(profile.data.username, 'tokyo');
    assert.equal(validated.status, 'success');
    assert.equal(renewed.status, 'success');
    assert.equal(loggedOut.status, 'success');
    assert.deepEqual([afterLogout.status, afterLogout.error.code], ['error', 'unauthenticated'], 'the token of a closed session is refused');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    await app.close();
  }
});

test('the README account-message examples work as written, one per framing', async () => {
  const app = await startApp();
  const cwd = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
  try {
    const commands = readmeCommands('Account messages with curl');
    assert.equal(commands.length, 2, 'one v1 and one v2 example');
    const host = app.url.replace('http://', '');
    const outputs: any[] = [];
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', command.replaceAll('localhost:8080', host)], { cwd, encoding: 'utf8', timeout: 10_000 });
      outputs.push(JSON.parse(stdout));
    }
    const [created, login] = outputs;
    assert.equal(created.status_code, 201, JSON.stringify(created));
    assert.equal(created.message, 'Created');
    assert.equal(typeof created.processing_time, 'number');
    assert.equal(created.node_respondant, 'test-node');
    assert.equal((await app.core.store.users.findById('main', created.data['user-id']))?.username, 'bob');
    assert.equal(typeof login.data, 'string', JSON.stringify(login));
    assert.equal((await app.core.tokens.verify(login.data))?.sub, created.data['user-id']);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    await app.close();
  }
});
