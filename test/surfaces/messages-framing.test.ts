// The framing-independent part of the message API, without HTTP: field renaming both ways
// and runMessage, the function an AMQP transport calls, which answers every failure as a
// catalog error instead of throwing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseError } from '../../src/core/errors.js';
import { runMessage, toOperationInput, toWireData, v1Framing, v2Framing, wireName } from '../../src/surfaces/messages/framing.js';
import { testContext } from '../support/admin.js';
import { password, startApp, type TestApp } from '../support/harness.js';

describe('message framings', () => {
  test('v1 renames the fields its document names, and refuses their v2 spelling', () => {
    assert.deepEqual(toOperationInput(v1Framing, { 'user-email': 'a@b.c', 'new-password': 'x', username: 'u', new_role: 'user' }), { user_email: 'a@b.c', new_password: 'x', username: 'u', new_role: 'user' });
    assert.throws(() => toOperationInput(v1Framing, { user_email: 'a@b.c' }), (err: unknown) => err instanceof GatehouseError && err.code === 'validation_failed');
    assert.deepEqual(toWireData(v1Framing, { user_id: '1', last_login: null, user_email: 'e', created_at: 't' }), { 'user-id': '1', 'last-login': null, 'user-email': 'e', created_at: 't' });
    assert.equal(toWireData(v1Framing, 'a.jwt.token'), 'a.jwt.token');
    assert.deepEqual([wireName(v1Framing, 'old_password'), wireName(v1Framing, 'ttl')], ['old-password', 'ttl']);
  });

  test('v2 passes names through', () => {
    assert.deepEqual(toOperationInput(v2Framing, { user_email: 'a@b.c' }), { user_email: 'a@b.c' });
    assert.deepEqual(toWireData(v2Framing, { user_id: '1' }), { user_id: '1' });
  });

  describe('runMessage', () => {
    let app: TestApp;
    before(async () => {
      app = await startApp();
    });
    after(() => app.close());
    const run = (name: string, body: unknown, credential?: string) =>
      runMessage(app.core, v2Framing, { name, body, credential, context: async () => testContext(app), log: () => assert.fail('nothing unexpected is logged') });

    test('runs a message and returns its status and data', async () => {
      const created = await run('RequestAccountCreate', { username: 'framed', user_email: 'framed@example.com', password });
      assert.ok(created.ok);
      assert.equal(created.status, 201);
      const token = await run('RequestLoginToken', { username: 'framed', password });
      assert.ok(token.ok && typeof token.data === 'string');
      const data = await run('RequestAccountData', undefined, token.data as string);
      assert.ok(data.ok);
      assert.equal((data.data as { username: string }).username, 'framed');
    });

    test('unknown messages, bad bodies and bad credentials come back as catalog errors', async () => {
      const codeOf = async (outcome: ReturnType<typeof run>) => {
        const result = await outcome;
        assert.equal(result.ok, false);
        return result.ok ? undefined : result.error.code;
      };
      assert.equal(await codeOf(run('RequestTheMoon', {})), 'not_found');
      assert.equal(await codeOf(run('RequestAccountCreate', [1])), 'validation_failed');
      assert.equal(await codeOf(run('RequestAccountCreate', 'text')), 'validation_failed');
      assert.equal(await codeOf(run('RequestAccountData', {}, 'forged.token.here')), 'unauthenticated');
      assert.equal(await codeOf(run('RequestAllFlagged', {})), 'unauthenticated');
    });
  });
});
