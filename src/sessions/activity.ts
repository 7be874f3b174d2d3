// Last-activity times are kept in memory and written in batches, so validating a session
// never waits for a write. The in-memory time is authoritative on this node: idle checks
// read it, so the idle timeout is enforced exactly even before a flush.
import type { Store } from '../store/ports.js';

interface Pending {
  database: string;
  requestTime: number;
}

export class ActivityRecorder {
  private pending = new Map<string, Pending>();

  constructor(private readonly store: Pick<Store, 'transaction'>) {}

  get backlog(): number {
    return this.pending.size;
  }

  touch(database: string, sessionId: string, at: number): void {
    const entry = this.pending.get(sessionId);
    if (entry === undefined) this.pending.set(sessionId, { database, requestTime: at });
    else if (entry.requestTime < at) entry.requestTime = at;
  }

  /** The newest unflushed activity of a session, if any. */
  lastSeen(sessionId: string): number | undefined {
    return this.pending.get(sessionId)?.requestTime;
  }

  forget(sessionId: string): void {
    this.pending.delete(sessionId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const updates = [...batch].map(([id, entry]) => ({ id, database: entry.database, requestTime: entry.requestTime }));
    try {
      // One transaction per batch: on SQLite that is one fsync for the whole batch.
      await this.store.transaction((tx) => tx.sessions.recordActivity(updates));
    } catch (err) {
      // Keep what could not be written so the next flush retries it; newer touches win.
      for (const [id, entry] of batch) {
        const newer = this.pending.get(id);
        if (newer === undefined || newer.requestTime < entry.requestTime) this.pending.set(id, entry);
      }
      throw err;
    }
  }
}
