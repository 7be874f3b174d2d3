// What every bus shares: the listeners, decoding of received messages (raw input from the
// network: a malformed one is dropped and reported, never thrown) and the split of large
// eviction lists into messages that fit a transport's payload limit.
import type { Bus, BusMessage, DatabaseDeletedMessage, SessionsClosedMessage, UserChangedMessage } from './ports.js';

export interface BusLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

type Handlers = {
  sessions_closed: Array<(message: SessionsClosedMessage) => void>;
  user_changed: Array<(message: UserChangedMessage) => void>;
  database_deleted: Array<(message: DatabaseDeletedMessage) => void>;
};

const isString = (value: unknown): value is string => typeof value === 'string';

/** The message in a received payload, or undefined when it is not one of ours. */
export function decodeMessage(payload: string): BusMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.kind === 'sessions_closed' && Array.isArray(m.tokenDigests) && m.tokenDigests.every(isString)) {
    return { kind: 'sessions_closed', tokenDigests: m.tokenDigests };
  }
  if (m.kind === 'user_changed' && isString(m.database) && isString(m.userId)) return { kind: 'user_changed', database: m.database, userId: m.userId };
  if (m.kind === 'database_deleted' && isString(m.database)) return { kind: 'database_deleted', database: m.database };
  return undefined;
}

export abstract class DispatchingBus implements Bus {
  private readonly handlers: Handlers = { sessions_closed: [], user_changed: [], database_deleted: [] };
  private readonly resetHandlers: Array<() => void> = [];

  /**
   * @param digestsPerMessage eviction lists longer than this are sent as several messages
   *   (PostgreSQL NOTIFY payloads must stay under 8000 bytes; a digest is 43 characters).
   */
  protected constructor(
    protected readonly logger: BusLogger,
    private readonly digestsPerMessage = Number.POSITIVE_INFINITY,
  ) {}

  abstract readonly healthy: boolean;

  /** Hands one encoded message to the transport; must not throw. */
  protected abstract send(payload: string): Promise<void>;

  abstract close(): Promise<void>;

  async publishSessionsClosed(message: SessionsClosedMessage): Promise<void> {
    const { tokenDigests } = message;
    for (let i = 0; i < tokenDigests.length; i += this.digestsPerMessage) {
      const chunk = tokenDigests.slice(i, i + this.digestsPerMessage);
      await this.send(JSON.stringify({ kind: 'sessions_closed', tokenDigests: chunk }));
    }
  }

  publishUserChanged(message: UserChangedMessage): Promise<void> {
    return this.send(JSON.stringify({ kind: 'user_changed', database: message.database, userId: message.userId }));
  }

  publishDatabaseDeleted(message: DatabaseDeletedMessage): Promise<void> {
    return this.send(JSON.stringify({ kind: 'database_deleted', database: message.database }));
  }

  onSessionsClosed(handler: (message: SessionsClosedMessage) => void): void {
    this.handlers.sessions_closed.push(handler);
  }

  onUserChanged(handler: (message: UserChangedMessage) => void): void {
    this.handlers.user_changed.push(handler);
  }

  onDatabaseDeleted(handler: (message: DatabaseDeletedMessage) => void): void {
    this.handlers.database_deleted.push(handler);
  }

  onReset(handler: () => void): void {
    this.resetHandlers.push(handler);
  }

  /** Delivers a received payload to the listeners of its kind. */
  protected receive(payload: string): void {
    const message = decodeMessage(payload);
    if (message === undefined) {
      this.logger.warn({ bytes: payload.length }, 'bus: ignored a message that is not a Gatehouse message');
      return;
    }
    this.deliver(message);
  }

  protected deliver(message: BusMessage): void {
    const run = (handler: (m: never) => void) => {
      try {
        handler(message as never);
      } catch (err) {
        this.logger.warn({ err, kind: message.kind }, 'bus: a listener failed');
      }
    };
    for (const handler of this.handlers[message.kind]) run(handler);
  }

  protected reset(): void {
    for (const handler of this.resetHandlers) {
      try {
        handler();
      } catch (err) {
        this.logger.warn({ err }, 'bus: a reset listener failed');
      }
    }
  }
}
