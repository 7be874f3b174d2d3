// Session operations for signed-in users: log in, validate, log out, list and revoke
// one's own sessions. The sessions-service operations for back-end callers live in
// service-operations.ts; both act on the same SessionService.
import { Type } from '@sinclair/typebox';
import type { AuditLog } from '../audit/log.js';
import type { AccountService } from '../accounts/service.js';
import { selfOf } from '../accounts/operations.js';
import { fail } from '../core/errors.js';
import { andThen } from '../core/maybe-async.js';
import { defineOperation } from '../operations/operation.js';
import type { Authenticator } from './authenticator.js';
import type { SessionService } from './service.js';

/** A session token or an access token (JWT). */
const Token = Type.String({ minLength: 1, maxLength: 4096 });

export function sessionOperations(sessions: SessionService, accounts: AccountService, audit: AuditLog, authenticator: Authenticator) {
  return {
    login: defineOperation({
      name: 'sessions.login',
      summary: 'Check a username (or email) and password and open a session.',
      access: 'public',
      input: Type.Object(
        {
          username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          totp: Type.Optional(Type.String({ maxLength: 16, description: 'needed once the account has TOTP enrolled' })),
          node_id: Type.Optional(Type.String({ maxLength: 256, description: 'the client machine’s id, kept on the session (RPC nodeID)' })),
        },
        { additionalProperties: false },
      ),
      handler: (ctx, input) => {
        if ((input.username === undefined) === (input.email === undefined)) {
          fail('validation_failed', { message: 'Give exactly one of username or email.', details: { fields: ['username', 'email'] } });
        }
        return accounts.login(ctx, {
          login: input.username ?? input.email!,
          byEmail: input.username === undefined,
          password: input.password,
          totp: input.totp,
          nodeId: input.node_id ?? null,
        });
      },
    }),

    validate: defineOperation({
      name: 'sessions.validate',
      summary: 'Check that a session token or access token is live; an expired or idle session is closed.',
      access: 'public',
      input: Type.Object({ token: Token }, { additionalProperties: false }),
      handler: (ctx, input) => andThen(authenticator.liveSession(input.token, ctx.database), (session) => session ?? fail('unauthenticated')),
    }),

    logout: defineOperation({
      name: 'sessions.logout',
      summary: 'Close the session a session token or access token belongs to, whether or not it is still live.',
      access: 'public',
      input: Type.Object({ token: Token }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const session = await authenticator.anySession(input.token, ctx.database);
        if (session === undefined || !session.active) fail('unauthenticated');
        await sessions.close(ctx.database, [session.id]);
        await audit.record(ctx, 'logout', { actor: session.userId, target: session.userId, details: { session_id: session.id } });
        return session;
      },
    }),

    listOwn: defineOperation({
      name: 'sessions.list_own',
      summary: "The caller's live sessions, oldest first.",
      access: 'sessions.self',
      input: Type.Object({}, { additionalProperties: false }),
      handler: async (ctx) => {
        const self = selfOf(ctx);
        const now = ctx.clock.now();
        const active = await sessions.listActiveForUser(ctx.database, self.userId);
        return active.filter((s) => sessions.isLive(s, now)).map((session) => ({ session, current: session.id === self.sessionId }));
      },
    }),

    revokeOwn: defineOperation({
      name: 'sessions.revoke_own',
      summary: 'Close one of the caller’s sessions.',
      access: 'sessions.self',
      input: Type.Object({ session_id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        const self = selfOf(ctx);
        const session = await sessions.find(ctx.database, input.session_id);
        // Another user's session is reported exactly like a missing one.
        if (session === undefined || session.userId !== self.userId || !session.active) fail('not_found');
        await sessions.close(ctx.database, [session.id]);
        await audit.record(ctx, 'session.revoked', { target: self.userId, details: { session_id: session.id } });
        return { sessionId: session.id, current: session.id === self.sessionId };
      },
    }),
  };
}
