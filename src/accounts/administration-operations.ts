// Account operations of the message API: creation (with a role, for administrators),
// reading, renaming, deletion, name look-up and role changes. "Own, or anyone's with a
// permission" is decided here by `authorize`, so the second-factor rule stays in one place.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { permissions, roles, type Permission } from '../core/permissions.js';
import { authorize, defineOperation } from '../operations/operation.js';
import { selfOf } from './operations.js';
import type { AccountService } from './service.js';

const UserId = Type.String({ minLength: 1, maxLength: 128 });
const Username = Type.String({ minLength: 1, maxLength: 256, description: '3–64 letters, digits, "_", "." or "-"' });
const Email = Type.String({ minLength: 1, maxLength: 254 });
export const RoleName = Type.Union(roles.map((role) => Type.Literal(role)));
const PermissionName = Type.Union(permissions.map((permission) => Type.Literal(permission)));

/** The account an operation acts on: the caller's own, or another's with `permission`. */
function targetOf(ctx: RequestContext, userId: string | undefined, permission: Permission): string {
  const self = selfOf(ctx);
  if (userId !== undefined && userId !== self.userId) authorize(permission, ctx.caller);
  return userId ?? self.userId;
}

export function administrationOperations(accounts: AccountService) {
  return {
    create: defineOperation({
      name: 'accounts.create',
      summary: 'Create an account; a role other than user needs an administrator (with a second factor).',
      access: 'public',
      input: Type.Object({ username: Username, user_email: Email, password: Type.String({ minLength: 1, maxLength: 1024 }), role: Type.Optional(RoleName) }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const role = input.role ?? 'user';
        if (role !== 'user') {
          if (ctx.caller.kind === 'anonymous') fail('forbidden', { message: 'Only an administrator may create an account with this role.' });
          authorize('accounts.roles', ctx.caller);
        }
        return accounts.register(ctx, { username: input.username, email: input.user_email, password: input.password, role });
      },
    }),

    read: defineOperation({
      name: 'accounts.read',
      summary: "An account's data: the caller's own, or anyone's for moderators and administrators.",
      access: 'account.self',
      input: Type.Object({ user_id: Type.Optional(UserId) }, { additionalProperties: false }),
      handler: (ctx, input) => accounts.findUser(ctx.database, targetOf(ctx, input.user_id, 'accounts.read')),
    }),

    rename: defineOperation({
      name: 'accounts.rename',
      summary: "Change the caller's username and email together (send the current value to keep one).",
      access: 'account.self',
      input: Type.Object({ username: Username, user_email: Email }, { additionalProperties: false }),
      handler: (ctx, input) => {
        const self = selfOf(ctx);
        return accounts.update(ctx, self.userId, self.sessionId, { username: input.username, email: input.user_email });
      },
    }),

    delete: defineOperation({
      name: 'accounts.delete',
      summary: 'Delete an account with all its data: the caller’s own, or anyone’s for administrators.',
      access: 'account.self',
      input: Type.Object({ user_id: Type.Optional(UserId) }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        await accounts.deleteUser(ctx, targetOf(ctx, input.user_id, 'accounts.manage'));
        return null;
      },
    }),

    username: defineOperation({
      name: 'accounts.username',
      summary: 'The username of an account, for any signed-in user.',
      access: 'authenticated',
      input: Type.Object({ user_id: UserId }, { additionalProperties: false }),
      handler: async (ctx, input) => (await accounts.findUser(ctx.database, input.user_id)).username,
    }),

    changeRole: defineOperation({
      name: 'accounts.change_role',
      summary: "Set an account's role and/or its extra privileges (permission names).",
      access: 'accounts.roles',
      input: Type.Object(
        { user_id: UserId, new_role: Type.Optional(RoleName), new_privileges: Type.Optional(Type.Array(PermissionName, { maxItems: permissions.length, uniqueItems: true })) },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        if (input.new_role === undefined && input.new_privileges === undefined) {
          fail('validation_failed', { message: 'Give new_role, new_privileges or both.', details: { fields: ['new_role', 'new_privileges'] } });
        }
        await accounts.changeRoleAndPrivileges(ctx, input.user_id, { role: input.new_role, privileges: input.new_privileges });
        return null;
      },
    }),
  };
}
