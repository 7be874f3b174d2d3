// Builds the request context for HTTP surfaces: the database from `X-Database`, the
// correlation id Fastify assigned, the client address and application.
import type { FastifyRequest } from 'fastify';
import type { Core } from '../app.js';
import { anonymous, type Caller, type RequestContext } from '../core/context.js';
import type { DatabaseDirectory } from '../tenancy/databases.js';

export interface HttpDeps {
  core: Core;
  directory: DatabaseDirectory;
}

export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The context of a request. Synchronous when the database is already known (every request
 * but a tenant's first), so the hot path allocates no promise for it; callers await either.
 */
export function requestContext(deps: HttpDeps, request: FastifyRequest, caller: Caller = anonymous): RequestContext | Promise<RequestContext> {
  const name = headerValue(request, 'x-database');
  const known = deps.directory.known(name);
  return known !== undefined ? contextFor(deps, request, caller, known) : deps.directory.resolve(name).then((database) => contextFor(deps, request, caller, database));
}

function contextFor(deps: HttpDeps, request: FastifyRequest, caller: Caller, database: string): RequestContext {
  return {
    database,
    caller,
    correlationId: request.id,
    address: request.ip,
    client: (headerValue(request, 'user-agent') ?? '').slice(0, 256),
    nodeId: deps.core.config.nodeId,
    clock: deps.core.clock,
  };
}

/**
 * Whether the client's connection is HTTPS: TLS on the socket, or, behind a trusted proxy,
 * the last hop `X-Forwarded-Proto` names. One rule for HSTS and the cookie's `Secure` flag;
 * not `request.protocol`, because the request Fastify hands a router error ignores
 * TRUST_PROXY.
 */
export function overHttps(request: FastifyRequest, trustProxy: boolean): boolean {
  if ((request.raw.socket as { encrypted?: boolean } | null)?.encrypted === true) return true;
  if (!trustProxy) return false;
  const forwarded = headerValue(request, 'x-forwarded-proto');
  return forwarded !== undefined && forwarded.slice(forwarded.lastIndexOf(',') + 1).trim().toLowerCase() === 'https';
}

/** The bearer credential of an Authorization header, if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  return header.slice(7).trim() || undefined;
}
