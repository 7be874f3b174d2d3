// Access tokens: a token straight from a password login (optionally limited to a lower
// role), issued again for a signed-in session (renewal, never past the session's end, and
// without the password), and invalidation, which closes the token's session.
import { Type } from '@sinclair/typebox';
import type { AuditLog } from '../audit/log.js';
import { RoleName } from '../accounts/administration-operations.js';
import { selfOf } from '../accounts/operations.js';
import type { AccountService } from '../accounts/service.js';
import { fail } from '../core/errors.js';
import type { AccessTokens } from '../credentials/access-tokens.js';
import { defineOperation } from '../operations/operation.js';
import type { SessionService } from './service.js';

const Ttl = Type.Integer({ minimum: 1000, maximum: Number.MAX_SAFE_INTEGER, description: 'requested lifetime in ms; clamped to TOKEN_TTL_MAX and to the session’s end' });

export function tokenOperations(sessions: SessionService, tokens: AccessTokens, accounts: AccountService, audit: AuditLog) {
  return {
    issue: defineOperation({
      name: 'tokens.issue',
      summary: "An access token for the caller's session; calling again renews it.",
      access: 'authenticated',
      input: Type.Object({ ttl: Type.Optional(Ttl) }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const self = selfOf(ctx);
        const session = (await sessions.validateById(ctx.database, self.sessionId)) ?? fail('unauthenticated', { message: 'The session is not valid.' });
        // The token keeps the caller's role, which an access token may have limited.
        return tokens.issue(session, self.role, input.ttl);
      },
    }),

    login: defineOperation({
      name: 'tokens.login',
      summary: 'Check a username and password (and TOTP code, when enrolled), open a session and return an access token for it, limited to `role` when given.',
      access: 'public',
      input: Type.Object(
        {
          username: Type.String({ minLength: 1, maxLength: 256 }),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          ttl: Type.Optional(Ttl),
          role: Type.Optional(RoleName),
          totp: Type.Optional(Type.String({ maxLength: 16, description: 'needed once the account has TOTP enrolled' })),
        },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        const { user, opened } = await accounts.login(ctx, { login: input.username, byEmail: false, password: input.password, totp: input.totp, role: input.role });
        return tokens.issue(opened.session, input.role ?? user.role, input.ttl);
      },
    }),

    invalidate: defineOperation({
      name: 'tokens.invalidate',
      summary: "Invalidate the caller's token: its session closes, and with it every credential of that session.",
      access: 'authenticated',
      input: Type.Object({}, { additionalProperties: false }),
      handler: async (ctx) => {
        const self = selfOf(ctx);
        await sessions.close(ctx.database, [self.sessionId]);
        await audit.record(ctx, 'token.invalidated', { target: self.userId, details: { session_id: self.sessionId } });
        return { invalidatedAt: ctx.clock.now() };
      },
    }),
  };
}
