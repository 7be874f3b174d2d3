// What a protocol surface declares about itself: where it answers, the plugin with its
// routes, and its one rendering of a catalog error. The HTTP assembly, the router-error
// path and the OpenAPI builder read these descriptions; none of them names a surface.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { GatehouseError } from '../core/errors.js';
import type { HttpDeps } from '../server/context.js';
import type { RouteRegistry } from '../server/route-registry.js';

export interface SurfaceDeps extends HttpDeps {
  registry: RouteRegistry;
  /** Logs an unexpected error with the request's correlation id. */
  log: (err: unknown, request: FastifyRequest) => void;
}

export interface HttpSurface {
  /** The OpenAPI tag its routes carry, and its name in logs. */
  tag: string;
  /** One line for the OpenAPI tag. */
  description: string;
  /** Path prefixes it answers under; the plugin is registered once under each. */
  prefixes: readonly string[];
  /** Registers the routes; `app.prefix` is the prefix it is mounted under. */
  plugin(deps: SurfaceDeps): FastifyPluginAsync;
  /** The surface's one translation of a catalog error into its envelope. */
  sendError(reply: FastifyReply, error: GatehouseError): FastifyReply;
  /** The message of its `not_found` for a path it has no route for. */
  unknownRouteMessage(prefix: string): string;
}

/** The surface a raw URL belongs to, by prefix; undefined outside every surface. */
export function surfaceOf(surfaces: readonly HttpSurface[], url: string): HttpSurface | undefined {
  return surfaces.find((surface) => surface.prefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)));
}
