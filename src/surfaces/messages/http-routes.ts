// The message routes over HTTP, shared by the v1 and v2 surfaces: one literal route per
// message (`POST <prefix>/<Message>`), documented with its request and response schema in
// the framing's field names. The surfaces supply only where the credential is and the envelope.
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { toCatalogError, type GatehouseError } from '../../core/errors.js';
import { requestContext } from '../../server/context.js';
import type { RouteDoc } from '../../server/route-registry.js';
import { addRoute } from '../http-route.js';
import type { SurfaceDeps } from '../surface.js';
import { messagesOf, runMessage, wireName, type Framing } from './framing.js';

export interface MessageHttpFraming {
  framing: Framing;
  tag: string;
  /** The credential the request carries, and the body without it. */
  credentialOf(request: FastifyRequest): { credential: string | undefined; body: unknown };
  sendSuccess(reply: FastifyReply, message: string, status: number, data: unknown): FastifyReply;
  sendError(reply: FastifyReply, error: GatehouseError): FastifyReply;
  /** Documentation: the body schema from the operation's (v2) input, the success and error envelopes. */
  bodySchema(input: TObject): TSchema;
  successSchema(message: string, data: TSchema): TSchema;
  errorSchema: TSchema;
  security?: RouteDoc['security'];
  headers: NonNullable<RouteDoc['headers']>;
}

const errorStatuses = [400, 401, 403, 404, 409, 413, 415, 429];

/** An object schema with its top-level properties renamed (optional ones stay optional). */
export function renamedObject(framing: Framing, schema: TSchema, names: (field: string) => string = (field) => wireName(framing, field)): TSchema {
  if (schema.type !== 'object' || schema.properties === undefined) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([field, property]) => [names(field), property]));
  return Type.Object(properties, { additionalProperties: schema.additionalProperties as boolean | undefined });
}

export function messageRoutesPlugin(deps: SurfaceDeps, http: MessageHttpFraming): FastifyPluginAsync {
  return async (app) => {
    for (const message of messagesOf(deps.core).values()) {
      addRoute(app, deps.registry, app.prefix, {
        method: 'POST',
        path: `/${message.name}`,
        tag: http.tag,
        summary: message.operation.summary,
        operation: message.operation.name,
        body: http.bodySchema(message.operation.input as TObject),
        responses: { [message.status]: { description: message.status === 201 ? 'Created' : 'OK', schema: http.successSchema(message.name, renamedObject(http.framing, message.dataSchema)) } },
        errorSchema: http.errorSchema,
        errorStatuses,
        security: http.security,
        headers: http.headers,
        handler: async (request, reply) => {
          // Reading the credential may refuse the body (a v1 token that is not a string).
          let carried: { credential: string | undefined; body: unknown };
          try {
            carried = http.credentialOf(request);
          } catch (err) {
            return http.sendError(reply, toCatalogError(err));
          }
          const outcome = await runMessage(deps.core, http.framing, {
            name: message.name,
            body: carried.body,
            credential: carried.credential,
            context: async () => requestContext(deps, request),
            log: (err) => deps.log(err, request),
          });
          return outcome.ok ? http.sendSuccess(reply, message.name, outcome.status, outcome.data) : http.sendError(reply, outcome.error);
        },
      });
    }
  };
}
