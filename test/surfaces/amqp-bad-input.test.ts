// Malformed AMQP requests against the real RabbitMQ: each kind gets an error reply with its
// catalog code and is followed by a valid request that is still answered; a request without
// reply_to lands in the dead-letter queue. The consumer never stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Options } from 'amqplib';
import type { TestApp } from '../support/harness.js';
import { connectClient, deleteQueues, startAmqpNode, uniqueQueue, type TestClient } from '../support/amqp.js';
import { member, type Member } from '../support/messages.js';
import { sharedRabbit } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { deadLetterName } from '../../src/surfaces/amqp/consumer.js';

const rabbit = await sharedRabbit();
const skip = 'skip' in rabbit ? rabbit.skip : false;
const url = 'skip' in rabbit ? '' : rabbit.url;

interface Malformed {
  name: string;
  content: Buffer | string;
  properties: Options.Publish;
  status: number;
  code: string;
}

describe('malformed AMQP requests', { skip }, () => {
  let app: TestApp;
  let client: TestClient;
  let user: Member;
  const queue = uniqueQueue();
  before(async () => {
    app = await startAmqpNode(url, queue, { BODY_LIMIT: '4kb', BODY_MAX_DEPTH: '16' });
    client = await connectClient(url, queue);
    user = await member(app);
  });
  after(async () => {
    await client?.close();
    await app?.close();
    await deleteQueues(url, queue);
  });

  const json = { contentType: 'application/json' };
  const asUser = () => ({ headers: { jwt: user.token } });
  const cases: () => Malformed[] = () => [
    { name: 'not JSON', content: '{"user_id":', properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 400, code: 'validation_failed' },
    { name: 'not UTF-8', content: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 400, code: 'validation_failed' },
    { name: 'too deep', content: `{"user_id":${'['.repeat(40)}${']'.repeat(40)}}`, properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 400, code: 'validation_failed' },
    { name: 'an array, not an object', content: '[1,2,3]', properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 400, code: 'validation_failed' },
    { name: 'a string, not an object', content: '"hello"', properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 400, code: 'validation_failed' },
    { name: 'a prototype key', content: '{"__proto__":{"admin":true}}', properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 400, code: 'validation_failed' },
    { name: 'an unknown type', content: '{}', properties: { ...json, type: 'RequestEverything' }, status: 404, code: 'not_found' },
    { name: 'no type', content: '{}', properties: { ...json }, status: 400, code: 'validation_failed' },
    { name: 'oversized', content: JSON.stringify({ user_id: 'x'.repeat(5000) }), properties: { ...json, type: 'RequestUsername', ...asUser() }, status: 413, code: 'payload_too_large' },
    { name: 'not JSON by content_type', content: '{}', properties: { contentType: 'text/plain', type: 'RequestAllFlagged' }, status: 415, code: 'unsupported_media_type' },
    { name: 'compressed', content: '{}', properties: { ...json, contentEncoding: 'gzip', type: 'RequestAllFlagged' }, status: 415, code: 'unsupported_media_type' },
    { name: 'an unknown database', content: '{}', properties: { ...json, type: 'RequestAccountData', headers: { jwt: user.token, database: 'nosuchdb' } }, status: 404, code: 'not_found' },
    { name: 'an invalid database name', content: '{}', properties: { ...json, type: 'RequestAccountData', headers: { jwt: user.token, database: '../main' } }, status: 400, code: 'validation_failed' },
    { name: 'a jwt header that is not a string', content: '{}', properties: { ...json, type: 'RequestAccountData', headers: { jwt: 12345 } }, status: 400, code: 'validation_failed' },
    { name: 'a forged jwt', content: '{}', properties: { ...json, type: 'RequestAccountData', headers: { jwt: 'eyJhbGciOiJub25lIn0.e30.' } }, status: 401, code: 'unauthenticated' },
  ];

  test('each malformed request gets an error reply with its code, and the next valid one is answered', async () => {
    for (const bad of cases()) {
      const reply = await client.raw(bad.content, bad.properties);
      const context = `${bad.name}: ${JSON.stringify(reply)}`;
      assert.equal(reply.headers.status_code, bad.status, context);
      assert.equal(reply.headers.status_message, bad.code, context);
      assert.equal(reply.body.data, null, context);
      assert.equal(reply.body.error.code, bad.code, context);
      assert.equal(typeof reply.body.error.message, 'string', context);
      const valid = await client.request({ type: 'RequestUsername', body: { user_id: user.userId }, jwt: user.token });
      assert.equal(valid.status, 200, `after ${bad.name}: ${JSON.stringify(valid)}`);
      assert.deepEqual(valid.data, { username: user.username });
    }
    assert.ok(app.core.amqp!.connected);
  });

  test('an empty body counts as {} and no content_type as JSON', async () => {
    const reply = await client.raw('', { type: 'RequestAccountData', headers: { jwt: user.token } });
    assert.equal(reply.headers.status_code, 200, JSON.stringify(reply));
    assert.equal(reply.body.data.username, user.username);
  });

  test('requests without reply_to are dead-lettered, valid or not, and the consumer goes on', async () => {
    const inProgress = app.core.amqp!.messagesInProgress;
    client.publish('{"user_id":', { ...json, type: 'RequestUsername', correlationId: 'lost-1' });
    client.publish('{}', { ...json, type: 'RequestAllFlagged', correlationId: 'lost-2' });
    const dead: string[] = [];
    await waitFor('two dead letters', async () => {
      const message = await client.channel.get(deadLetterName(queue), { noAck: true });
      if (message) {
        dead.push(String(message.properties.correlationId));
        const death = (message.properties.headers?.['x-death'] as Array<{ reason: string; queue: string }>)[0]!;
        assert.equal(death.reason, 'rejected');
        assert.equal(death.queue, queue);
      }
      return dead.length === 2;
    });
    assert.deepEqual(dead.sort(), ['lost-1', 'lost-2']);
    const valid = await client.request({ type: 'RequestUsername', body: { user_id: user.userId }, jwt: user.token });
    assert.equal(valid.status, 200);
    assert.equal(app.core.amqp!.messagesInProgress, inProgress);
  });
});
