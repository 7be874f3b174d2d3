// Account messages v2 over HTTP (SPEC §6): `POST /api/v2/<Message>`, the token in header
// `jwt` (or Authorization: Bearer), `CorrelationId` echoed, the outcome in the headers
// status_code, status_message and processing_time_ns, and the body {data} (+ error).
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatehouseError } from '../../core/errors.js';
import { bearerToken, headerValue } from '../../server/context.js';
import type { HttpSurface, SurfaceDeps } from '../surface.js';
import { v2Framing } from './framing.js';
import { messageRoutesPlugin, type MessageHttpFraming } from './http-routes.js';

/** What a CorrelationId header may be to be echoed as sent; anything else gets the request's id. */
const echoable = /^[\x21-\x7e]{1,128}$/;

function outcomeHeaders(reply: FastifyReply, status: number, statusMessage: string): FastifyReply {
  const sent = headerValue(reply.request, 'correlationid');
  if (sent !== undefined) reply.header('CorrelationId', echoable.test(sent) ? sent : reply.request.id);
  return reply
    .code(status)
    .header('status_code', String(status))
    .header('status_message', statusMessage)
    .header('processing_time_ns', String(Math.round(reply.elapsedTime * 1e6)));
}

const ErrorBody = Type.Object({
  data: Type.Null(),
  error: Type.Object({ code: Type.String({ description: 'stable catalog code, also in status_message' }), message: Type.String(), details: Type.Optional(Type.Object({}, { additionalProperties: true })) }),
});

function sendError(reply: FastifyReply, error: GatehouseError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return outcomeHeaders(reply, error.status, error.code).send({
    data: null,
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
  });
}

const v2Http: MessageHttpFraming = {
  framing: v2Framing,
  tag: 'Account messages v2',
  credentialOf: (request: FastifyRequest) => ({ credential: headerValue(request, 'jwt') || bearerToken(request), body: request.body }),
  sendSuccess: (reply, _message, status, data) => outcomeHeaders(reply, status, status === 201 ? 'Created' : 'OK').send({ data }),
  sendError,
  bodySchema: (input: TObject) => input,
  successSchema: (_message: string, data: TSchema) => Type.Object({ data }),
  errorSchema: ErrorBody,
  security: ['bearer'],
  headers: [
    { name: 'jwt', description: 'The access token (or session token); Authorization: Bearer works too' },
    { name: 'CorrelationId', description: 'Echoed in the response' },
    { name: 'X-Database', description: 'Tenant database (default main)' },
  ],
};

export const messagesV2Surface: HttpSurface = {
  tag: v2Http.tag,
  description: 'The account messages with the token and the outcome in headers (SPEC §6, v2; the AMQP framing uses the same names).',
  prefixes: ['/api/v2'],
  plugin: (deps: SurfaceDeps) => messageRoutesPlugin(deps, v2Http),
  sendError,
  unknownRouteMessage: (prefix) => `No such message; use POST ${prefix}/<Message>.`,
};
