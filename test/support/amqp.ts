// Helpers for the AMQP surface tests: a Gatehouse node consuming a queue of the test file's
// own on the real RabbitMQ, a client channel, raw publishing for malformed messages, and the
// clean-up of the queues and exchange a node declares.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp, { type Channel, type ChannelModel, type Options } from 'amqplib';
import { amqpRequest, type AmqpReply, type AmqpRequest } from '../../src/client/amqp.js';
import { deadLetterName } from '../../src/surfaces/amqp/consumer.js';
import { startApp, type StartOptions, type TestApp } from './harness.js';
import { waitFor } from './wait.js';

let queues = 0;

/** A queue name no other test file or run uses. */
export function uniqueQueue(): string {
  return `gatehouse-test-${process.pid}-${Date.now()}-${++queues}`;
}

/** A node consuming `queue`, started and consuming before this resolves. */
export async function startAmqpNode(url: string, queue: string, env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestApp> {
  const app = await startApp({ AMQP_URL: url, AMQP_QUEUE: queue, ...env }, options);
  app.core.amqp!.start();
  await waitFor('the node to consume', () => app.core.amqp!.connected, 10_000);
  return app;
}

export interface TestClient {
  connection: ChannelModel;
  channel: Channel;
  request<T = any>(request: AmqpRequest): Promise<AmqpReply<T>>;
  /** Publishes raw bytes with raw properties (for malformed messages). */
  publish(content: Buffer | string, options: Options.Publish): void;
  /** Publishes raw bytes and properties with a reply queue of the client's; resolves with the reply. */
  raw(content: Buffer | string, options: Options.Publish): Promise<RawReply>;
  close(): Promise<void>;
}

export interface RawReply {
  correlationId: unknown;
  headers: Record<string, unknown>;
  body: any;
}

export async function connectClient(url: string, queue: string): Promise<TestClient> {
  const connection = await amqp.connect(url);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  // Raw requests are answered on an exclusive queue of this client, matched by correlation id.
  const { queue: replyQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  const waiting = new Map<string, (reply: RawReply) => void>();
  await channel.consume(
    replyQueue,
    (message) => {
      if (message === null) return;
      const reply = { correlationId: message.properties.correlationId, headers: message.properties.headers ?? {}, body: JSON.parse(message.content.toString()) };
      waiting.get(String(message.properties.correlationId))?.(reply);
    },
    { noAck: true },
  );
  let raws = 0;
  return {
    raw: (content, options) =>
      new Promise<RawReply>((resolve, reject) => {
        const correlationId = `raw-${++raws}`;
        const timer = setTimeout(() => reject(new Error(`no reply to ${correlationId}`)), 10_000);
        waiting.set(correlationId, (reply) => (clearTimeout(timer), waiting.delete(correlationId), resolve(reply)));
        channel.publish('', queue, typeof content === 'string' ? Buffer.from(content) : content, { correlationId, replyTo: replyQueue, ...options });
      }),
    connection,
    channel,
    request: (request) => amqpRequest(channel, { queue, timeoutMs: 10_000, ...request }),
    publish: (content, options) => void channel.publish('', queue, typeof content === 'string' ? Buffer.from(content) : content, options),
    close: () => connection.close().catch(() => undefined),
  };
}

/** Deletes the request queue, its dead-letter queue and exchange. */
export async function deleteQueues(url: string, queue: string): Promise<void> {
  const connection = await amqp.connect(url);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteQueue(deadLetterName(queue));
  await channel.deleteExchange(deadLetterName(queue));
  await connection.close();
}

const run = promisify(execFile);

/** Closes, from the broker's side, every connection whose client-provided name is `name`. */
export async function closeConnectionsNamed(name: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties']);
  const pids = stdout
    .split('\n')
    // rabbitmqctl prints the property as {"connection_name","<name>"} (older releases add the type).
    .filter((line) => line.includes(`{"connection_name","${name}"}`) || line.includes(`{"connection_name",longstr,<<"${name}">>}`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by a Gatehouse test']);
  return pids.length;
}
