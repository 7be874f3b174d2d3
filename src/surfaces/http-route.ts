// Registers an HTTP route with Fastify and, at the same time, its documentation in the
// route registry — one call, so no route exists undocumented.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { RouteDoc, RouteRegistry } from '../server/route-registry.js';

export interface HttpRoute extends RouteDoc {
  /** Fastify's path syntax when it differs from the documented one (`:id` vs `{id}`). */
  url?: string;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function addRoute(app: FastifyInstance, registry: RouteRegistry, prefix: string, route: HttpRoute): void {
  const { handler, url, ...doc } = route;
  registry.add({ ...doc, path: prefix + doc.path });
  app.route({ method: route.method as HTTPMethods, url: url ?? doc.path, handler });
}
