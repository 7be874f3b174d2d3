// The PostgreSQL bus, for several nodes without Redis: LISTEN/NOTIFY on one channel. The
// listener is a dedicated client (a pooled connection would be handed to other queries and
// lose its LISTEN); notifications go out through a small pool of their own. Like the Redis
// bus it is unhealthy while the listener is down and resets when it drops and is back.
import pg from 'pg';
import { DispatchingBus, type BusLogger } from './dispatch.js';
import { reconnectDelay } from './redis.js';

// NOTIFY payloads must be shorter than 8000 bytes: 150 digests of 43 characters fit.
const digestsPerNotify = 150;

export class PostgresBus extends DispatchingBus {
  private listener: pg.Client | undefined;
  private listening = false;
  private closing = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly notifier: pg.Pool;

  private constructor(
    private readonly url: string,
    private readonly channel: string,
    logger: BusLogger,
  ) {
    super(logger, digestsPerNotify);
    this.notifier = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 2000 });
    this.notifier.on('error', () => {}); // an idle connection ended by the server: pg drops it
  }

  /** Connects and listens, waiting for the first attempt only; a node starts either way. */
  static async connect(url: string, channel: string, logger: BusLogger): Promise<PostgresBus> {
    const bus = new PostgresBus(url, channel, logger);
    await bus.listen();
    return bus;
  }

  get healthy(): boolean {
    return this.listening;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000, keepAlive: true });
    this.listener = client;
    const lost = (err?: Error) => {
      if (this.listener !== client) return; // an older client's late event
      this.listener = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.listening) {
        this.listening = false;
        if (!this.closing) this.logger.warn({ err: err?.message }, 'bus: PostgreSQL listener lost; caches are bypassed until it is back');
        this.reset();
      }
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (notification) => {
      if (notification.channel === this.channel && notification.payload !== undefined) this.receive(notification.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      if (this.attempt === 0) this.logger.warn({ err: (err as Error).message }, 'bus: PostgreSQL listener could not connect; retrying');
      lost(err as Error);
      return;
    }
    this.attempt = 0;
    this.listening = true;
    this.logger.info({ channel: this.channel }, 'bus: listening on PostgreSQL');
    this.reset();
  }

  private scheduleReconnect(): void {
    if (this.closing || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.listen();
    }, reconnectDelay(this.attempt++));
    this.retry.unref();
  }

  protected async send(payload: string): Promise<void> {
    try {
      await this.notifier.query('select pg_notify($1, $2)', [this.channel, payload]);
    } catch (err) {
      // No resend here: PostgreSQL being unreachable also fails the write this message is
      // about, and the other nodes' listeners are down with it (so they bypass caches).
      this.logger.warn({ err: (err as Error).message }, 'bus: PostgreSQL notify failed');
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retry);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => undefined);
    await this.notifier.end().catch(() => undefined);
  }
}
