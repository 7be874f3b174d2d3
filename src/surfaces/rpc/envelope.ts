// The RPC envelope (SPEC §5): `{status: "ok", …fields, id?}` or
// `{status: "error", error: {code, message}, id?}`. `rpcError` is the surface's one
// translation of a catalog error; over HTTP the catalog status goes with it.
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { GatehouseError } from '../../core/errors.js';

export type RpcBody = Record<string, unknown>;

export const RpcErrorBody = Type.Object({
  status: Type.Literal('error'),
  error: Type.Object({ code: Type.String({ description: 'stable catalog code' }), message: Type.String(), details: Type.Optional(Type.Object({}, { additionalProperties: true })) }),
  id: Type.Optional(Type.Unknown({ description: 'the request’s id, when it could be read' })),
});

/** `id` is echoed only when the request carried one. */
const withId = (body: RpcBody, id: unknown): RpcBody => (id === undefined ? body : { ...body, id });

export function rpcSuccess(fields: RpcBody, id: unknown): RpcBody {
  return withId({ status: 'ok', ...fields }, id);
}

export function rpcError(error: GatehouseError, id?: unknown): RpcBody {
  return withId({ status: 'error', error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } }, id);
}

export function sendError(reply: FastifyReply, error: GatehouseError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.code(error.status).send(rpcError(error));
}
