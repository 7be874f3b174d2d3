// Errors Fastify and its plugins raise before a handler runs (body parsing, limits, content
// types, static files), mapped once onto the catalog so every HTTP surface answers them in
// its own envelope. A framework error in the 4xx range is the client's: it never becomes
// a 500.
import { GatehouseError, toCatalogError, type ErrorCode } from '../core/errors.js';

const byFastifyCode: Record<string, ErrorCode> = {
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

/** Client-error statuses with a catalog code of their own; any other 4xx is a bad request. */
const byStatus: Partial<Record<number, ErrorCode>> = {
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export function fromFastifyError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const e = err as { code?: string; statusCode?: number; status?: number } | null;
  const code = e?.code && byFastifyCode[e.code];
  if (code) return new GatehouseError(code, { message: messages[e!.code!], cause: err });
  // JSON.parse failures (including prototype-poisoning refusals) carry a 400 status.
  if (err instanceof SyntaxError) return new GatehouseError('validation_failed', { message: 'The body is not valid JSON.', cause: err });
  const status = e?.statusCode ?? e?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const catalogCode = byStatus[status] ?? 'validation_failed';
    return new GatehouseError(catalogCode, { cause: err });
  }
  return toCatalogError(err);
}
