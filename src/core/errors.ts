// The single error catalog. Every failure a client can see is one of these codes; each
// surface owns exactly one function that renders a GatehouseError into its envelope.
// Anything thrown that is not a GatehouseError is reported as `internal` and logged.

export const errorCatalog = {
  validation_failed: { status: 400, message: 'The request is not valid.' },
  unauthenticated: { status: 401, message: 'Authentication is required.' },
  invalid_credentials: { status: 401, message: 'The credentials are not valid.' },
  mfa_required: { status: 401, message: 'A second factor is required.' },
  forbidden: { status: 403, message: 'This action is not allowed.' },
  account_suspended: { status: 403, message: 'The account is suspended.' },
  account_banned: { status: 403, message: 'The account is banned.' },
  not_found: { status: 404, message: 'Not found.' },
  username_taken: { status: 409, message: 'The username is already taken.' },
  email_taken: { status: 409, message: 'The email address is already in use.' },
  session_limit: { status: 409, message: 'The session limit for this user is reached.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request is too large.' },
  unsupported_media_type: { status: 415, message: 'The request must be JSON (application/json).' },
  rate_limited: { status: 429, message: 'Too many attempts; try again later.' },
  unavailable: { status: 503, message: 'The service is temporarily unavailable.' },
  internal: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;
export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

export interface ErrorOptions {
  message?: string;
  /** Safe, client-visible detail (field paths, limits). Never secrets. */
  details?: Record<string, unknown>;
  /** Seconds; rendered as Retry-After by HTTP surfaces. */
  retryAfter?: number;
  cause?: unknown;
}

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: ErrorOptions = {}) {
    super(options.message ?? errorCatalog[code].message, { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }
}

export function fail(code: ErrorCode, options?: ErrorOptions): never {
  throw new GatehouseError(code, options);
}

/**
 * Turns anything thrown into a catalog error. Unknown errors keep no client-visible trace
 * of their origin: the caller logs the original with the correlation id.
 */
export function toCatalogError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  return new GatehouseError('internal', { cause: err });
}
