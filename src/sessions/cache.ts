// A bounded, nearly-LRU cache of live sessions keyed by token digest, bounded both by count
// and by (estimated) bytes. It keeps what validation reads — ids, times, address, client —
// and never the client-held `user` and `data` values, which may be up to
// SESSION_DATA_LIMIT each: those are read from the store by the operations that show them,
// so a large session costs the cache what a small one does.
//
// A Map keeps insertion order, so re-inserting an entry moves it to the young end and the
// oldest is first to go. Re-inserting on every hit would cost a delete and an insert per
// validation (and churn the Map's tables); instead only entries that have drifted into the
// older half of the order are moved, so a hit still leaves an entry at least capacity/2
// insertions away from eviction. Small caches keep exact LRU order.
//
// `generation` counts evictions and clears, so a store read that raced with one (a close
// on another node arrived while the read was in flight) is not cached stale.
import type { SessionRecord } from '../store/ports.js';

/** A session as validation sees it: everything but the client-held values. */
export type LiveSession = Omit<SessionRecord, 'user' | 'data'>;

interface Entry {
  session: LiveSession;
  /** Value of `inserted` when the entry was last (re-)inserted: its place in the order. */
  stamp: number;
  bytes: number;
}

// What one entry costs beyond its strings: the Map slot, the entry and record objects and
// their number fields. Measured as about 350 bytes on Node 20; rounded up.
const entryOverheadBytes = 400;
const textBytes = (text: string | null): number => (text === null ? 0 : 16 + 2 * text.length);

/** An upper estimate of the heap an entry holds (strings counted at two bytes a character). */
export function estimateEntryBytes(session: LiveSession): number {
  return (
    entryOverheadBytes +
    textBytes(session.tokenDigest) * 3 + // the record's field, the Map key and the id index's value
    textBytes(session.id) + // the id index's key
    textBytes(session.database) +
    textBytes(session.id) +
    textBytes(session.userId) +
    textBytes(session.userName) +
    textBytes(session.address) +
    textBytes(session.client) +
    textBytes(session.nodeId)
  );
}

function withoutContent(session: SessionRecord | LiveSession): LiveSession {
  if (!('user' in session) && !('data' in session)) return session;
  const { user: _user, data: _data, ...live } = session as SessionRecord;
  return live;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Session id → token digest, for credentials that name the session (access tokens). */
  private readonly digestById = new Map<string, string>();
  private inserted = 0;
  private heldBytes = 0;
  private evictions = 0;
  private readonly promoteAfter: number;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.promoteAfter = capacity < 16 ? 0 : Math.floor(capacity / 2);
  }

  /** Changes whenever an entry may have been revoked; see `setIfUnchanged`. */
  get generation(): number {
    return this.evictions;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held; never above the byte bound. */
  get bytes(): number {
    return this.heldBytes;
  }

  get(tokenDigest: string): LiveSession | undefined {
    const entry = this.entries.get(tokenDigest);
    if (entry === undefined) return undefined;
    if (this.inserted - entry.stamp > this.promoteAfter) {
      this.entries.delete(tokenDigest);
      entry.stamp = ++this.inserted;
      this.entries.set(tokenDigest, entry);
    }
    return entry.session;
  }

  getById(sessionId: string): LiveSession | undefined {
    const digest = this.digestById.get(sessionId);
    return digest === undefined ? undefined : this.get(digest);
  }

  /** Caches a session (without its user and data); returns the cached object, if kept. */
  set(session: SessionRecord | LiveSession): LiveSession | undefined {
    if (this.capacity === 0) return undefined;
    const live = withoutContent(session);
    const bytes = estimateEntryBytes(live);
    if (bytes > this.maxBytes) return undefined;
    this.remove(live.tokenDigest);
    this.entries.set(live.tokenDigest, { session: live, stamp: ++this.inserted, bytes });
    this.digestById.set(live.id, live.tokenDigest);
    this.heldBytes += bytes;
    while (this.entries.size > this.capacity || this.heldBytes > this.maxBytes) {
      this.remove(this.entries.keys().next().value as string);
    }
    return live;
  }

  /** Caches a session read from the store, unless an eviction happened since `generation`. */
  setIfUnchanged(session: SessionRecord, generation: number): LiveSession | undefined {
    return generation === this.evictions ? this.set(session) : undefined;
  }

  evict(tokenDigest: string): void {
    this.evictions++;
    this.remove(tokenDigest);
  }

  /** Removes an entry without counting an eviction: replacement and making room. */
  private remove(tokenDigest: string): void {
    const entry = this.entries.get(tokenDigest);
    if (entry === undefined) return;
    this.entries.delete(tokenDigest);
    this.digestById.delete(entry.session.id);
    this.heldBytes -= entry.bytes;
  }

  /** Evicts every session of a deleted database: a scan, for a rare event. */
  evictDatabase(database: string): void {
    this.evictions++;
    for (const [digest, entry] of this.entries) if (entry.session.database === database) this.remove(digest);
  }

  clear(): void {
    this.evictions++;
    this.entries.clear();
    this.digestById.clear();
    this.heldBytes = 0;
  }
}
