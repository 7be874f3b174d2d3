// Bounded growth: closed sessions and audit events older than their retention are deleted
// in small batches, so a purge never holds a long lock or a big transaction, and yields
// between batches so requests keep flowing. Every node may run it; deletes are idempotent.
import type { Clock } from '../core/clock.js';
import type { Store } from './ports.js';

export interface RetentionRules {
  /** How long a closed session is kept after closing; 0 = forever. */
  sessionsMs: number;
  /** How long an audit event is kept; 0 = forever. */
  auditMs: number;
}

export interface PurgeResult {
  sessions: number;
  auditEvents: number;
}

export class RetentionPurge {
  constructor(
    private readonly store: Pick<Store, 'sessions' | 'audit'>,
    private readonly clock: Clock,
    private readonly rules: RetentionRules,
    private readonly batchSize = 1000,
    /** Batches per run and kind at most; the rest waits for the next run. */
    private readonly maxBatches = 50,
  ) {}

  async run(): Promise<PurgeResult> {
    const now = this.clock.now();
    const sessions = this.rules.sessionsMs === 0 ? 0 : await this.inBatches((limit) => this.store.sessions.purgeClosedBefore(now - this.rules.sessionsMs, limit));
    const auditEvents = this.rules.auditMs === 0 ? 0 : await this.inBatches((limit) => this.store.audit.purgeBefore(now - this.rules.auditMs, limit));
    return { sessions, auditEvents };
  }

  private async inBatches(purge: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < this.maxBatches; batch++) {
      const deleted = await purge(this.batchSize);
      total += deleted;
      if (deleted < this.batchSize) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}
