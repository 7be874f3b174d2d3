// The bus tells other nodes what this node changed, so their caches stay true. With one
// node (embedded) the in-process bus is enough; with several, Redis carries the messages.

export interface SessionsClosedMessage {
  /** Token digests of closed sessions: every node evicts them from its cache. */
  tokenDigests: string[];
}

export interface Bus {
  publishSessionsClosed(message: SessionsClosedMessage): Promise<void>;
  onSessionsClosed(handler: (message: SessionsClosedMessage) => void): void;
  close(): Promise<void>;
}
