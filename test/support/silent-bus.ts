// A bus for session tests that stands for the network: what this node publishes goes only
// to "other nodes" (recorded, never echoed here), and a test can drop and restore the
// connection or have a message arrive from elsewhere, as a Redis or PostgreSQL bus would.
import { DispatchingBus, decodeMessage } from '../../src/bus/dispatch.js';

export class SilentBus extends DispatchingBus {
  healthy = true;
  readonly announcedDigests: string[] = [];
  constructor() {
    super({ warn: () => {}, info: () => {} });
  }
  protected async send(payload: string): Promise<void> {
    const message = decodeMessage(payload);
    if (message?.kind === 'sessions_closed') this.announcedDigests.push(...message.tokenDigests);
  }
  /** What a network bus does when its connection drops or comes back. */
  drop(): void {
    this.healthy = false;
    this.reset();
  }
  restore(): void {
    this.healthy = true;
    this.reset();
  }
  /** A message as it arrives from another node. */
  arrive(tokenDigests: string[]): void {
    this.deliver({ kind: 'sessions_closed', tokenDigests });
  }
  async close(): Promise<void> {}
}

