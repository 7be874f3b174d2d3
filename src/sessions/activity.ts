// Last-activity times are kept in memory and written in batches, so validating a session
// never waits for a write. The in-memory time is authoritative on this node: idle checks
// read it, so the idle timeout is enforced exactly even before a flush.
import type { Store } from '../store/ports.js';

interface Pending {
  database: string;
  requestTime: number;
}

// A flush writes at most this many sessions per transaction and lets the event loop run
// between transactions. SQLite writes are synchronous, so a backlog of, say, 100,000
// sessions (after the database was locked for a while) written at once would stall every
// request for seconds. Smaller chunks were measured to cost p99 at ordinary rates (each
// chunk is a commit and a stall of its own), so an ordinary flush stays one transaction.
const rowsPerTransaction = 10_000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ActivityRecorder {
  private pending = new Map<string, Pending>();
  /** The batch being written: still the newest activity of its sessions until it is stored. */
  private writing: Map<string, Pending> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly store: Pick<Store, 'transaction'>) {}

  get backlog(): number {
    return this.pending.size + (this.writing?.size ?? 0);
  }

  touch(database: string, sessionId: string, at: number): void {
    const entry = this.pending.get(sessionId);
    if (entry === undefined) this.pending.set(sessionId, { database, requestTime: at });
    else if (entry.requestTime < at) entry.requestTime = at;
  }

  /** The newest unflushed activity of a session, if any. */
  lastSeen(sessionId: string): number | undefined {
    const pending = this.pending.get(sessionId)?.requestTime;
    const writing = this.writing?.get(sessionId)?.requestTime;
    if (writing === undefined) return pending;
    return pending === undefined || writing > pending ? writing : pending;
  }

  forget(sessionId: string): void {
    this.pending.delete(sessionId);
    this.writing?.delete(sessionId);
  }

  /**
   * Writes what is pending. One flush runs at a time (the timer and the sweeper both call
   * this); a caller arriving during a flush waits for it, then writes what gathered since.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.pending.size === 0) return;
    this.flushing = this.write();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.writing = batch;
    const updates = [...batch].map(([id, entry]) => ({ id, database: entry.database, requestTime: entry.requestTime }));
    let written = 0;
    try {
      while (written < updates.length) {
        if (written > 0) await nextTurn();
        const chunk = updates.slice(written, written + rowsPerTransaction);
        // One transaction per chunk: on SQLite that is one commit for the whole chunk.
        await this.store.transaction((tx) => tx.sessions.recordActivity(chunk));
        written += chunk.length;
      }
    } catch (err) {
      // Keep what could not be written so the next flush retries it; newer touches win.
      for (const { id } of updates.slice(written)) {
        const entry = batch.get(id);
        if (entry === undefined) continue; // forgotten meanwhile: the session was closed
        const newer = this.pending.get(id);
        if (newer === undefined || newer.requestTime < entry.requestTime) this.pending.set(id, entry);
      }
      throw err;
    } finally {
      this.writing = undefined;
    }
  }
}
