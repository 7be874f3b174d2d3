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
 * pino child costs about 1 µs to make: so the child is made on first use. Fastify checks
 * on every request that the logger it got has each level method (`typeof log.info`), so
 * the methods are real functions of the stand-in that create the child only when called.
 */
class LazyRequestLogger<L extends RequestLogger<L>> {
  private made: L | undefined;

  constructor(
    private readonly parent: L,
    private readonly bindings: object,
    private readonly options?: object,
  ) {}

  private get real(): L {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.real.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  fatal(...args: unknown[]): void {
    this.real.fatal(...args);
  }
  error(...args: unknown[]): void {
    this.real.error(...args);
  }
  warn(...args: unknown[]): void {
    this.real.warn(...args);
  }
  info(...args: unknown[]): void {
    this.real.info(...args);
  }
  debug(...args: unknown[]): void {
    this.real.debug(...args);
  }
  trace(...args: unknown[]): void {
    this.real.trace(...args);
  }
  silent(...args: unknown[]): void {
    this.real.silent?.(...args);
  }
  child(bindings: object, options?: object): L {
    return this.real.child(bindings, options);
  }
  isLevelEnabled(level: string): boolean {
    return this.real.isLevelEnabled?.(level) ?? true;
  }
}

type LevelMethod = (...args: unknown[]) => void;

/** What Fastify and the surfaces use of a request logger. */
interface RequestLogger<L> {
  level: string;
  fatal: LevelMethod;
  error: LevelMethod;
  warn: LevelMethod;
  info: LevelMethod;
  debug: LevelMethod;
  trace: LevelMethod;
  silent?: LevelMethod;
  isLevelEnabled?(level: string): boolean;
  child(bindings: object, options?: object): L;
}

export function lazyChildLogger<L extends RequestLogger<L>>(parent: L, bindings: object, options?: object): L {
  return new LazyRequestLogger(parent, bindings, options) as unknown as L;
}
