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
