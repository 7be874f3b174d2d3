// A bounded, nearly-LRU cache of live sessions keyed by token digest. A Map keeps
// insertion order, so re-inserting an entry moves it to the young end and the oldest is
// first to go. Re-inserting on every hit would cost a delete and an insert per validation
// (and churn the Map's tables); instead only entries that have drifted into the older half
// of the order are moved, so a hit still leaves an entry at least capacity/2 insertions
// away from eviction. Small caches keep exact LRU order.
// `generation` counts evictions and clears, so a store read that raced with one (a close
// on another node arrived while the read was in flight) is not cached stale.
import type { SessionRecord } from '../store/ports.js';

interface Entry {
  session: SessionRecord;
  /** Value of `inserted` when the entry was last (re-)inserted: its place in the order. */
  stamp: number;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private inserted = 0;
  private evictions = 0;
  private readonly promoteAfter: number;

  constructor(private readonly capacity: number) {
    this.promoteAfter = capacity < 16 ? 0 : Math.floor(capacity / 2);
  }

  /** Changes whenever an entry may have been revoked; see `setIfUnchanged`. */
  get generation(): number {
    return this.evictions;
  }

  get size(): number {
    return this.entries.size;
  }

  get(tokenDigest: string): SessionRecord | undefined {
    const entry = this.entries.get(tokenDigest);
    if (entry === undefined) return undefined;
    if (this.inserted - entry.stamp > this.promoteAfter) {
      this.entries.delete(tokenDigest);
      entry.stamp = ++this.inserted;
      this.entries.set(tokenDigest, entry);
    }
    return entry.session;
  }

  set(session: SessionRecord): void {
    if (this.capacity === 0) return;
    this.entries.delete(session.tokenDigest);
    this.entries.set(session.tokenDigest, { session, stamp: ++this.inserted });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Caches a session read from the store, unless an eviction happened since `generation`. */
  setIfUnchanged(session: SessionRecord, generation: number): void {
    if (generation === this.evictions) this.set(session);
  }

  evict(tokenDigest: string): void {
    this.evictions++;
    this.entries.delete(tokenDigest);
  }

  clear(): void {
    this.evictions++;
    this.entries.clear();
  }
}
