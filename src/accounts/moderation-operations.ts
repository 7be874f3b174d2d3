// Moderation operations: ban (until a time, 24 h by default, or for good), unban, flag an
// account, and the flagged list for review. Moderators act on users; only administrators
// act on moderators and administrators; nobody moderates their own account.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { defineOperation } from '../operations/operation.js';
import type { UserRecord } from '../store/ports.js';
import type { ModerationService } from './moderation.js';
import { selfOf } from './operations.js';
import type { AccountService } from './service.js';

export const defaultBanMs = 24 * 60 * 60_000;

const UserId = Type.String({ minLength: 1, maxLength: 128 });

/** The account, when the caller may moderate it. */
export async function moderatedAccount(ctx: RequestContext, accounts: AccountService, userId: string): Promise<UserRecord> {
  const target = await accounts.findUser(ctx.database, userId);
  const self = selfOf(ctx);
  if (target.id === self.userId) fail('forbidden', { message: 'An account cannot moderate itself.' });
  if (target.role !== 'user' && self.role !== 'admin') fail('forbidden', { message: 'Only an administrator may moderate a moderator or administrator.' });
  return target;
}

function banEnd(ctx: RequestContext, permanent: boolean | undefined, until: string | undefined): number | null {
  if (permanent === true) {
    if (until !== undefined) fail('validation_failed', { message: 'until: not allowed with permanent: true', details: { field: 'until' } });
    return null;
  }
  if (until === undefined) return ctx.clock.now() + defaultBanMs;
  const at = Date.parse(until);
  if (!Number.isFinite(at)) fail('validation_failed', { message: 'until: must be an ISO 8601 time', details: { field: 'until' } });
  return at;
}

export function moderationOperations(accounts: AccountService, moderation: ModerationService) {
  return {
    ban: defineOperation({
      name: 'moderation.ban',
      summary: 'Ban an account until a time (default 24 h from now) or for good; its sessions close and its logins are refused.',
      access: 'accounts.ban',
      input: Type.Object(
        { user_id: UserId, permanent: Type.Optional(Type.Boolean()), until: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601 time; only when not permanent' })) },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        const end = banEnd(ctx, input.permanent, input.until);
        const target = await moderatedAccount(ctx, accounts, input.user_id);
        await moderation.ban(ctx, target.id, end);
        return null;
      },
    }),

    unban: defineOperation({
      name: 'moderation.unban',
      summary: 'Lift a ban. An account that is not banned is a conflict (a suspension is not lifted here).',
      access: 'accounts.ban',
      input: Type.Object({ user_id: UserId }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const target = await moderatedAccount(ctx, accounts, input.user_id);
        if (target.status !== 'banned') fail('conflict', { message: 'The account is not banned.' });
        await moderation.unban(ctx, target.id);
        return null;
      },
    }),

    flag: defineOperation({
      name: 'moderation.flag',
      summary: 'Report an account to the moderators, with an optional reason; reporting it again replaces the earlier report.',
      access: 'authenticated',
      input: Type.Object({ user_id: UserId, reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const reason = input.reason?.trim() || null;
        await moderation.flag(ctx, input.user_id, selfOf(ctx).userId, reason);
        return null;
      },
    }),

    flagged: defineOperation({
      name: 'moderation.flagged',
      summary: 'Every flagged account with its number of distinct reporters and their reasons, most recently flagged first.',
      access: 'flags.review',
      input: Type.Object({}, { additionalProperties: false }),
      handler: (ctx) => moderation.flagged(ctx.database),
    }),
  };
}
