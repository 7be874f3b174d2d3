// The password policy (NIST SP 800-63B): length in characters, the common-password list,
// the account's own names; and that every surface setting a password applies it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkNewPassword } from '../../src/accounts/password-policy.js';
import { GatehouseError } from '../../src/core/errors.js';
import { signUpAdmin } from '../support/admin.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';

function refusal(run: () => void): GatehouseError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof GatehouseError);
    return err;
  }
  assert.fail('the password was accepted');
}

describe('checkNewPassword', () => {
  test('refuses common passwords whatever their case, naming the field', () => {
    for (const common of ['password1', 'iloveyou', 'QWERTYUIOP', 'Trustno1']) {
      const err = refusal(() => checkNewPassword(common, 'new_password'));
      assert.equal(err.code, 'validation_failed');
      assert.match(err.message, /^new_password: .*common/);
    }
  });

  test('refuses the username or email, compared case-insensitively', () => {
    assert.match(refusal(() => checkNewPassword('Alice.Example', 'password', { username: 'alice.example' })).message, /username or email/);
    assert.match(refusal(() => checkNewPassword('ALICE@EXAMPLE.COM', 'password', { email: 'alice@example.com' })).message, /username or email/);
  });

  test('counts characters, not UTF-16 units, and has no composition rules', () => {
    assert.match(refusal(() => checkNewPassword('😀'.repeat(7))).message, /8 to 256/);
    assert.match(refusal(() => checkNewPassword('x'.repeat(257))).message, /8 to 256/);
    checkNewPassword('😀'.repeat(8));
    checkNewPassword('all lower case words');
    checkNewPassword(password, 'password', { username: 'alice', email: 'alice@example.com' });
  });
});

describe('every surface that sets a password applies the policy', () => {
  let app: TestApp;
  before(async () => (app = await startApp()));
  after(() => app.close());

  const refusedAs = async (path: string, body: unknown, field: string, extra: { cookie?: string; headers?: Record<string, string> } = {}) => {
    const response = await api(app.url, path, { method: path.includes('update') && path.startsWith('/api/user') ? 'PATCH' : 'POST', body, ...extra });
    assert.equal(response.status, 400, `${path}: ${response.text}`);
    assert.match(response.text, new RegExp(`${field}: `), `${path}: ${response.text}`);
    assert.match(response.text, /validation_failed/);
  };

  test('REST registration and update, v1/v2 account creation and password update, RPC create_user', async () => {
    await refusedAs('/api/user/register', { username: 'newbie', email: 'newbie@example.com', password: 'password1' }, 'password');
    await refusedAs('/api/user/register', { username: 'newbie', email: 'newbie@example.com', password: 'NEWBIE@example.com' }, 'password');
    await refusedAs('/api/v2/RequestAccountCreate', { username: 'newbie', user_email: 'newbie@example.com', password: 'iloveyou' }, 'password');
    await refusedAs('/api/v1/RequestAccountCreate', { username: 'newbie', 'user-email': 'newbie@example.com', password: 'newbie' + '@EXAMPLE.com' }, 'password');
    const alice = await signUp(app, 'alice');
    await refusedAs('/api/user/update', { password: 'qwertyuiop', current_password: password }, 'password', { cookie: alice.cookie });
    await refusedAs('/api/user/update', { password: 'ALICE', current_password: password }, 'password', { cookie: alice.cookie });
    const token = (await api(app.url, '/api/user/token', { method: 'POST', cookie: alice.cookie })).body.data.token as string;
    await refusedAs('/api/v2/RequestAccountPasswordUpdate', { old_password: password, new_password: 'alice@example.com' }, 'new_password', { headers: { jwt: token } });
    await refusedAs('/api/v2/RequestAccountPasswordUpdate', { reset_code: 'ABCDEFGHJK', username: 'alice', new_password: 'sunshine1' }, 'new_password');
    const admin = await signUpAdmin(app);
    await refusedAs('/rpc', { method: 'create_user', authToken: admin.cookie, user: 'bob', secret: 'football' }, 'secret');
  });
});
