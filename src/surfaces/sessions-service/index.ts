// The sessions microservice surface (SPEC §4): `POST <prefix>/<operation>` with a JSON body,
// answered with SessionV1 / DataPage / null, or the standard error description. Registered
// under /sessions and /v1/sessions; both are the same plugin. No business rules live here.
import type { TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../core/context.js';
import { fail } from '../../core/errors.js';
import { invoke, type Operation } from '../../operations/operation.js';
import { addRoute } from '../http-route.js';
import type { HttpSurface, SurfaceDeps } from '../surface.js';
import { authorizedContext, credentialCheckers } from './credentials.js';
import { ErrorDescription, sendError } from './errors.js';
import { bodyObject, operationInput } from './requests.js';
import { DataPage, SessionV1, dataPage, sessionV1, sessionV1OrNull } from './views.js';

interface ServiceRoute<S extends TSchema, R> {
  operation: Operation<S, R>;
  wireName: keyof typeof operationInput;
  summary: string;
  response: { description: string; schema: TSchema };
  view: (result: R) => unknown;
  errorStatuses: number[];
  /** When the operation may find nothing: what its 204 means. */
  noContent?: string;
}

// Every route can meet these: bad input or headers, credentials, body size and media type.
const commonErrors = [400, 401, 403, 413, 415];

export const sessionsServiceSurface: HttpSurface = {
  tag: 'Sessions service',
  description: 'The Pip.Services sessions microservice protocol for back-end services (SPEC §4).',
  // The sessions service answers under both paths its clients know.
  prefixes: ['/sessions', '/v1/sessions'],
  plugin: sessionsServicePlugin,
  sendError,
  unknownRouteMessage: (prefix) => `No such operation; use POST ${prefix}/<operation>.`,
};

function sessionsServicePlugin(deps: SurfaceDeps): FastifyPluginAsync {
  const ops = deps.core.catalog.sessionsService;
  const checkers = credentialCheckers(deps.core);
  // Binds each operation to its view here, where their types still match.
  const route = <S extends TSchema, R>({ view, ...r }: ServiceRoute<S, R>) => ({
    ...r,
    respond: async (ctx: RequestContext, input: unknown) => view(await invoke(r.operation, ctx, input)),
  });

  const routes = [
    route({
      operation: ops.getSessions,
      wireName: 'get_sessions',
      summary: 'Sessions of this database, newest first; filter by user_id, active and an open_time range; page with skip/take (take clamped to 1000).',
      response: { description: 'DataPage<SessionV1>', schema: DataPage(SessionV1) },
      view: dataPage,
      errorStatuses: commonErrors,
    }),
    route({
      operation: ops.getSessionById,
      wireName: 'get_session_by_id',
      summary: 'One session by id, or null (204) when there is none.',
      response: { description: 'SessionV1', schema: SessionV1 },
      view: sessionV1OrNull,
      errorStatuses: commonErrors,
      noContent: 'null: no session with this id',
    }),
    route({
      operation: ops.openSession,
      wireName: 'open_session',
      summary: 'Open a session for a local user or an external user id; the per-user limit applies.',
      response: { description: 'The new SessionV1', schema: SessionV1 },
      view: sessionV1,
      errorStatuses: [...commonErrors, 409],
    }),
    route({
      operation: ops.storeSessionData,
      wireName: 'store_session_data',
      summary: 'Replace the data of an open session (at most SESSION_DATA_LIMIT bytes of JSON) and update request_time.',
      response: { description: 'The updated SessionV1', schema: SessionV1 },
      view: sessionV1,
      errorStatuses: [...commonErrors, 404, 409],
    }),
    route({
      operation: ops.updateSessionUser,
      wireName: 'update_session_user',
      summary: 'Replace the user value of an open session (any JSON value, at most SESSION_DATA_LIMIT bytes) and update request_time.',
      response: { description: 'The updated SessionV1', schema: SessionV1 },
      view: sessionV1,
      errorStatuses: [...commonErrors, 404, 409],
    }),
    route({
      operation: ops.closeSession,
      wireName: 'close_session',
      summary: 'Close a session: active false, close_time set, user and data cleared; the record stays.',
      response: { description: 'The closed SessionV1', schema: SessionV1 },
      view: sessionV1,
      errorStatuses: [...commonErrors, 404],
    }),
    route({
      operation: ops.deleteSessionById,
      wireName: 'delete_session_by_id',
      summary: 'Delete a session record; null (204) when there is none.',
      response: { description: 'The deleted SessionV1', schema: SessionV1 },
      view: sessionV1OrNull,
      errorStatuses: commonErrors,
      noContent: 'null: no session with this id',
    }),
  ];

  const authorized = new WeakMap<FastifyRequest, RequestContext>();
  return async (app) => {
    for (const r of routes) {
      addRoute(app, deps.registry, app.prefix, {
        method: 'POST',
        path: `/${r.wireName}`,
        tag: sessionsServiceSurface.tag,
        summary: `${r.summary} Fields not named here are ignored.`,
        operation: r.operation.name,
        body: r.operation.input,
        responses: r.noContent ? { 200: r.response, 204: { description: r.noContent } } : { 200: r.response },
        errorSchema: ErrorDescription,
        errorStatuses: r.errorStatuses,
        security: ['serviceKey', 'bearer'],
        headers: [
          { name: 'X-Database', description: 'Tenant database (default main); a service key acts only in its own' },
          { name: 'X-Correlation-Id', description: 'Echoed in the response header and in error descriptions (or use ?correlation_id=)' },
        ],
        // The credential is checked before the body is read: a stranger's call is refused
        // `unauthenticated` however large or malformed its body.
        authenticate: async (request: FastifyRequest) => {
          authorized.set(request, await authorizedContext(deps, checkers, request, r.operation));
        },
        handler: async (request, reply) => {
          const ctx = authorized.get(request) ?? fail('unauthenticated');
          const body = await r.respond(ctx, operationInput[r.wireName](bodyObject(request.body)));
          // A null result is `204 No Content`, as the Pip.Services HTTP server answers it: its
          // clients read a 204 as null, while a `null` body reaches their callers as "null".
          return body === null ? reply.code(204).send() : reply.send(body);
        },
      });
    }
  };
}
