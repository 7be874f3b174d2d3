// Password reset by mail, end to end against a real SMTP server: the mail arrives with the
// code in text and HTML, the code works once, wrong codes count toward a limit of five, an
// unknown account gets the same answer and no mail, a dead mail server changes nothing in
// the answer, and without SMTP_URL the mail lands in the outbox as an .eml file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { password, startApp, type TestApp } from '../support/harness.js';
import { assertV1Error, assertV1Success, assertV2Error, assertV2Success, member, v1, v2 } from '../support/messages.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

const codeIn = (text: string): string => /reset code is: ([A-Z0-9]{10})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);
const newPassword = 'a brand new passphrase';

function assertResetAnswer(data: { reset_id: unknown; expires_at: unknown }, now: number): void {
  assert.deepEqual(Object.keys(data).sort(), ['expires_at', 'reset_id']);
  assert.equal(typeof data.reset_id, 'string');
  assert.equal(data.expires_at, new Date(now + 15 * 60_000).toISOString());
}

describe('password reset over SMTP', () => {
  let smtp: TestSmtp;
  let app: TestApp;
  before(async () => {
    smtp = await startSmtp();
    app = await startApp({ SMTP_URL: smtp.url, SESSION_LIMIT_PER_USER: '0', MAIL_FROM: 'Gatehouse <gate@example.com>' });
  });
  after(async () => {
    await app.close();
    await smtp.close();
  });

  test('the mailed code sets a new password once, closes every session, and is audited', async () => {
    const user = await member(app);
    const other = await v2(app, 'RequestLoginToken', { username: user.username, password });
    const answer = assertV2Success(await v2(app, 'RequestAccountReset', { username: user.username }));
    assertResetAnswer(answer, app.clock.now());
    const mail = await smtp.next();
    assert.equal(mail.subject, 'Your password reset code');
    assert.equal((mail.to as { text: string }).text, `${user.username}@example.com`);
    assert.deepEqual(mail.from?.value.map((a) => [a.name, a.address]), [['Gatehouse', 'gate@example.com']]);
    const code = codeIn(mail.text ?? '');
    assert.ok(String(mail.html).includes(code), 'the HTML body has the code too');
    assert.ok(!JSON.stringify(answer).includes(code), 'the answer never carries the code');
    const stored = await app.core.store.kysely.selectFrom('reset_codes').selectAll().execute();
    assert.ok(stored.every((row) => !row.code_digest.includes(code)), 'stored only as a digest');

    assert.equal(assertV2Success(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: code, new_password: newPassword, username: user.username })), null);
    assertV2Error(await v2(app, 'RequestAccountData', {}, { token: user.token }), 401, 'unauthenticated');
    assertV2Error(await v2(app, 'RequestAccountData', {}, { token: other.body.data }), 401, 'unauthenticated');
    assertV2Error(await v2(app, 'RequestLoginToken', { username: user.username, password }), 401, 'invalid_credentials');
    assertV2Success(await v2(app, 'RequestLoginToken', { username: user.username, password: newPassword }));
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: code, new_password: 'yet another passphrase', username: user.username }), 401, 'invalid_credentials');
    const events = (await app.core.store.audit.listForTarget('main', user.userId, 20)).map((e) => e.type);
    assert.ok(events.includes('password.reset') && events.includes('password.reset_requested'));
  });

  test('v1 with user-email and a signed-in request; a wrong code counts, five wrong ones kill the code', async () => {
    const user = await member(app);
    assertResetAnswer(assertV1Success(await v1(app, 'RequestAccountReset', {}, { token: user.token })), app.clock.now());
    const code = codeIn((await smtp.next()).text ?? '');
    const attempt = (resetCode: string) => v1(app, 'RequestAccountPasswordUpdate', { reset_code: resetCode, 'new-password': newPassword, 'user-email': `${user.username}@example.com` });
    for (let n = 0; n < 5; n++) assertV1Error(await attempt('WRONGCODE2'), 401, 'invalid_credentials');
    // Code tries count toward the account's throttle too: the sixth must wait first.
    assertV1Error(await attempt(code), 429, 'rate_limited');
    app.clock.advance(2_000);
    assertV1Error(await attempt(code), 401, 'invalid_credentials');
    app.clock.advance(5_000);
    assertV2Success(await v2(app, 'RequestLoginToken', { username: user.username, password }), 200);
  });

  test('four wrong codes leave the right one working; an expired code is dead', async () => {
    const user = await member(app);
    assertV2Success(await v2(app, 'RequestAccountReset', { user_email: `${user.username}@example.com` }));
    const code = codeIn((await smtp.next()).text ?? '');
    for (let n = 0; n < 4; n++) assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: 'WRONGCODE2', new_password: newPassword, username: user.username }), 401, 'invalid_credentials');
    assertV2Success(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: code.toLowerCase(), new_password: newPassword, username: user.username }));

    assertV2Success(await v2(app, 'RequestAccountReset', { username: user.username }));
    const late = codeIn((await smtp.next()).text ?? '');
    app.clock.advance(15 * 60_000);
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: late, new_password: password, username: user.username }), 401, 'invalid_credentials');
  });

  test('an unknown account gets the same answer and no mail is sent', async () => {
    const before = smtp.received.length;
    assertResetAnswer(assertV2Success(await v2(app, 'RequestAccountReset', { username: 'nobody-at-all' })), app.clock.now());
    assertResetAnswer(assertV1Success(await v1(app, 'RequestAccountReset', { 'user-email': 'nobody@example.com' })), app.clock.now());
    await app.core.mail.drain();
    assert.equal(smtp.received.length, before);
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: 'ABCDEFGHJK', new_password: newPassword, username: 'nobody-at-all' }), 401, 'invalid_credentials');
  });

  test('bad requests: both or neither account name, a token with a name, a short new password, mixed paths', async () => {
    const user = await member(app);
    assertV2Error(await v2(app, 'RequestAccountReset', {}), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountReset', { username: user.username, user_email: 'x@example.com' }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountReset', { username: user.username }, { token: user.token }), 400, 'validation_failed');
    assertV1Error(await v1(app, 'RequestAccountReset', { user_email: 'x@example.com' }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: 'ABCDEFGHJK', new_password: 'short', username: user.username }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: 'ABCDEFGHJK', old_password: password, new_password: newPassword, username: user.username }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { new_password: newPassword, username: user.username }), 400, 'validation_failed');
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { old_password: password, new_password: newPassword }), 401, 'unauthenticated');
  });

  test('with a token and the old password; a wrong old password is invalid_credentials; other sessions close', async () => {
    const user = await member(app);
    const second = assertV2Success<string>(await v2(app, 'RequestLoginToken', { username: user.username, password }));
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { old_password: 'not the password', new_password: newPassword }, { token: user.token }), 401, 'invalid_credentials');
    assertV2Error(await v2(app, 'RequestAccountPasswordUpdate', { new_password: newPassword }, { token: user.token }), 400, 'validation_failed');
    assertV1Success(await v1(app, 'RequestAccountPasswordUpdate', { 'old-password': password, 'new-password': newPassword }, { token: user.token }));
    assertV2Success(await v2(app, 'RequestAccountData', {}, { token: user.token }));
    assertV2Error(await v2(app, 'RequestAccountData', {}, { token: second }), 401, 'unauthenticated');
    assertV2Success(await v2(app, 'RequestLoginToken', { username: user.username, password: newPassword }));
  });
});

test('a mail server that is down changes nothing in the answer', async () => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const app = await startApp({ SMTP_URL: `smtp://127.0.0.1:${port}` });
  try {
    const user = await member(app);
    const known = assertV2Success(await v2(app, 'RequestAccountReset', { username: user.username }));
    const unknown = assertV2Success(await v2(app, 'RequestAccountReset', { username: 'nobody-at-all' }));
    assertResetAnswer(known, app.clock.now());
    assertResetAnswer(unknown, app.clock.now());
    await app.core.mail.drain();
  } finally {
    await app.close();
  }
});

test('without SMTP_URL the mail is written to <data>/outbox as an .eml file', async () => {
  const app = await startApp();
  try {
    const user = await member(app);
    assertV2Success(await v2(app, 'RequestAccountReset', { username: user.username }));
    await app.core.mail.drain();
    const outbox = join(app.dataDir, 'outbox');
    const files = readdirSync(outbox);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /\.eml$/);
    const mail = await simpleParser(readFileSync(join(outbox, files[0]!)));
    assert.equal((mail.to as { text: string }).text, `${user.username}@example.com`);
    const code = codeIn(mail.text ?? '');
    assertV2Success(await v2(app, 'RequestAccountPasswordUpdate', { reset_code: code, new_password: newPassword, username: user.username }));
  } finally {
    await app.close();
  }
});
