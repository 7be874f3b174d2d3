// Buses of nodes in one test process, linked as a network would link them: what a node
// publishes reaches every other node of the group (never itself; the publisher evicts
// locally), and a test can drop a node's connection so that messages to it are lost.
import { DispatchingBus, decodeMessage } from '../../src/bus/dispatch.js';

export class LinkedBus extends DispatchingBus {
  healthy = true;
  private peers: LinkedBus[] = [];

  private constructor() {
    super({ warn: () => {}, info: () => {} });
  }

  /** `count` buses, each linked to all the others. */
  static group(count: number): LinkedBus[] {
    const buses = Array.from({ length: count }, () => new LinkedBus());
    for (const bus of buses) bus.peers = buses.filter((other) => other !== bus);
    return buses;
  }

  protected async send(payload: string): Promise<void> {
    for (const peer of this.peers) peer.arrive(payload);
  }

  private arrive(payload: string): void {
    if (!this.healthy) return; // lost with the connection
    const message = decodeMessage(payload);
    if (message) this.deliver(message);
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

  async close(): Promise<void> {}
}
