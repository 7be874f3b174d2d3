// Account messages v1 over HTTP (SPEC §6): `POST /api/v1/<Message>`, the token in the body
// as `authentication_token`, field names as the first API document spells them, and the
// envelope {data, status_code, message, processing_time, node_respondant} (+ code on errors).
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fail, type GatehouseError } from '../../core/errors.js';
import { isJsonObject } from '../json-body.js';
import type { HttpSurface, SurfaceDeps } from '../surface.js';
import { v1Framing } from './framing.js';
import { messageRoutesPlugin, renamedObject, type MessageHttpFraming } from './http-routes.js';

const tokenField = 'authentication_token';

const nodeOf = (reply: FastifyReply): string => String(reply.getHeader('x-node-id') ?? '');
/** Milliseconds since the request arrived, to the microsecond. */
const processingTime = (reply: FastifyReply): number => Math.round(reply.elapsedTime * 1000) / 1000;

const envelopeFields = {
  status_code: Type.Integer(),
  message: Type.String(),
  processing_time: Type.Number({ description: 'ms' }),
  node_respondant: Type.String({ description: 'the node that answered' }),
};

const ErrorEnvelope = Type.Object({
  data: Type.Null(),
  ...envelopeFields,
  code: Type.String({ description: 'stable catalog code, e.g. validation_failed' }),
  details: Type.Optional(Type.Object({}, { additionalProperties: true })),
});

function sendError(reply: FastifyReply, error: GatehouseError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.code(error.status).send({
    data: null,
    status_code: error.status,
    message: error.message,
    code: error.code,
    ...(error.details ? { details: error.details } : {}),
    processing_time: processingTime(reply),
    node_respondant: nodeOf(reply),
  });
}

const v1Http: MessageHttpFraming = {
  framing: v1Framing,
  tag: 'Account messages v1',
  credentialOf(request: FastifyRequest) {
    const body = request.body;
    if (!isJsonObject(body) || !Object.hasOwn(body, tokenField)) return { credential: undefined, body };
    const { [tokenField]: token, ...rest } = body;
    if (typeof token !== 'string' || token.length > 4096) fail('validation_failed', { message: `${tokenField}: Expected a string`, details: { field: tokenField } });
    return { credential: token === '' ? undefined : token, body: rest };
  },
  sendSuccess(reply, message, status, data) {
    return reply.code(status).send({
      // The first API document puts this one field at the top level as well.
      ...(message === 'RequestInvalidateLoginToken' && isJsonObject(data) ? { invalidated_at: data.invalidated_at } : {}),
      data,
      status_code: status,
      message: status === 201 ? 'Created' : 'OK',
      processing_time: processingTime(reply),
      node_respondant: nodeOf(reply),
    });
  },
  sendError,
  bodySchema: (input: TObject) =>
    Type.Object(
      { [tokenField]: Type.Optional(Type.String({ description: 'a session token or access token (JWT)' })), ...(renamedObject(v1Framing, input) as TObject).properties },
      { additionalProperties: false },
    ),
  successSchema: (message: string, data: TSchema) =>
    Type.Object({ ...(message === 'RequestInvalidateLoginToken' ? { invalidated_at: Type.String({ format: 'date-time' }) } : {}), data, ...envelopeFields }),
  errorSchema: ErrorEnvelope,
  headers: [{ name: 'X-Database', description: 'Tenant database (default main)' }],
};

export const messagesV1Surface: HttpSurface = {
  tag: v1Http.tag,
  description: 'The account messages with the token in the body and the envelope in the body (SPEC §6, v1).',
  prefixes: ['/api/v1'],
  plugin: (deps: SurfaceDeps) => messageRoutesPlugin(deps, v1Http),
  sendError,
  unknownRouteMessage: (prefix) => `No such message; use POST ${prefix}/<Message>.`,
};
