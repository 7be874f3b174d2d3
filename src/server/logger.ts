// Structured logs (pino). Secrets never reach a log line: headers are censored by path,
// and every field named like a secret is censored at any depth, whatever the surface.
import pino, { type Logger } from 'pino';

/** Header paths censored by pino's own redaction (fast, by path). */
export const redactedPaths = ['req.headers.authorization', 'req.headers.cookie', 'req.headers.jwt', 'res.headers["set-cookie"]'];

/**
 * Field names whose values are secrets wherever they sit in a logged object, in the
 * spellings of every surface (v1 hyphens, v2 underscores, RPC camel case).
 */
export const secretFieldNames: ReadonlySet<string> = new Set(
  [
    'password', 'current_password', 'new_password', 'old_password', 'old-password', 'new-password', 'default-password', 'secret',
    'reset_code', 'totp', 'totp_secret', 'otpauth_url', 'token', 'sessionToken', 'authToken', 'authentication_token', 'jwt',
    'key', 'authorization', 'cookie', 'set-cookie',
  ].map((name) => name.toLowerCase()),
);

/** Objects nested deeper than this are logged as a marker: a log line has no need for more. */
const maxRedactionDepth = 8;

/** A copy of `value` with every secret field censored, at any depth up to the bound. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxRedactionDepth) return '[too deep]';
  // Errors keep their class, so pino's error serializer still gives type, message and stack.
  if (value instanceof Error) {
    for (const field of Object.keys(value)) {
      const own = (value as unknown as Record<string, unknown>)[field];
      (value as unknown as Record<string, unknown>)[field] = secretFieldNames.has(field.toLowerCase()) ? '[redacted]' : redactSecrets(own, depth + 1);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) copy[field] = secretFieldNames.has(field.toLowerCase()) ? '[redacted]' : redactSecrets(item, depth + 1);
  return copy;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // Every line's own fields, at any depth (pino's path redaction reaches one level per `*`).
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      base: undefined,
    },
    destination,
  );
}

export type { Logger };

/**
 * Fastify makes a child logger per request to bind its correlation id. With per-request
 * lines off, a request logger is used only when something goes wrong, and a redacting
 * pino child costs about 1 µs to make: so the child is made on first use.
 */
export function lazyChildLogger<L extends { child(bindings: object, options?: object): L }>(parent: L, bindings: object, options?: object): L {
  let child: L | undefined;
  const real = (): L => (child ??= parent.child(bindings, options));
  return new Proxy({} as L, {
    get(_target, property) {
      const value = Reflect.get(real(), property) as unknown;
      return typeof value === 'function' ? value.bind(real()) : value;
    },
    set(_target, property, value) {
      return Reflect.set(real(), property, value);
    },
    has(_target, property) {
      return Reflect.has(real(), property);
    },
  });
}
