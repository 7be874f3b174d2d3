// Password operations of the message API: asking for a reset code by mail, and setting a
// new password either with the old one (signed in) or with a mailed code. Both paths are
// one operation, as the message is one; a wrong old password or code is `invalid_credentials`.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { defineOperation } from '../operations/operation.js';
import { checkNewPassword } from './password-policy.js';
import type { PasswordReset, ResetTarget } from './password-reset.js';
import type { AccountService } from './service.js';

const Username = Type.String({ minLength: 1, maxLength: 256 });
const Email = Type.String({ minLength: 1, maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });

function invalid(message: string, fields: string[]): never {
  fail('validation_failed', { message, details: { fields } });
}

/** The account named by exactly one of username or user_email. */
function namedAccount(input: { username?: string; user_email?: string }): { username: string } | { email: string } {
  if ((input.username === undefined) === (input.user_email === undefined)) invalid('Give exactly one of username or user_email.', ['username', 'user_email']);
  return input.username !== undefined ? { username: input.username } : { email: input.user_email! };
}

export function passwordOperations(accounts: AccountService, reset: PasswordReset) {
  return {
    requestReset: defineOperation({
      name: 'accounts.request_reset',
      summary: 'Mail a single-use reset code (15 minutes, 5 tries) to the account: the signed-in one, or the one named. The answer is the same for unknown accounts.',
      access: 'public',
      input: Type.Object({ username: Type.Optional(Username), user_email: Type.Optional(Email) }, { additionalProperties: false }),
      handler: (ctx: RequestContext, input) => {
        let target: ResetTarget;
        if (ctx.caller.kind === 'user') {
          if (input.username !== undefined || input.user_email !== undefined) invalid('With a token, the reset is for its own account: name no account.', ['username', 'user_email']);
          target = { userId: ctx.caller.userId };
        } else {
          target = namedAccount(input);
        }
        return reset.request(ctx, target);
      },
    }),

    updatePassword: defineOperation({
      name: 'accounts.update_password',
      summary: 'Set a new password: with old_password (signed in; the other sessions close), or with reset_code and the account name (every session closes).',
      access: 'public',
      input: Type.Object(
        {
          new_password: Password,
          old_password: Type.Optional(Password),
          reset_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          username: Type.Optional(Username),
          user_email: Type.Optional(Email),
        },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        checkNewPassword(input.new_password, 'new_password');
        if (input.reset_code !== undefined) {
          if (input.old_password !== undefined) invalid('Give old_password or reset_code, not both.', ['old_password', 'reset_code']);
          await reset.complete(ctx, { target: namedAccount(input), code: input.reset_code, newPassword: input.new_password });
          return null;
        }
        if (input.username !== undefined || input.user_email !== undefined) invalid('reset_code: is required when naming an account', ['reset_code']);
        if (ctx.caller.kind !== 'user') fail('unauthenticated');
        if (input.old_password === undefined) invalid('old_password: is required (or reset_code with the account name)', ['old_password']);
        await accounts.update(ctx, ctx.caller.userId, ctx.caller.sessionId, { password: input.new_password, currentPassword: input.old_password, passwordField: 'new_password' });
        return null;
      },
    }),
  };
}
