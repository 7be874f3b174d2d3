// The account messages over AMQP against the real RabbitMQ: every message gives what
// POST /api/v2/<Message> gives (status, status_message, data shape), a thousand requests in
// flight are each answered under their own correlation id, and /readyz and /metrics say so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, password, type TestApp } from '../support/harness.js';
import { connectClient, deleteQueues, startAmqpNode, uniqueQueue, type TestClient } from '../support/amqp.js';
import { member, v2, type Member } from '../support/messages.js';
import { sharedRabbit } from '../support/services.js';

const rabbit = await sharedRabbit();
const skip = 'skip' in rabbit ? rabbit.skip : false;
const url = 'skip' in rabbit ? '' : rabbit.url;

/** The shape of a value: types and keys, not the values (ids and times differ between calls). */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]));
  return typeof value;
}

interface Call {
  body: Record<string, unknown>;
  token?: string;
  database?: string;
}

interface Case {
  name: string;
  message: string;
  status: number;
  /** A fresh call for each transport, since most calls change something. */
  call(): Promise<Call>;
}

let counter = 0;
const fresh = () => `amqpuser${++counter}`;

describe('account messages over AMQP', { skip }, () => {
  let app: TestApp;
  let client: TestClient;
  let moderator: Member;
  const queue = uniqueQueue();
  before(async () => {
    app = await startAmqpNode(url, queue, { SESSION_LIMIT_PER_USER: '0' });
    client = await connectClient(url, queue);
    moderator = await member(app, 'moderator');
  });
  after(async () => {
    await client?.close();
    await app?.close();
    await deleteQueues(url, queue);
  });

  const someone = () => member(app, 'user', { username: fresh() });
  const cases: Case[] = [
    { name: 'login', message: 'RequestLoginToken', status: 200, call: async () => ({ body: { username: (await someone()).username, password } }) },
    { name: 'login with a wrong password', message: 'RequestLoginToken', status: 401, call: async () => ({ body: { username: (await someone()).username, password: 'wrong password here' } }) },
    { name: 'invalidate', message: 'RequestInvalidateLoginToken', status: 200, call: async () => ({ body: {}, token: (await someone()).token }) },
    { name: 'create', message: 'RequestAccountCreate', status: 201, call: async () => { const username = fresh(); return { body: { username, user_email: `${username}@example.com`, password } }; } },
    { name: 'create with a short password', message: 'RequestAccountCreate', status: 400, call: async () => ({ body: { username: fresh(), user_email: `${fresh()}@example.com`, password: 'short' } }) },
    { name: 'create a moderator without a token', message: 'RequestAccountCreate', status: 403, call: async () => { const username = fresh(); return { body: { username, user_email: `${username}@example.com`, password, role: 'moderator' } }; } },
    { name: 'reset', message: 'RequestAccountReset', status: 200, call: async () => ({ body: { username: (await someone()).username } }) },
    { name: 'password update', message: 'RequestAccountPasswordUpdate', status: 200, call: async () => ({ body: { old_password: password, new_password: 'another good password' }, token: (await someone()).token }) },
    { name: 'delete own account', message: 'RequestAccountDelete', status: 200, call: async () => ({ body: {}, token: (await someone()).token }) },
    { name: 'privileges by a user', message: 'UpdateAccountPrivileges', status: 403, call: async () => { const user = await someone(); return { body: { user_id: user.userId, new_role: 'admin' }, token: user.token }; } },
    { name: 'rename', message: 'UpdateAccount', status: 200, call: async () => { const username = fresh(); return { body: { username, user_email: `${username}@example.com` }, token: (await someone()).token }; } },
    { name: 'account data', message: 'RequestAccountData', status: 200, call: async () => ({ body: {}, token: (await someone()).token }) },
    { name: 'account data without a token', message: 'RequestAccountData', status: 401, call: async () => ({ body: {} }) },
    { name: 'account data with a forged token', message: 'RequestAccountData', status: 401, call: async () => ({ body: {}, token: 'not.a.token' }) },
    { name: 'account data in an unknown database', message: 'RequestAccountData', status: 404, call: async () => ({ body: {}, token: (await someone()).token, database: 'nosuchdb' }) },
    { name: 'account data in an invalid database', message: 'RequestAccountData', status: 400, call: async () => ({ body: {}, token: (await someone()).token, database: 'Not Valid!' }) },
    { name: 'ban', message: 'RequestBanUser', status: 200, call: async () => ({ body: { user_id: (await someone()).userId, permanent: true }, token: moderator.token }) },
    { name: 'unban one not banned', message: 'RequestUnbanUser', status: 409, call: async () => ({ body: { user_id: (await someone()).userId }, token: moderator.token }) },
    { name: 'flag', message: 'RequestFlagUser', status: 200, call: async () => ({ body: { user_id: (await someone()).userId, reason: 'spam' }, token: (await someone()).token }) },
    { name: 'all flagged', message: 'RequestAllFlagged', status: 200, call: async () => ({ body: {}, token: moderator.token }) },
    { name: 'all flagged by a user', message: 'RequestAllFlagged', status: 403, call: async () => ({ body: {}, token: (await someone()).token }) },
    { name: 'username', message: 'RequestUsername', status: 200, call: async () => ({ body: { user_id: moderator.userId }, token: (await someone()).token }) },
    { name: 'refresh', message: 'RequestTokenRefresh', status: 200, call: async () => ({ body: {}, token: (await someone()).token }) },
    { name: 'a field of the wrong type', message: 'RequestUsername', status: 400, call: async () => ({ body: { user_id: 42 }, token: (await someone()).token }) },
  ];

  test('every message answers over AMQP as over HTTP v2: status, status_message and the shape of data', async () => {
    const messages = new Set(cases.map((c) => c.message));
    assert.equal(messages.size, 15, 'the table covers all fifteen messages');
    for (const c of cases) {
      const overHttp = await c.call();
      const http = await v2(app, c.message, overHttp.body, { token: overHttp.token, headers: overHttp.database ? { 'x-database': overHttp.database } : {} });
      const overAmqp = await c.call();
      const reply = await client.request({ type: c.message, body: overAmqp.body, jwt: overAmqp.token, database: overAmqp.database });
      const context = `${c.name}: HTTP ${http.status} ${http.text.slice(0, 200)} / AMQP ${reply.status} ${JSON.stringify(reply.error ?? reply.data).slice(0, 200)}`;
      assert.equal(http.status, c.status, context);
      assert.equal(reply.status, c.status, context);
      assert.equal(reply.statusMessage, http.headers.get('status_message'), context);
      assert.ok(Number.isInteger(reply.processingTimeNs) && reply.processingTimeNs > 0, context);
      assert.equal(reply.nodeId, 'test-node', context);
      assert.deepEqual(shapeOf(reply.data), shapeOf(http.body.data), context);
      if (c.status >= 400) {
        assert.equal(reply.error?.code, http.body.error.code, context);
        assert.equal(reply.error?.message, http.body.error.message, context);
      } else {
        assert.equal(reply.error, undefined, context);
      }
    }
  });

  test('a thousand requests in flight at once are each answered under their own correlation id', async () => {
    const users = await Promise.all([someone(), someone(), someone(), someone()]);
    const asker = await someone();
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        client.request({ type: 'RequestUsername', body: { user_id: users[i % 4]!.userId }, jwt: asker.token, correlationId: `bulk-${i}`, timeoutMs: 30_000 }).then((reply) => ({ i, reply })),
      ),
    );
    for (const { i, reply } of replies) {
      assert.equal(reply.correlationId, `bulk-${i}`);
      assert.equal(reply.status, 200, JSON.stringify(reply.error));
      assert.deepEqual(reply.data, { username: users[i % 4]!.username });
    }
  });

  test('a client_address header attributes a login to the end user’s address; without one, to the broker user', async () => {
    const user = await someone();
    const failedAt = async (headers: Record<string, string>) => {
      const reply = await client.raw(JSON.stringify({ username: user.username, password: 'not the password' }), { type: 'RequestLoginToken', contentType: 'application/json', headers });
      assert.equal(reply.headers.status_code, 401);
      const [event] = await app.core.store.audit.listForTarget('main', user.userId, 1);
      return event?.address;
    };
    assert.equal(await failedAt({ client_address: '203.0.113.9' }), '203.0.113.9');
    assert.match((await failedAt({ client_address: 'not an address' }))!, /^amqp:/, 'a header that is no IP address is not trusted');
    assert.match((await failedAt({}))!, /^amqp:/);
  });

  test('/readyz reports the link and /metrics counts what the node received and answered', async () => {
    const ready = await api(app.url, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', amqp: 'consuming' });
    const metrics = (await api(app.url, '/metrics')).text;
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm').exec(metrics)?.[1]);
    assert.ok(value('gatehouse_amqp_received_total') >= 1000 + cases.length);
    assert.ok(value('gatehouse_amqp_replied_total{status="200"}') >= 1000);
    assert.ok(value('gatehouse_amqp_rejected_total') >= cases.filter((c) => c.status >= 400).length);
    assert.equal(value('gatehouse_amqp_connected'), 1);
    assert.ok(value('gatehouse_amqp_handling_seconds_count') >= 1000);
  });
});
