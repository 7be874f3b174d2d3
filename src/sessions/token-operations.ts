// Access tokens for a signed-in session: issued (and renewed, which is issuing again) for
// the caller's own session, without the password, never living past the session's end.
import { Type } from '@sinclair/typebox';
import { selfOf } from '../accounts/operations.js';
import { fail } from '../core/errors.js';
import type { AccessTokens } from '../credentials/access-tokens.js';
import { defineOperation } from '../operations/operation.js';
import type { SessionService } from './service.js';

export function tokenOperations(sessions: SessionService, tokens: AccessTokens) {
  return {
    issue: defineOperation({
      name: 'tokens.issue',
      summary: "An access token for the caller's session; calling again renews it.",
      access: 'authenticated',
      input: Type.Object(
        { ttl: Type.Optional(Type.Integer({ minimum: 1000, maximum: Number.MAX_SAFE_INTEGER, description: 'requested lifetime in ms; clamped to TOKEN_TTL_MAX and to the session’s end' })) },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        const self = selfOf(ctx);
        const session = (await sessions.validateById(ctx.database, self.sessionId)) ?? fail('unauthenticated', { message: 'The session is not valid.' });
        // The token keeps the caller's role, which an access token may have limited.
        return tokens.issue(session, self.role, input.ttl);
      },
    }),
  };
}
