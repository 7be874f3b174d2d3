// AMQP with more than one node and with a broker that goes away, on the real RabbitMQ: two
// nodes share one queue and both take work; a connection closed by the broker, or cut by a
// TCP proxy, recovers by itself (with /readyz saying so meanwhile); shutdown loses nothing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, type TestApp } from '../support/harness.js';
import { closeConnectionsNamed, connectClient, deleteQueues, startAmqpNode, uniqueQueue } from '../support/amqp.js';
import { sharedRabbit } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const rabbit = await sharedRabbit();
const skip = 'skip' in rabbit ? rabbit.skip : false;
const url = 'skip' in rabbit ? '' : rabbit.url;

// Answered by every node alike without touching shared state: the same reply for any account.
// A request any node answers the same (200) after some work: a reset request for an unknown
// name. Each has its own name and client address, so the reset quotas (per name, per
// address) never come into play.
let resets = 0;
const anyNode = () => {
  const n = ++resets;
  return { type: 'RequestAccountReset', body: { username: `nobody-${n}` }, clientAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
};

describe('AMQP nodes and outages', { skip }, () => {
  const queues: string[] = [];
  const queue = () => {
    const name = uniqueQueue();
    queues.push(name);
    return name;
  };
  after(async () => {
    for (const name of queues) await deleteQueues(url, name);
  });

  test('two nodes consuming one queue both take work', async () => {
    const name = queue();
    const [a, b] = await Promise.all([startAmqpNode(url, name, { NODE_ID: 'node-a' }), startAmqpNode(url, name, { NODE_ID: 'node-b' })]);
    const client = await connectClient(url, name);
    try {
      const replies = await Promise.all(Array.from({ length: 200 }, () => client.request(anyNode())));
      const byNode = new Map<string, number>();
      for (const reply of replies) {
        assert.equal(reply.status, 200);
        byNode.set(reply.nodeId!, (byNode.get(reply.nodeId!) ?? 0) + 1);
      }
      assert.deepEqual([...byNode.keys()].sort(), ['node-a', 'node-b']);
      assert.ok(byNode.get('node-a')! >= 20 && byNode.get('node-b')! >= 20, JSON.stringify([...byNode]));
    } finally {
      await client.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a connection the broker closes is re-opened and the node answers again', async () => {
    const name = queue();
    const node = await startAmqpNode(url, name, { NODE_ID: `closed-${process.pid}` });
    const client = await connectClient(url, name);
    try {
      assert.equal((await client.request(anyNode())).status, 200);
      assert.equal(await closeConnectionsNamed(`gatehouse closed-${process.pid}`), 1);
      await waitFor('the link to drop', () => !node.core.amqp!.connected, 10_000, 5);
      await waitFor('the node to consume again', () => node.core.amqp!.connected, 15_000);
      const reply = await client.request(anyNode());
      assert.equal(reply.status, 200);
      assert.equal(reply.nodeId, `closed-${process.pid}`);
    } finally {
      await client.close();
      await node.close();
    }
  });

  test('through a TCP proxy that is cut: /readyz is 503 with the reason, and after the restore the node answers by itself', async () => {
    const name = queue();
    const broker = new URL(url);
    const proxy = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    const node = await startAmqpNode(proxied.toString(), name);
    const client = await connectClient(url, name);
    try {
      assert.equal((await client.request(anyNode())).status, 200);
      proxy.cut();
      await waitFor('the link to drop', () => !node.core.amqp!.connected, 10_000, 5);
      const down = await api(node.url, '/readyz');
      assert.equal(down.status, 503);
      assert.equal(down.body.error.code, 'unavailable');
      assert.match(down.body.error.message, /AMQP/);
      // A request sent while the node is cut off waits in the queue and is answered afterwards.
      const waiting = client.request({ ...anyNode(), timeoutMs: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.restore();
      assert.equal((await waiting).status, 200);
      await waitFor('the node to be ready', async () => (await api(node.url, '/readyz')).status === 200, 15_000, 50);
      assert.equal((await client.request(anyNode())).status, 200);
    } finally {
      await client.close();
      await node.close();
      await proxy.close();
    }
  });

  test('shutdown answers every request the node took; the rest stay queued for another node', async () => {
    const name = queue();
    const first: TestApp = await startAmqpNode(url, name, { NODE_ID: 'first', AMQP_PREFETCH: '8' });
    const client = await connectClient(url, name);
    try {
      const replies = Array.from({ length: 60 }, () => client.request({ ...anyNode(), timeoutMs: 30_000 }));
      await waitFor('the node to hold requests', () => first.core.amqp!.messagesInProgress > 0, 10_000, 1);
      await first.close();
      assert.equal(first.core.amqp!.connected, false);
      const second = await startAmqpNode(url, name, { NODE_ID: 'second' });
      try {
        const answered = await Promise.all(replies);
        assert.ok(answered.every((reply) => reply.status === 200));
        const nodes = new Set(answered.map((reply) => reply.nodeId));
        assert.ok(nodes.has('first'), 'the first node answered what it held');
      } finally {
        await second.close();
      }
    } finally {
      await client.close();
    }
  });
});
