// Account operations: the catalog entries every surface uses for registration, profile,
// self-service update and deletion, and the caller's permissions.
import { Type } from '@sinclair/typebox';
import { fail } from '../core/errors.js';
import type { RequestContext, UserCaller } from '../core/context.js';
import { defineOperation } from '../operations/operation.js';
import type { AccountService } from './service.js';

const Username = Type.String({ minLength: 1, maxLength: 256, description: '3–64 letters, digits, "_", "." or "-" after NFKC normalisation; unique per database, case-insensitively' });
const Email = Type.String({ minLength: 1, maxLength: 254, description: 'trimmed and lower-cased; unique per database' });
const Password = Type.String({ minLength: 1, maxLength: 1024, description: '8–256 characters' });
const FullName = Type.Union([Type.String({ maxLength: 256 }), Type.Null()]);

/** The signed-in user making the call; operations with `account.self` access have one. */
export function selfOf(ctx: RequestContext): UserCaller {
  return ctx.caller.kind === 'user' ? ctx.caller : fail('unauthenticated');
}

export function accountOperations(accounts: AccountService) {
  return {
    register: defineOperation({
      name: 'accounts.register',
      summary: 'Create an account with a password.',
      access: 'public',
      input: Type.Object({ username: Username, email: Email, password: Password, full_name: Type.Optional(FullName) }, { additionalProperties: false }),
      handler: (ctx, input) => accounts.register(ctx, { username: input.username, email: input.email, password: input.password, fullName: input.full_name ?? null }),
    }),

    profile: defineOperation({
      name: 'accounts.profile',
      summary: "The caller's own account.",
      access: 'account.self',
      input: Type.Object({}, { additionalProperties: false }),
      handler: (ctx) => accounts.findUser(ctx.database, selfOf(ctx).userId),
    }),

    update: defineOperation({
      name: 'accounts.update',
      summary: "Change the caller's username, email, full name or password, all or nothing.",
      access: 'account.self',
      input: Type.Object(
        {
          username: Type.Optional(Username),
          email: Type.Optional(Email),
          full_name: Type.Optional(FullName),
          password: Type.Optional(Password),
          current_password: Type.Optional(Password),
        },
        { additionalProperties: false },
      ),
      handler: (ctx, input) => {
        const self = selfOf(ctx);
        return accounts.update(ctx, self.userId, self.sessionId, {
          username: input.username,
          email: input.email,
          fullName: input.full_name,
          password: input.password,
          currentPassword: input.current_password,
        });
      },
    }),

    deleteSelf: defineOperation({
      name: 'accounts.delete_self',
      summary: "Delete the caller's account and everything of theirs; needs the password.",
      access: 'account.self',
      input: Type.Object({ password: Password }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const { userId } = selfOf(ctx);
        await accounts.deleteSelf(ctx, userId, input.password);
        return { userId };
      },
    }),

    permissions: defineOperation({
      name: 'accounts.permissions',
      summary: "The caller's role and effective permissions.",
      access: 'authenticated',
      input: Type.Object({}, { additionalProperties: false }),
      handler: async (ctx) => {
        const self = selfOf(ctx);
        return { role: self.role, permissions: [...self.permissions] };
      },
    }),
  };
}
