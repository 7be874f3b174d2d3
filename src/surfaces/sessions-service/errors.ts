// The standard error description of the sessions service protocol: every catalog error as
// {type, category, code, status, message, details, correlation_id}. `category` uses the
// categories the original protocol's clients rebuild exceptions from; `code` is the catalog
// code in UPPER_SNAKE form. This is the surface's one translation of a catalog error.
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { ErrorCode, GatehouseError } from '../../core/errors.js';

type Category = 'BadRequest' | 'Unauthorized' | 'NotFound' | 'Conflict' | 'Unsupported' | 'InvalidState' | 'Internal';

export const errorCategories: Record<ErrorCode, Category> = {
  validation_failed: 'BadRequest',
  payload_too_large: 'BadRequest',
  unauthenticated: 'Unauthorized',
  invalid_credentials: 'Unauthorized',
  mfa_required: 'Unauthorized',
  // The protocol has no separate category for refused permissions: its Unauthorized covers both.
  forbidden: 'Unauthorized',
  account_suspended: 'Unauthorized',
  account_banned: 'Unauthorized',
  not_found: 'NotFound',
  username_taken: 'Conflict',
  email_taken: 'Conflict',
  session_limit: 'Conflict',
  conflict: 'Conflict',
  unsupported_media_type: 'Unsupported',
  // Both mean "not now": the caller may retry later without changing the request.
  rate_limited: 'InvalidState',
  unavailable: 'InvalidState',
  internal: 'Internal',
};

export const ErrorDescription = Type.Object({
  type: Type.String({ description: 'exception type, e.g. NotFoundException' }),
  category: Type.String({ description: 'BadRequest, Unauthorized, NotFound, Conflict, Unsupported, InvalidState or Internal' }),
  code: Type.String({ description: 'catalog code in UPPER_SNAKE form, e.g. NOT_FOUND' }),
  status: Type.Integer(),
  message: Type.String(),
  details: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  correlation_id: Type.String(),
});

export function errorDescription(error: GatehouseError, correlationId: string) {
  const category = errorCategories[error.code];
  return {
    type: `${category}Exception`,
    category,
    code: error.code.toUpperCase(),
    status: error.status,
    message: error.message,
    details: error.details ?? null,
    correlation_id: correlationId,
  };
}

export function sendError(reply: FastifyReply, error: GatehouseError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.code(error.status).send(errorDescription(error, reply.request.id));
}
