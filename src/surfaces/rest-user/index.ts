// The REST user API (SPEC §3): translates HTTP + cookie to catalog operations and back
// into the {status, data | error} envelope. No business rules live here.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { anonymous, type RequestContext } from '../../core/context.js';
import { fail, GatehouseError } from '../../core/errors.js';
import { andThen, settle } from '../../core/maybe-async.js';
import { invoke } from '../../operations/operation.js';
import type { LiveSession } from '../../sessions/cache.js';
import { bearerToken, headerValue, overHttps, requestContext } from '../../server/context.js';
import { addRoute, type HttpRoute } from '../http-route.js';
import { isJsonObject } from '../json-body.js';
import type { HttpSurface, SurfaceDeps } from '../surface.js';
import { clearedSessionCookie, readCookie, sessionCookie, sessionCookieName } from './cookies.js';
import { ErrorEnvelope, sendError, sendSuccess, successEnvelope } from './envelope.js';
import {
  OwnSessionView,
  PermissionsView,
  RegisteredView,
  SessionIdView,
  SessionView,
  TokenView,
  TotpEnrolmentView,
  TotpStateView,
  UserIdView,
  UserView,
  iso,
  ownSessionView,
  sessionView,
  userView,
} from './views.js';

type Credential = { token: string; source: 'cookie' | 'bearer' };

const mutating = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const updatableFields = ['username', 'email', 'full_name', 'password', 'current_password'] as const;
const jsonMediaType = /^application\/json\s*(?:;|$)/i;

export const restUserSurface: HttpSurface = {
  tag: 'REST user API',
  description: 'Accounts, password login and the sid session cookie (SPEC §3).',
  prefixes: ['/api/user'],
  plugin: restUserPlugin,
  sendError,
  unknownRouteMessage: () => 'No such route.',
};

function restUserPlugin(deps: SurfaceDeps): FastifyPluginAsync {
  const { core } = deps;
  const { accounts, sessions, tokens, secondFactor } = core.catalog;

  const secureCookie = (request: FastifyRequest): boolean =>
    core.config.cookieSecure === 'auto' ? overHttps(request, core.config.trustProxy) : core.config.cookieSecure;

  const credentialOf = (request: FastifyRequest): Credential | undefined => {
    const bearer = bearerToken(request);
    if (bearer !== undefined) return { token: bearer, source: 'bearer' };
    const cookie = readCookie(request.headers.cookie, sessionCookieName);
    return cookie ? { token: cookie, source: 'cookie' } : undefined;
  };

  /**
   * A browser-sent mutation must come from the service's own origin or an allowed one.
   * Bearer calls are exempt (a browser never attaches them on its own); requests without
   * an Origin header are not from a browser's cross-site context.
   */
  const checkOrigin = (request: FastifyRequest, credential: Credential | undefined): void => {
    if (!mutating.has(request.method) || credential?.source === 'bearer') return;
    const origin = headerValue(request, 'origin');
    if (origin === undefined) return;
    if (origin === `${request.protocol}://${request.host}` || core.config.allowedOrigins.includes(origin)) return;
    fail('forbidden', { message: 'The request origin is not allowed.' });
  };

  const clearCookie = (request: FastifyRequest, reply: FastifyReply) => reply.header('set-cookie', clearedSessionCookie(secureCookie(request)));

  /** Context for a route open to anyone. */
  const publicContext = async (request: FastifyRequest): Promise<RequestContext> => {
    checkOrigin(request, credentialOf(request));
    return requestContext(deps, request, anonymous);
  };

  // Contexts authenticated by a route's onRequest hook, before its body was read.
  const authenticated = new WeakMap<FastifyRequest, RequestContext>();

  /** Context of the signed-in caller: the one authenticated before the body was read. */
  const signedInContext = async (request: FastifyRequest, reply: FastifyReply): Promise<RequestContext> =>
    authenticated.get(request) ?? authenticate(request, reply);

  /** Authenticates the caller; a dead cookie is cleared on the way out. */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<RequestContext> => {
    const credential = credentialOf(request);
    if (credential === undefined) fail('unauthenticated');
    checkOrigin(request, credential);
    const ctx = await requestContext(deps, request, anonymous);
    const auth = await core.authenticator.user(credential.token, ctx.database);
    if (auth === undefined) {
      if (credential.source === 'cookie') clearCookie(request, reply);
      await core.throttle.refuseCredential(ctx.address); // past the address's quota: rate_limited
      fail('unauthenticated', { message: 'The session is not valid.' });
    }
    return { ...ctx, caller: auth.caller };
  };

  /**
   * The credential is the whole input of validate and logout: one the operation refuses as
   * malformed (say, over-long) is an invalid session to the client, not a bad `token` field
   * it never sent.
   */
  const asCredentialError = (err: unknown): unknown =>
    err instanceof GatehouseError && err.code === 'validation_failed' ? new GatehouseError('unauthenticated', { message: 'The session is not valid.' }) : err;

  const tokenOf = (request: FastifyRequest, reply: FastifyReply): Credential => {
    const credential = credentialOf(request);
    if (credential === undefined) fail('unauthenticated');
    checkOrigin(request, credential);
    // Whatever happens next, a cookie that reached here is spent or dead.
    if (credential.source === 'cookie') clearCookie(request, reply);
    return credential;
  };

  /**
   * A route without a body schema takes no body (an empty object aside): its operation's
   * input is built from the cookie and path, so anything sent would be silently dropped.
   * Fastify parses DELETE bodies but never reads GET ones, so a GET body is judged unread.
   */
  const refuseBody = (request: FastifyRequest): void => {
    const { body } = request;
    const noBody = 'body: This route takes no body.';
    if (body !== undefined) {
      if (isJsonObject(body) && Object.keys(body).length === 0) return;
      fail('validation_failed', { message: noBody });
    }
    const sent = Number(headerValue(request, 'content-length') ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (!sent) return;
    if (!jsonMediaType.test(headerValue(request, 'content-type') ?? '')) fail('unsupported_media_type');
    fail('validation_failed', { message: noBody });
  };

  const signedIn: HttpRoute['security'] = ['cookie', 'bearer'];
  const authErrors = [400, 401, 403, 404, 415, 429];

  const routes: Array<Omit<HttpRoute, 'tag'>> = [
    {
      method: 'POST',
      path: '/register',
      summary: 'Register an account.',
      operation: accounts.register.name,
      body: accounts.register.input,
      responses: { 201: { description: 'Created', schema: successEnvelope(RegisteredView) } },
      errorStatuses: [400, 403, 409, 413, 415],
      handler: async (request, reply) => {
        const user = await invoke(accounts.register, await publicContext(request), request.body);
        return sendSuccess(reply, { user_id: user.id, username: user.username, email: user.email, created_at: iso(user.createdAt) }, 201);
      },
    },
    {
      method: 'POST',
      path: '/session/create',
      summary: 'Log in with username (or email) and password; sets the sid cookie.',
      operation: sessions.login.name,
      body: sessions.login.input,
      responses: { 200: { description: 'Logged in; Set-Cookie: sid', schema: successEnvelope(SessionView) } },
      errorStatuses: [400, 401, 403, 409, 413, 415, 429],
      handler: async (request, reply) => {
        const { opened } = await invoke(sessions.login, await publicContext(request), request.body);
        const maxAge = (opened.session.expiresAt - core.clock.now()) / 1000;
        reply.header('set-cookie', sessionCookie(opened.token, maxAge, secureCookie(request)));
        return sendSuccess(reply, sessionView(opened.session));
      },
    },
    {
      method: 'GET',
      path: '/session/validate',
      summary: 'Check the session; an invalid or expired one is revoked and its cookie cleared.',
      operation: sessions.validate.name,
      security: signedIn,
      responses: { 200: { description: 'Valid', schema: successEnvelope(SessionView) } },
      serializeBySchema: true,
      errorStatuses: [401],
      // Not async: a cached live session is answered without a promise (core/maybe-async.ts).
      handler: (request, reply) => {
        const credential = credentialOf(request);
        if (credential === undefined) fail('unauthenticated');
        const answer = (session: LiveSession): undefined => void sendSuccess(reply, sessionView(session));
        const refuse = (err: unknown): never => {
          if (credential.source === 'cookie') clearCookie(request, reply);
          throw asCredentialError(err);
        };
        return andThen(requestContext(deps, request), (ctx) => settle(() => invoke(sessions.validate, ctx, { token: credential.token }), answer, refuse));
      },
    },
    {
      method: 'DELETE',
      path: '/session/delete',
      summary: 'Log out: revoke the session and clear the cookie.',
      operation: sessions.logout.name,
      security: signedIn,
      responses: { 200: { description: 'Revoked', schema: successEnvelope(SessionIdView) } },
      errorStatuses: [401, 403],
      handler: async (request, reply) => {
        const credential = tokenOf(request, reply);
        const ctx = await requestContext(deps, request);
        try {
          const session = await invoke(sessions.logout, ctx, { token: credential.token });
          return sendSuccess(reply, { session_id: session.id });
        } catch (err) {
          throw asCredentialError(err);
        }
      },
    },
    {
      method: 'GET',
      path: '',
      summary: "The caller's account.",
      operation: accounts.profile.name,
      security: signedIn,
      responses: { 200: { description: 'The account', schema: successEnvelope(UserView) } },
      serializeBySchema: true,
      errorStatuses: [401, 403],
      handler: async (request, reply) => sendSuccess(reply, userView(await invoke(accounts.profile, await signedInContext(request, reply), {}))),
    },
    {
      method: 'PATCH',
      path: '/update',
      summary: 'Update username, email, full name or password (with current_password), all or nothing. Unknown fields, including role, are ignored.',
      operation: accounts.update.name,
      body: accounts.update.input,
      security: signedIn,
      responses: { 200: { description: 'The updated account', schema: successEnvelope(UserView) } },
      errorStatuses: [...authErrors, 409, 413],
      handler: async (request, reply) => {
        const ctx = await signedInContext(request, reply);
        const body = request.body;
        if (!isJsonObject(body)) fail('validation_failed', { message: 'body: Expected a JSON object' });
        const known = Object.fromEntries(updatableFields.filter((f) => Object.hasOwn(body, f)).map((f) => [f, body[f]]));
        return sendSuccess(reply, userView(await invoke(accounts.update, ctx, known)));
      },
    },
    {
      method: 'DELETE',
      path: '/delete',
      summary: 'Delete the account with all its sessions and records; needs the password.',
      operation: accounts.deleteSelf.name,
      body: accounts.deleteSelf.input,
      security: signedIn,
      responses: { 200: { description: 'Deleted', schema: successEnvelope(UserIdView) } },
      errorStatuses: [...authErrors, 413],
      handler: async (request, reply) => {
        const { userId } = await invoke(accounts.deleteSelf, await signedInContext(request, reply), request.body);
        clearCookie(request, reply);
        return sendSuccess(reply, { user_id: userId });
      },
    },
    {
      method: 'GET',
      path: '/permissions',
      summary: "The caller's role and effective permissions.",
      operation: accounts.permissions.name,
      security: signedIn,
      responses: { 200: { description: 'Permissions', schema: successEnvelope(PermissionsView) } },
      errorStatuses: [401],
      handler: async (request, reply) => sendSuccess(reply, await invoke(accounts.permissions, await signedInContext(request, reply), {})),
    },
    {
      method: 'POST',
      path: '/token',
      summary: "An access token (JWT) for the caller's session; calling again renews it, never past the session's end. Optional body {ttl} in ms.",
      operation: tokens.issue.name,
      body: tokens.issue.input,
      security: signedIn,
      responses: { 200: { description: 'The token', schema: successEnvelope(TokenView) } },
      errorStatuses: [...authErrors, 413],
      handler: async (request, reply) => {
        // The body is optional: none at all asks for the default lifetime.
        const issued = await invoke(tokens.issue, await signedInContext(request, reply), request.body === undefined ? {} : request.body);
        return sendSuccess(reply, { token: issued.token, expires_at: iso(issued.expiresAt) });
      },
    },
    {
      method: 'POST',
      path: '/totp',
      summary: 'Start TOTP enrolment: the otpauth:// URI (for a QR code) and the secret. Pending until confirmed with /totp/verify.',
      operation: secondFactor.enrol.name,
      security: signedIn,
      responses: { 200: { description: 'The enrolment', schema: successEnvelope(TotpEnrolmentView) } },
      errorStatuses: [401, 403, 409],
      handler: async (request, reply) => {
        const enrolment = await invoke(secondFactor.enrol, await signedInContext(request, reply), {});
        return sendSuccess(reply, { otpauth_url: enrolment.otpauthUrl, secret: enrolment.secret });
      },
    },
    {
      method: 'POST',
      path: '/totp/verify',
      summary: 'Complete TOTP enrolment with a current code; from then on every login needs `totp`.',
      operation: secondFactor.confirm.name,
      body: secondFactor.confirm.input,
      security: signedIn,
      responses: { 200: { description: 'Enabled', schema: successEnvelope(TotpStateView) } },
      errorStatuses: [...authErrors, 409, 413],
      handler: async (request, reply) => sendSuccess(reply, await invoke(secondFactor.confirm, await signedInContext(request, reply), request.body)),
    },
    {
      method: 'DELETE',
      path: '/totp',
      summary: 'Disable TOTP with a current `code` or the `password`.',
      operation: secondFactor.disable.name,
      body: secondFactor.disable.input,
      security: signedIn,
      responses: { 200: { description: 'Disabled', schema: successEnvelope(TotpStateView) } },
      errorStatuses: [...authErrors, 413],
      handler: async (request, reply) => sendSuccess(reply, await invoke(secondFactor.disable, await signedInContext(request, reply), request.body)),
    },
    {
      method: 'GET',
      path: '/sessions',
      summary: "The caller's active sessions.",
      operation: sessions.listOwn.name,
      security: signedIn,
      responses: { 200: { description: 'Sessions, oldest first', schema: successEnvelope(Type.Array(OwnSessionView)) } },
      errorStatuses: [401, 403],
      handler: async (request, reply) => sendSuccess(reply, (await invoke(sessions.listOwn, await signedInContext(request, reply), {})).map(ownSessionView)),
    },
    {
      method: 'DELETE',
      path: '/sessions/{id}',
      url: '/sessions/:id',
      summary: "Revoke one of the caller's sessions.",
      operation: sessions.revokeOwn.name,
      security: signedIn,
      responses: { 200: { description: 'Revoked', schema: successEnvelope(SessionIdView) } },
      errorStatuses: [401, 403, 404],
      handler: async (request, reply) => {
        const ctx = await signedInContext(request, reply);
        const { id } = request.params as { id: string };
        const revoked = await invoke(sessions.revokeOwn, ctx, { session_id: id });
        if (revoked.current) clearCookie(request, reply);
        return sendSuccess(reply, { session_id: revoked.sessionId });
      },
    },
  ];

  // Signed-in routes check the credential before the body is read, so a stranger's request
  // is `unauthenticated` whatever its body. Validate and logout take the credential itself
  // as their input: for them only its presence is checked early.
  const credentialOnly = new Set([sessions.validate.name, sessions.logout.name]);
  const authenticateEarly = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    authenticated.set(request, await authenticate(request, reply));
  };
  // Callback style: validation runs it on every request, and a promise per call is waste.
  const requireCredential = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void =>
    done(credentialOf(request) === undefined ? new GatehouseError('unauthenticated') : undefined);

  return async (app) => {
    for (const route of routes) {
      const { handler } = route;
      addRoute(app, deps.registry, app.prefix, {
        ...route,
        ...(route.security ? { authenticate: credentialOnly.has(route.operation ?? "") ? requireCredential : authenticateEarly } : {}),
        // A route without a body also answers 400 and 415 for one sent anyway.
        errorStatuses: route.body ? route.errorStatuses : [...new Set([400, ...(route.errorStatuses ?? []), 415])].sort((a, b) => a - b),
        // Not async: a refused body throws before the handler runs, and Fastify answers a
        // handler's synchronous throw like a rejection; validation is spared a promise.
        handler: route.body
          ? handler
          : (request, reply) => {
              refuseBody(request);
              return handler(request, reply);
            },
        tag: restUserSurface.tag,
        errorSchema: ErrorEnvelope,
        headers: [{ name: 'X-Database', description: 'Tenant database (default main)' }],
      });
    }
  };
}
