// A bounded cache of user records by database and id, for the read of the signed-in user
// that every authenticated request makes. Any write of a user row through this node's
// store evicts it here (after the commit), and the `user_changed` message that services
// publish evicts it on every other node; like the session cache it is trusted only while
// the bus is healthy and cleared whenever the bus may have missed a message.
import type { Bus } from '../bus/ports.js';
import type { Store, UserRecord } from '../store/ports.js';

const keyOf = (database: string, userId: string): string => `${database}\n${userId}`;

export class UserCache {
  /** Insertion order is the eviction order: the oldest entry goes first (FIFO, no promotion). */
  private readonly entries = new Map<string, UserRecord>();
  /** Counts evictions and clears, so a read that raced with one is not cached stale. */
  private evictions = 0;

  constructor(
    private readonly store: Pick<Store, 'users' | 'onUserWritten'>,
    private readonly bus: Bus,
    private readonly capacity: number,
  ) {
    store.onUserWritten((database, userId) => this.evict(database, userId));
    bus.onUserChanged(({ database, userId }) => this.evict(database, userId));
    bus.onDatabaseDeleted(() => this.clear());
    bus.onReset(() => this.clear());
  }

  get size(): number {
    return this.entries.size;
  }

  /** The user as stored now; from memory when this node has heard of no change since it read it. */
  async find(database: string, userId: string): Promise<UserRecord | undefined> {
    const key = keyOf(database, userId);
    const trusted = this.bus.healthy;
    if (trusted) {
      const cached = this.entries.get(key);
      if (cached !== undefined) return cached;
    }
    const generation = this.evictions;
    const user = await this.store.users.findById(database, userId);
    // Only a read that no eviction overtook, made and finished while the bus was healthy.
    if (user !== undefined && trusted && this.bus.healthy && generation === this.evictions && this.capacity > 0) {
      this.entries.set(key, Object.freeze(user));
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    }
    return user;
  }

  evict(database: string, userId: string): void {
    this.evictions++;
    this.entries.delete(keyOf(database, userId));
  }

  clear(): void {
    this.evictions++;
    this.entries.clear();
  }
}
