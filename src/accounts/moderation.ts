// Moderation of accounts: suspend, reinstate, ban (until a time or for good), unban, and
// users' flags for moderators to review. Blocking an account closes every one of its
// sessions in the same transaction as the status change, so no request slips through.
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import type { AuditEventType, AuditLog } from '../audit/log.js';
import type { SessionService } from '../sessions/service.js';
import type { ClosedSession, FlaggedAccount, Store, UserChanges, UserRecord } from '../store/ports.js';

export class ModerationService {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly audit: AuditLog,
  ) {}

  suspend(ctx: RequestContext, userId: string): Promise<UserRecord> {
    return this.apply(ctx, userId, { status: 'suspended', banUntil: null }, 'account.suspended', true);
  }

  reinstate(ctx: RequestContext, userId: string): Promise<UserRecord> {
    return this.apply(ctx, userId, { status: 'active', banUntil: null }, 'account.reinstated', false);
  }

  /** `until` null bans for good; a time in the past is refused. */
  async ban(ctx: RequestContext, userId: string, until: number | null): Promise<UserRecord> {
    if (until !== null && until <= ctx.clock.now()) {
      fail('validation_failed', { message: 'until: must be in the future', details: { field: 'until' } });
    }
    const details = { until: until === null ? null : new Date(until).toISOString() };
    return this.apply(ctx, userId, { status: 'banned', banUntil: until }, 'account.banned', true, details);
  }

  unban(ctx: RequestContext, userId: string): Promise<UserRecord> {
    return this.apply(ctx, userId, { status: 'active', banUntil: null }, 'account.unbanned', false);
  }

  /** A report by `reporterId`; reporting the same account again replaces the earlier report. */
  async flag(ctx: RequestContext, userId: string, reporterId: string, reason: string | null): Promise<void> {
    if (userId === reporterId) fail('validation_failed', { message: 'user_id: an account cannot flag itself', details: { field: 'user_id' } });
    const now = ctx.clock.now();
    await this.store.transaction(async (tx) => {
      (await tx.users.update(ctx.database, userId, { flagged: true })) ?? fail('not_found');
      await tx.flags.put({ database: ctx.database, userId, reporterId, reason, flaggedAt: now });
      await this.audit.record(ctx, 'account.flagged', { target: userId, details: { reason } }, tx.audit);
    });
  }

  flagged(database: string): Promise<FlaggedAccount[]> {
    return this.store.flags.listFlagged(database);
  }

  private async apply(
    ctx: RequestContext,
    userId: string,
    changes: UserChanges,
    event: AuditEventType,
    closeSessions: boolean,
    details?: Record<string, unknown>,
  ): Promise<UserRecord> {
    let closed: ClosedSession[] = [];
    const user = await this.store.transaction(async (tx) => {
      const updated = (await tx.users.update(ctx.database, userId, { ...changes, updatedAt: ctx.clock.now() })) ?? fail('not_found');
      if (closeSessions) closed = await this.sessions.closeAllForUser(ctx.database, userId, undefined, tx);
      await this.audit.record(ctx, event, { target: userId, details: { ...details, sessions_closed: closed.length } }, tx.audit);
      return updated;
    });
    await this.sessions.afterUserChanged(ctx.database, userId, closed);
    return user;
  }
}
