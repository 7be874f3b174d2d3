// The AMQP surface's link to the broker: declares the request queue (durable, dead-lettering
// into `<queue>.dead`), consumes it with a bounded prefetch as one of any number of competing
// nodes, answers each request on its `reply_to`, and acknowledges it only once the broker has
// confirmed the reply. A dropped connection or channel is re-opened with backoff.
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Core } from '../../app.js';
import type { Logger } from '../../server/logger.js';
import { replyOf, runAmqpMessage, type AmqpReply } from './request.js';

/** What happened to one delivered message, for metrics. */
export type AmqpSettlement = 'replied' | 'dead_lettered' | 'requeued';

export interface AmqpObserver {
  received(): void;
  /** `status` is the reply's status_code when a reply went out. */
  settled(settlement: AmqpSettlement, status: number | undefined, seconds: number): void;
}

export interface AmqpConsumerOptions {
  url: string;
  queue: string;
  prefetch: number;
  /** The connection's client-provided name, as the broker's management tools show it. */
  connectionName: string;
  logger: Logger;
  /** First and longest wait between reconnection attempts. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long close() waits for messages in progress. */
  drainMs?: number;
}

/** The dead-letter exchange and queue of a request queue. */
export const deadLetterName = (queue: string): string => `${queue}.dead`;

// A reply_to is a queue name (a short string in AMQP); anything else cannot be answered.
const isQueueName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && Buffer.byteLength(value) <= 255;

/** Declares the request queue and its dead-letter exchange and queue; idempotent, so every node does it. */
export async function declareRequestQueue(channel: Channel, queue: string): Promise<void> {
  const dead = deadLetterName(queue);
  await channel.assertExchange(dead, 'fanout', { durable: true });
  await channel.assertQueue(dead, { durable: true });
  await channel.bindQueue(dead, dead, '');
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-dead-letter-exchange': dead } });
}

export class AmqpConsumer {
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private consumerTag: string | undefined;
  private stopping = false;
  private started = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly backoff: { initialMs: number; maxMs: number };
  observer: AmqpObserver | undefined;
  /** Why the link is down, while it is. */
  private downReason = 'not connected yet';

  constructor(
    private readonly core: Core,
    private readonly options: AmqpConsumerOptions,
  ) {
    this.backoff = options.backoff ?? { initialMs: 100, maxMs: 10_000 };
  }

  /** Whether this node is consuming right now. */
  get connected(): boolean {
    return this.channel !== undefined;
  }

  /** Why the node is not consuming, or undefined when it is. */
  get problem(): string | undefined {
    return this.connected ? undefined : this.downReason;
  }

  get messagesInProgress(): number {
    return this.inFlight.size;
  }

  /** Connects and consumes in the background; a broker that is down is retried, never fatal. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.attempt();
  }

  private attempt(): void {
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
  }

  private async connect(): Promise<void> {
    const { logger } = this.options;
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(this.options.url, { clientProperties: { connection_name: this.options.connectionName } });
    } catch (err) {
      this.lost(undefined, `the broker is not reachable: ${(err as Error).message}`);
      return;
    }
    let handled = false;
    const onDrop = (reason: string) => {
      if (handled) return;
      handled = true;
      this.lost(connection, reason);
    };
    // 'error' is always followed by 'close'; without a listener it would crash the process.
    connection.on('error', (err: Error) => logger.warn({ err: err.message }, 'AMQP connection error'));
    connection.on('close', (err?: Error) => onDrop(err ? `the connection closed: ${err.message}` : 'the connection closed'));
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (err: Error) => logger.warn({ err: err.message }, 'AMQP channel error'));
      // A channel the broker closed (a refused declaration, say) takes the connection along,
      // so that one path reconnects everything.
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
        connection.close().catch(() => onDrop('the channel closed'));
      });
      await declareRequestQueue(channel, this.options.queue);
      await channel.prefetch(this.options.prefetch);
      const { consumerTag } = await channel.consume(this.options.queue, (message) => {
        // null: the broker cancelled the consumer (its queue was deleted); reconnect re-declares it.
        if (message === null) connection.close().catch(() => onDrop('the consumer was cancelled'));
        else this.track(this.handle(channel, message));
      });
      if (this.stopping) {
        await connection.close().catch(() => undefined);
        return;
      }
      [this.connection, this.channel, this.consumerTag, this.failures] = [connection, channel, consumerTag, 0];
      logger.info({ queue: this.options.queue, prefetch: this.options.prefetch }, 'AMQP consuming');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'AMQP set-up failed');
      await connection.close().catch(() => undefined);
      onDrop(`set-up failed: ${(err as Error).message}`);
    }
  }

  /** The link went down: forget it and, unless stopping, try again after a growing wait. */
  private lost(connection: ChannelModel | undefined, reason: string): void {
    if (connection !== undefined && this.connection !== undefined && this.connection !== connection) return;
    this.connection = undefined;
    this.channel = undefined;
    this.consumerTag = undefined;
    this.downReason = reason;
    if (this.stopping) return;
    const waitMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures, 20));
    // One warning per outage; the attempts after it are debug lines.
    const level = this.failures === 0 ? 'warn' : 'debug';
    this.options.logger[level]({ reason, retry_ms: waitMs }, 'AMQP link down; reconnecting');
    this.failures++;
    this.retryTimer = setTimeout(() => this.attempt(), waitMs);
    this.retryTimer.unref();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Answers one request; never throws. */
  private async handle(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    this.observer?.received();
    const replyTo: unknown = message.properties.replyTo;
    if (!isQueueName(replyTo)) {
      // Nobody to tell: the message goes to the dead-letter queue for an operator to look at.
      settle(() => channel.nack(message, false, false));
      this.observer?.settled('dead_lettered', undefined, elapsed());
      return;
    }
    const outcome = await runAmqpMessage(this.core, message, (err, correlationId) =>
      this.options.logger.error({ err, correlation_id: correlationId }, 'internal error'),
    );
    const reply = replyOf(outcome, Number(process.hrtime.bigint() - started), this.core.config.nodeId);
    try {
      await publishConfirmed(channel, replyTo, reply, message.properties.correlationId);
      settle(() => channel.ack(message));
      this.observer?.settled('replied', reply.headers.status_code, elapsed());
    } catch (err) {
      // The reply was not confirmed. A closed channel returns the request to the queue by
      // itself; otherwise it is retried once, then dead-lettered so it cannot loop.
      const again = !message.fields.redelivered;
      settle(() => channel.nack(message, false, again));
      this.observer?.settled(again ? 'requeued' : 'dead_lettered', undefined, elapsed());
      this.options.logger.warn({ err: (err as Error).message, correlation_id: message.properties.correlationId }, 'AMQP reply not confirmed');
    }
  }

  /**
   * Stops taking requests (the consumer is cancelled, so the broker hands the rest to other
   * nodes), lets the ones in progress be answered, then closes the channel and connection.
   */
  /** Stops consuming, answers what it holds (up to the drain time) and disconnects; once. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private closing: Promise<void> | undefined;

  private async shutDown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    // An attempt under way finishes (and, seeing `stopping`, closes what it opened).
    await this.connecting;
    const { channel, connection, consumerTag } = this;
    if (channel !== undefined && consumerTag !== undefined) await channel.cancel(consumerTag).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.allSettled([...this.inFlight]);
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, this.options.drainMs ?? 10_000)))]);
    clearTimeout(timer);
    await channel?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    this.downReason = 'closed';
  }
}

/** Acks and nacks on a channel that has since closed throw; the broker redelivers those messages anyway. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // The channel is gone; its unacknowledged messages are back in the queue.
  }
}

function publishConfirmed(channel: ConfirmChannel, replyTo: string, reply: AmqpReply, correlationId: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(
      '',
      replyTo,
      reply.content,
      { contentType: 'application/json', correlationId: typeof correlationId === 'string' ? correlationId : undefined, headers: reply.headers },
      (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('the broker refused the reply')) : resolve()),
    );
  });
}
