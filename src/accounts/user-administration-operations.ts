// Administration of other users' accounts by username, as the RPC names them: delete with
// all their data, suspend and reinstate (sessions closed in the same transaction), status,
// export, and lifting a login lockout. The same services as self-service and moderation;
// creating an account is `accounts.create` (administration-operations.ts).
import { Type } from '@sinclair/typebox';
import { fail, GatehouseError } from '../core/errors.js';
import type { LoginThrottle } from '../credentials/throttle.js';
import { defineOperation } from '../operations/operation.js';
import type { Store } from '../store/ports.js';
import { exportUser } from './export.js';
import type { ModerationService } from './moderation.js';
import { moderatedAccount } from './moderation-operations.js';
import { accountThrottleKey, type AccountService } from './service.js';

const Username = Type.String({ minLength: 1, maxLength: 256, description: 'the username' });
const byUsername = Type.Object({ username: Username }, { additionalProperties: false });

export function userAdministrationOperations(accounts: AccountService, moderation: ModerationService, throttle: LoginThrottle, store: Store) {
  return {
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
      handler: async (ctx, input) => {
        const target = await moderatedAccount(ctx, accounts, (await accounts.findByUsername(ctx.database, input.username)).id);
        return moderation.suspend(ctx, target.id);
      },
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
        // Only a missing account is hidden below; a store failure stays a failure.
        const user = await accounts.findByUsername(ctx.database, input.username).catch((err: unknown) => {
          if (err instanceof GatehouseError && err.code === 'not_found') return undefined;
          throw err;
        });
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
