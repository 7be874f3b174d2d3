// A bounded LRU of live sessions keyed by token digest. A Map keeps insertion order, so
// re-inserting on a hit moves an entry to the young end and the oldest is first to go.
import type { SessionRecord } from '../store/ports.js';

export class SessionCache {
  private readonly entries = new Map<string, SessionRecord>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(tokenDigest: string): SessionRecord | undefined {
    const session = this.entries.get(tokenDigest);
    if (session !== undefined) {
      this.entries.delete(tokenDigest);
      this.entries.set(tokenDigest, session);
    }
    return session;
  }

  set(session: SessionRecord): void {
    if (this.capacity === 0) return;
    this.entries.delete(session.tokenDigest);
    this.entries.set(session.tokenDigest, session);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  evict(tokenDigest: string): void {
    this.entries.delete(tokenDigest);
  }

  clear(): void {
    this.entries.clear();
  }
}
