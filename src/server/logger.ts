// Structured logs (pino). Secrets never reach a log line: credentials in headers, bodies
// and cookies are censored by path, whatever the surface.
import pino, { type Logger } from 'pino';

export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.jwt',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.old_password',
  '*.reset_code',
  '*.token',
  '*.sessionToken',
  '*.authToken',
  '*.secret',
  '*.key',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' }, base: undefined }, destination);
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
