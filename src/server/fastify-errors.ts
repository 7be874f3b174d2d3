// Errors Fastify raises before a handler runs (body parsing, limits, content types),
// mapped once onto the catalog so every HTTP surface answers them in its own envelope.
import { GatehouseError, toCatalogError } from '../core/errors.js';

const byFastifyCode: Record<string, ConstructorParameters<typeof GatehouseError>[0]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

const messages: Partial<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The body is not valid JSON.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty; send a JSON object.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length does not match the body.',
};

export function fromFastifyError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const e = err as { code?: string; statusCode?: number };
  const code = e.code && byFastifyCode[e.code];
  if (code) return new GatehouseError(code, { message: messages[e.code!], cause: err });
  // JSON.parse failures (including prototype-poisoning refusals) carry a 400 status.
  if (err instanceof SyntaxError || e.statusCode === 400) return new GatehouseError('validation_failed', { message: 'The body is not valid JSON.', cause: err });
  if (e.statusCode === 413) return new GatehouseError('payload_too_large', { cause: err });
  if (e.statusCode === 415) return new GatehouseError('unsupported_media_type', { cause: err });
  return toCatalogError(err);
}
