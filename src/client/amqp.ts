// A client of the AMQP surface (exported as `gatehouse/client`): sends an account message to
// the request queue and resolves with its reply, matched by correlation id over RabbitMQ's
// direct reply-to (`amq.rabbitmq.reply-to`), so no reply queue is declared per client.
import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ConsumeMessage } from 'amqplib';

const directReplyTo = 'amq.rabbitmq.reply-to';

export interface AmqpRequest {
  /** The message name, e.g. `RequestLoginToken`. */
  type: string;
  /** The v2 body; an object, or a string/Buffer sent as is. */
  body?: unknown;
  jwt?: string;
  database?: string;
  /** The end user's IP address, when relaying a user's request (per-address limits count it). */
  clientAddress?: string;
  /** Rejects when no reply arrived in time (default 10 s). */
  timeoutMs?: number;
  /** The request queue (default `gatehouse.v2`, the default AMQP_QUEUE). */
  queue?: string;
  /** Sent as correlation_id; a fresh UUID by default. */
  correlationId?: string;
}

export interface AmqpReply<T = unknown> {
  status: number;
  /** `OK`, `Created`, or the catalog code of an error. */
  statusMessage: string;
  processingTimeNs: number;
  /** The node that answered (header node_id). */
  nodeId: string | undefined;
  correlationId: string;
  data: T;
  error?: { code: string; message: string; details?: Record<string, unknown>; retry_after?: number };
}

interface Pending {
  resolve(reply: AmqpReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Request-reply over one channel: one direct reply-to consumer, any number of requests in flight. */
export class GatehouseAmqpClient {
  private readonly pending = new Map<string, Pending>();
  private ready: Promise<void> | undefined;

  constructor(private readonly channel: Channel) {
    // The channel may close under us: nothing waits for a reply that can no longer come.
    channel.on('close', () => this.failAll(new Error('The AMQP channel closed.')));
    channel.on('error', () => undefined);
  }

  private start(): Promise<void> {
    // Direct reply-to needs its consumer (no-ack) on the publishing channel before the first publish.
    this.ready ??= this.channel.consume(directReplyTo, (message) => message && this.settle(message), { noAck: true }).then(() => undefined);
    return this.ready;
  }

  async request<T = unknown>(request: AmqpRequest): Promise<AmqpReply<T>> {
    await this.start();
    const correlationId = request.correlationId ?? randomUUID();
    const timeoutMs = request.timeoutMs ?? 10_000;
    const content = Buffer.isBuffer(request.body) ? request.body : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? {}));
    const headers: Record<string, string> = {};
    if (request.jwt !== undefined) headers.jwt = request.jwt;
    if (request.database !== undefined) headers.database = request.database;
    if (request.clientAddress !== undefined) headers.client_address = request.clientAddress;
    return new Promise<AmqpReply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`No reply to ${request.type} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve: resolve as (reply: AmqpReply) => void, reject, timer });
      try {
        this.channel.publish('', request.queue ?? 'gatehouse.v2', content, { type: request.type, contentType: 'application/json', correlationId, replyTo: directReplyTo, headers });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(correlationId);
        reject(err as Error);
      }
    });
  }

  private settle(message: ConsumeMessage): void {
    const correlationId = String(message.properties.correlationId ?? '');
    const waiting = this.pending.get(correlationId);
    if (waiting === undefined) return; // late, after its timeout
    this.pending.delete(correlationId);
    clearTimeout(waiting.timer);
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    try {
      const body = JSON.parse(message.content.toString('utf8')) as { data: unknown; error?: AmqpReply['error'] };
      waiting.resolve({
        status: Number(headers.status_code),
        statusMessage: String(headers.status_message),
        processingTimeNs: Number(headers.processing_time_ns),
        nodeId: typeof headers.node_id === 'string' ? headers.node_id : undefined,
        correlationId,
        data: body.data,
        ...(body.error ? { error: body.error } : {}),
      });
    } catch (err) {
      waiting.reject(new Error(`The reply is not JSON: ${(err as Error).message}`));
    }
  }

  private failAll(err: Error): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      this.pending.delete(id);
      waiting.reject(err);
    }
  }
}

const clients = new WeakMap<Channel, GatehouseAmqpClient>();

/**
 * Sends one message and awaits its reply. Given a channel, requests share that channel's
 * reply consumer; given a URL, a connection is opened for this request and closed after it.
 */
export async function amqpRequest<T = unknown>(channelOrUrl: Channel | string, request: AmqpRequest): Promise<AmqpReply<T>> {
  if (typeof channelOrUrl !== 'string') {
    let client = clients.get(channelOrUrl);
    if (client === undefined) clients.set(channelOrUrl, (client = new GatehouseAmqpClient(channelOrUrl)));
    return client.request<T>(request);
  }
  const connection = await amqp.connect(channelOrUrl);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    return await new GatehouseAmqpClient(channel).request<T>(request);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
