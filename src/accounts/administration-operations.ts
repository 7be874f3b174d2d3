// Administration of other users' accounts, by username: create (with a role), delete with
// all their data, suspend and reinstate (sessions closed in the same transaction), status,
// export, and lifting a login lockout. The same services as self-service and moderation.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { roles, type Role } from '../core/permissions.js';
import type { LoginThrottle } from '../credentials/throttle.js';
import { defineOperation } from '../operations/operation.js';
import type { Store } from '../store/ports.js';
import { exportUser } from './export.js';
import type { ModerationService } from './moderation.js';
import { accountThrottleKey, type AccountService } from './service.js';

const Username = Type.String({ minLength: 1, maxLength: 256, description: 'the username' });
const byUsername = Type.Object({ username: Username }, { additionalProperties: false });
const RoleName = Type.Union(roles.map((role) => Type.Literal(role)));

/** Only someone who may change roles may create an account with one above `user`. */
function ensureMayGrant(ctx: RequestContext, role: Role): void {
  if (role === 'user') return;
  if (ctx.caller.kind !== 'user' || !ctx.caller.permissions.has('accounts.roles')) fail('forbidden', { message: 'Only an administrator may create accounts with this role.' });
}

export function administrationOperations(accounts: AccountService, moderation: ModerationService, throttle: LoginThrottle, store: Store) {
  return {
    createUser: defineOperation({
      name: 'accounts.create_user',
      summary: 'Create an account for someone else, optionally with a role; the password is not echoed.',
      access: 'accounts.manage',
      input: Type.Object(
        {
          username: Username,
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'default <username>@users.invalid, which receives no mail' })),
          role: Type.Optional(RoleName),
          full_name: Type.Optional(Type.String({ maxLength: 256 })),
        },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        const role = input.role ?? 'user';
        ensureMayGrant(ctx, role);
        // `.invalid` is reserved: a unique placeholder that never receives mail.
        const email = input.email ?? `${input.username.normalize('NFKC').toLowerCase()}@users.invalid`;
        return accounts.register(ctx, { username: input.username, email, password: input.password, fullName: input.full_name ?? null, role });
      },
    }),

    deleteUser: defineOperation({
      name: 'accounts.delete_user',
      summary: 'Delete an account with every session, second factor and record of it.',
      access: 'accounts.manage',
      input: byUsername,
      handler: async (ctx, input) => {
        const user = await accounts.findByUsername(ctx.database, input.username);
        await accounts.deleteUser(ctx, user.id);
        return user;
      },
    }),

    suspendUser: defineOperation({
      name: 'accounts.suspend_user',
      summary: 'Suspend an account: logins are refused with account_suspended and its sessions close.',
      access: 'accounts.manage',
      input: byUsername,
      handler: async (ctx, input) => moderation.suspend(ctx, (await accounts.findByUsername(ctx.database, input.username)).id),
    }),

    reinstateUser: defineOperation({
      name: 'accounts.reinstate_user',
      summary: 'Lift a suspension or a ban.',
      access: 'accounts.manage',
      input: byUsername,
      handler: async (ctx, input) => moderation.reinstate(ctx, (await accounts.findByUsername(ctx.database, input.username)).id),
    }),

    statusUser: defineOperation({
      name: 'accounts.status_user',
      summary: "An account's status: for someone who may read accounts, or for the user's own session.",
      access: 'authenticated',
      input: byUsername,
      handler: async (ctx, input) => {
        const user = await accounts.findByUsername(ctx.database, input.username).catch(() => undefined);
        const caller = ctx.caller.kind === 'user' ? ctx.caller : fail('unauthenticated');
        // Someone else's status is as unknown as a missing account to a caller without the right.
        if (!caller.permissions.has('accounts.read') && user?.id !== caller.userId) fail('forbidden');
        return user ?? fail('not_found', { message: 'No such user.' });
      },
    }),

    exportUser: defineOperation({
      name: 'accounts.export_user',
      summary: 'Everything held about an account: profile, sessions and audit events (no secret).',
      access: 'accounts.manage',
      input: byUsername,
      handler: async (ctx, input) => exportUser(store, await accounts.findByUsername(ctx.database, input.username)),
    }),

    unlockUser: defineOperation({
      name: 'accounts.unlock_user',
      summary: 'Lift a login lockout of an account (failed-login throttling).',
      access: 'accounts.manage',
      input: byUsername,
      handler: async (ctx, input) => {
        const user = await accounts.findByUsername(ctx.database, input.username);
        await throttle.unlock(accountThrottleKey(ctx.database, user.id));
        return user;
      },
    }),
  };
}
