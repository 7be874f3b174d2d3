// Correlation ids: a caller's own id is kept when it is sane (so logs on both sides
// match); anything else gets a fresh UUID.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const acceptable = /^[\w.:@-]{1,128}$/;

export function correlationIdOf(request: IncomingMessage): string {
  const fromQuery = request.url?.includes('correlation_id=') ? new URL(request.url, 'http://local').searchParams.get('correlation_id') : null;
  const fromHeader = request.headers['x-correlation-id'] ?? request.headers['correlationid'];
  const candidate = fromQuery ?? (Array.isArray(fromHeader) ? fromHeader[0] : fromHeader);
  return candidate !== undefined && acceptable.test(candidate) ? candidate : randomUUID();
}
