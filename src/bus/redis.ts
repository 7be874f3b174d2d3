// The Redis bus: one pub/sub channel shared by every node. Two connections, because a
// subscribed Redis connection can do nothing else. While the subscription is down this
// node may miss evictions, so it reports itself unhealthy (callers bypass their caches)
// and resets its listeners when it drops and again when it is back. Messages this node
// could not publish are kept (bounded) and sent once the publisher reconnects.
import { Redis, type RedisOptions } from 'ioredis';
import { DispatchingBus, type BusLogger } from './dispatch.js';

/** Exponential backoff for reconnecting, 100 ms doubling up to 5 s; never gives up. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 6), 5000);
}

export const redisConnectionOptions: RedisOptions = {
  retryStrategy: reconnectDelay,
  // Fail a command at once while disconnected instead of queueing it without limit: the
  // callers have their own fallbacks (a pending list here, memory counters for throttling).
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 1000,
};

/**
 * A command connection, waiting at most `waitMs` for it to be ready (commands fail at
 * once while it is not). Errors are left to the caller's fallbacks, never thrown.
 */
export async function connectRedis(url: string, waitMs = 2000): Promise<Redis> {
  const redis = new Redis(url, { ...redisConnectionOptions, lazyConnect: true });
  redis.on('error', () => {});
  const ready = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  redis.connect().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  return redis;
}

const maxPending = 10_000;

export class RedisBus extends DispatchingBus {
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private subscribed = false;
  private closing = false;
  private pending: string[] = [];
  private warnedPublish = false;

  private constructor(
    url: string,
    private readonly channel: string,
    logger: BusLogger,
  ) {
    super(logger);
    this.subscriber = new Redis(url, { ...redisConnectionOptions, lazyConnect: true, autoResubscribe: false, commandTimeout: undefined });
    this.publisher = new Redis(url, { ...redisConnectionOptions, lazyConnect: true });
    let subscriberError = false;
    this.subscriber.on('error', (err: Error) => {
      // Reported once per outage: a dead server would otherwise log on every retry.
      if (!subscriberError) logger.warn({ err: err.message }, 'bus: Redis subscriber connection error');
      subscriberError = true;
    });
    this.publisher.on('error', () => {}); // the subscriber reports the outage; a publish failure is logged below
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => {
          subscriberError = false;
          this.subscribed = true;
          logger.info({ channel }, 'bus: subscribed to Redis');
          // Anything published while we were away is lost to us: start from the store.
          this.reset();
        },
        (err: Error) => logger.warn({ err: err.message }, 'bus: Redis subscribe failed; will retry on reconnect'),
      );
    });
    this.subscriber.on('close', () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      if (!this.closing) logger.warn({ channel }, 'bus: Redis subscription lost; caches are bypassed until it is back');
      this.reset();
    });
    this.publisher.on('ready', () => void this.flushPending());
  }

  /** Connects, waiting at most `waitMs` for the first connection; a node starts either way. */
  static async connect(url: string, channel: string, logger: BusLogger, waitMs = 2000): Promise<RedisBus> {
    const bus = new RedisBus(url, channel, logger);
    const subscribedOnce = new Promise<void>((resolve) => bus.onReset(() => bus.subscribed && resolve()));
    bus.subscriber.connect().catch(() => undefined); // retried by retryStrategy; reported by 'error'
    bus.publisher.connect().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([subscribedOnce, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return bus;
  }

  get healthy(): boolean {
    return this.subscribed;
  }

  protected async send(payload: string): Promise<void> {
    if (this.publisher.status !== 'ready') return this.keep(payload);
    try {
      await this.publisher.publish(this.channel, payload);
      this.warnedPublish = false;
    } catch (err) {
      this.keep(payload);
      if (!this.warnedPublish) this.logger.warn({ err: (err as Error).message }, 'bus: Redis publish failed; kept for resending');
      this.warnedPublish = true;
    }
  }

  private keep(payload: string): void {
    this.pending.push(payload);
    // Beyond the bound the oldest go: other nodes will have reset by then in most outages.
    if (this.pending.length > maxPending) this.pending.splice(0, this.pending.length - maxPending);
  }

  private async flushPending(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    for (const payload of pending) await this.send(payload);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.flushPending();
    // quit() waits for replies; disconnect() is for a connection that is not up.
    await Promise.all(
      [this.subscriber, this.publisher].map((connection) =>
        connection.status === 'ready' ? connection.quit().catch(() => connection.disconnect()) : connection.disconnect(),
      ),
    );
  }
}
