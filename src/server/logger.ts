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
