// Self-service TOTP: start an enrolment, confirm it with a first code, disable it with a
// code or the password. Every check goes through `AccountService.guardSecret`: a wrong code
// or password counts toward the account's login throttle, so these routes guess nothing.
import { Type } from '@sinclair/typebox';
import { fail } from '../core/errors.js';
import { defineOperation } from '../operations/operation.js';
import { selfOf } from './operations.js';
import type { AccountService } from './service.js';

const Code = Type.String({ minLength: 1, maxLength: 16, description: 'the 6-digit code the authenticator shows now' });
const Password = Type.String({ minLength: 1, maxLength: 1024 });

export function secondFactorOperations(accounts: AccountService) {
  const { secondFactor } = accounts;

  return {
    enrol: defineOperation({
      name: 'totp.enrol',
      summary: 'Start TOTP enrolment: a new secret and its otpauth:// URI for an authenticator app.',
      access: 'account.self',
      input: Type.Object({}, { additionalProperties: false }),
      handler: async (ctx) => secondFactor.enrol(ctx, await accounts.findUser(ctx.database, selfOf(ctx).userId)),
    }),

    confirm: defineOperation({
      name: 'totp.confirm',
      summary: 'Complete TOTP enrolment with a current code; later logins need a code.',
      access: 'account.self',
      input: Type.Object({ code: Code }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const { userId } = selfOf(ctx);
        await accounts.guardSecret(ctx, userId, () => secondFactor.confirm(ctx, userId, input.code));
        return { enabled: true };
      },
    }),

    disable: defineOperation({
      name: 'totp.disable',
      summary: 'Disable TOTP with a current code or the password.',
      access: 'account.self',
      input: Type.Object({ code: Type.Optional(Code), password: Type.Optional(Password) }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const { userId } = selfOf(ctx);
        if ((input.code === undefined) === (input.password === undefined)) {
          fail('validation_failed', { message: 'Give exactly one of code or password.', details: { fields: ['code', 'password'] } });
        }
        if (!(await secondFactor.isEnabled(ctx.database, userId))) fail('not_found', { message: 'No second factor is enabled.' });
        if (input.password !== undefined) await accounts.checkPassword(ctx, userId, input.password);
        else {
          const code = input.code!;
          await accounts.guardSecret(ctx, userId, async () => {
            if (!(await secondFactor.check(ctx, userId, code))) fail('invalid_credentials', { message: 'The code is not valid.' });
          });
        }
        await secondFactor.disable(ctx, userId);
        return { enabled: false };
      },
    }),
  };
}
