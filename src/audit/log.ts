// Security events. Every event records when, who acted, on whom, in which database, from
// which address and on which node; the context supplies everything but the event itself.
import type { RequestContext } from '../core/context.js';
import type { AuditRepository } from '../store/ports.js';

export type AuditEventType =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.throttled'
  | 'logout'
  | 'session.opened'
  | 'session.revoked'
  | 'session.closed'
  | 'session.deleted'
  | 'account.created'
  | 'account.updated'
  | 'account.deleted'
  | 'account.suspended'
  | 'account.reinstated'
  | 'account.banned'
  | 'account.unbanned'
  | 'password.changed'
  | 'password.reset_requested'
  | 'password.reset_failed'
  | 'password.reset'
  | 'account.flagged'
  | 'account.role_changed'
  | 'token.invalidated'
  | 'totp.enabled'
  | 'totp.disabled'
  | 'totp.failed'
  | 'signing_key.rotated'
  | 'database.created'
  | 'database.deleted'
  | 'database.selected'
  | 'admin.action'
  | 'secret_key.rotated'
  | 'service_key.created'
  | 'service_key.revoked'
  | 'service_key.rejected';

/** The actor as recorded: a user id, `service:<name>`, or null for an anonymous caller. */
export function actorOf(ctx: Pick<RequestContext, 'caller'>): string | null {
  const { caller } = ctx;
  if (caller.kind === 'user') return caller.userId;
  if (caller.kind === 'service') return `service:${caller.keyName}`;
  return null;
}

export class AuditLog {
  constructor(private readonly repository: AuditRepository) {}

  async record(
    ctx: Pick<RequestContext, 'database' | 'caller' | 'address' | 'nodeId' | 'clock'>,
    type: AuditEventType,
    event: { target?: string | null; actor?: string | null; details?: Record<string, unknown> } = {},
    repository: AuditRepository = this.repository,
  ): Promise<void> {
    await repository.append({
      database: ctx.database,
      at: ctx.clock.now(),
      type,
      actor: event.actor !== undefined ? event.actor : actorOf(ctx),
      target: event.target ?? null,
      address: ctx.address || null,
      nodeId: ctx.nodeId,
      details: event.details ?? null,
    });
  }
}
