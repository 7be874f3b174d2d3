// The single-node bus: the publishing node has already evicted locally, and there is no
// other node, so publishing only informs local listeners (tests and metrics use them).
import type { Bus, SessionsClosedMessage } from './ports.js';

export class MemoryBus implements Bus {
  private readonly handlers: Array<(message: SessionsClosedMessage) => void> = [];

  async publishSessionsClosed(message: SessionsClosedMessage): Promise<void> {
    for (const handler of this.handlers) handler(message);
  }

  onSessionsClosed(handler: (message: SessionsClosedMessage) => void): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {}
}
