// Moderation of accounts: suspend, reinstate, ban (until a time or for good) and unban.
// Blocking an account closes every one of its sessions in the same transaction as the
// status change, so no request can slip through between the two.
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import type { AuditEventType, AuditLog } from '../audit/log.js';
import type { SessionService } from '../sessions/service.js';
import type { ClosedSession, Store, UserChanges, UserRecord } from '../store/ports.js';

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
