// The single-node bus: the publishing node has already evicted locally, and there is no
// other node, so publishing only informs local listeners (tests and metrics use them).
// It never loses a message, so it is always healthy and never resets.
import { DispatchingBus, type BusLogger } from './dispatch.js';
import type { BusMessage } from './ports.js';

const silent: BusLogger = { warn: () => {}, info: () => {} };

export class MemoryBus extends DispatchingBus {
  readonly healthy = true;

  constructor(logger: BusLogger = silent) {
    super(logger);
  }

  protected async send(payload: string): Promise<void> {
    // Same path as a network bus, so a listener sees exactly what another node would.
    this.deliver(JSON.parse(payload) as BusMessage);
  }

  async close(): Promise<void> {}
}
