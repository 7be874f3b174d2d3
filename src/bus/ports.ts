// The bus tells other nodes what this node changed, so their caches stay true. With one
// node (embedded) the in-process bus is enough; with several, Redis pub/sub or PostgreSQL
// LISTEN/NOTIFY carries the messages. Every message is idempotent: a node ignores nothing.

export interface SessionsClosedMessage {
  /** Token digests of closed sessions: every node evicts them from its cache. */
  tokenDigests: string[];
}

/** A user's role, privileges, status or password changed: drop per-user cached state. */
export interface UserChangedMessage {
  database: string;
  userId: string;
}

/** A tenant database was deleted: forget that it exists. */
export interface DatabaseDeletedMessage {
  database: string;
}

export type BusMessage =
  | ({ kind: 'sessions_closed' } & SessionsClosedMessage)
  | ({ kind: 'user_changed' } & UserChangedMessage)
  | ({ kind: 'database_deleted' } & DatabaseDeletedMessage);

export interface Bus {
  publishSessionsClosed(message: SessionsClosedMessage): Promise<void>;
  onSessionsClosed(handler: (message: SessionsClosedMessage) => void): void;
  publishUserChanged(message: UserChangedMessage): Promise<void>;
  onUserChanged(handler: (message: UserChangedMessage) => void): void;
  publishDatabaseDeleted(message: DatabaseDeletedMessage): Promise<void>;
  onDatabaseDeleted(handler: (message: DatabaseDeletedMessage) => void): void;
  /**
   * False while messages from other nodes may be missed (the connection is down or being
   * re-established): caches must then be bypassed, because an eviction may be lost.
   */
  readonly healthy: boolean;
  /**
   * Called when messages may have been missed: when the connection drops and again when it
   * is back. Listeners clear what they cache, since any of it may have been revoked meanwhile.
   */
  onReset(handler: () => void): void;
  close(): Promise<void>;
}
