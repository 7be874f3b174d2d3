// Correlation ids: a caller's own id is kept when it is sane (so logs on both sides
// match); anything else gets a fresh UUID. This runs as Fastify's request-id generator,
// before any error handler exists, on the raw URL and headers: it must never throw.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const acceptable = /^[\w.:@-]{1,128}$/;

/**
 * The `correlation_id` query parameter, read from the query string alone: parsing the
 * whole URL (as `new URL` does) fails on paths such as `//a:b/`, and URLSearchParams never
 * throws, whatever the bytes.
 */
function fromQuery(url: string | undefined): string | null {
  if (url === undefined || !url.includes('correlation_id=')) return null;
  const query = url.indexOf('?');
  if (query === -1) return null;
  const hash = url.indexOf('#', query);
  return new URLSearchParams(url.slice(query + 1, hash === -1 ? undefined : hash)).get('correlation_id');
}

const firstOf = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** The id a request names, in order: query, X-Correlation-Id, CorrelationId, correlation_id. */
export function correlationIdOf(request: IncomingMessage): string {
  try {
    const { headers } = request;
    const candidate =
      fromQuery(request.url) ?? firstOf(headers['x-correlation-id']) ?? firstOf(headers['correlationid']) ?? firstOf(headers['correlation_id']);
    return candidate !== undefined && acceptable.test(candidate) ? candidate : randomUUID();
  } catch {
    // Unreachable as written; kept so that a future edit cannot take the process down.
    return randomUUID();
  }
}
