// The REST user API envelope: {status: "success", data} or {status: "error", error}.
// sendError is the surface's one translation of a catalog error.
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { GatehouseError } from '../../core/errors.js';

export const ErrorEnvelope = Type.Object({
  status: Type.Literal('error'),
  error: Type.Object({
    code: Type.String({ description: 'Stable catalog code, e.g. validation_failed' }),
    message: Type.String(),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  }),
});

export const successEnvelope = (data: TSchema) => Type.Object({ status: Type.Literal('success'), data });

export function sendSuccess(reply: FastifyReply, data: unknown, status = 200): FastifyReply {
  return reply.code(status).send({ status: 'success', data });
}

export function sendError(reply: FastifyReply, error: GatehouseError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.code(error.status).send({
    status: 'error',
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
  });
}
