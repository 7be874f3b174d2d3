// Registers an HTTP route with Fastify and, at the same time, its documentation in the
// route registry — one call, so no route exists undocumented.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { RouteDoc, RouteRegistry } from '../server/route-registry.js';

export interface HttpRoute extends RouteDoc {
  /** Fastify's path syntax when it differs from the documented one (`:id` vs `{id}`). */
  url?: string;
  /** Sends the answer itself; may be synchronous (a thrown error is answered like a rejection). */
  handler: (request: FastifyRequest, reply: FastifyReply) => unknown;
  /**
   * Serialise the documented success bodies with their schemas (fast-json-stringify)
   * instead of JSON.stringify: for hot routes whose body always matches its schema exactly
   * (a field the schema lacks would be dropped silently).
   */
  serializeBySchema?: boolean;
  /**
   * Runs before the body is read (Fastify's onRequest): where a signed-in route checks the
   * credential, so a stranger's request is refused before any work is spent on its body.
   * Async, or callback style (`done`) where it is on a hot path and need not wait.
   */
  authenticate?: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | ((request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void);
}

export function addRoute(app: FastifyInstance, registry: RouteRegistry, prefix: string, route: HttpRoute): void {
  const { handler, url, serializeBySchema, authenticate, ...doc } = route;
  registry.add({ ...doc, path: prefix + doc.path });
  const response = serializeBySchema
    ? Object.fromEntries(Object.entries(doc.responses).flatMap(([status, { schema }]) => (schema ? [[status, schema]] : [])))
    : undefined;
  app.route({
    method: route.method as HTTPMethods,
    url: url ?? doc.path,
    handler,
    ...(response ? { schema: { response } } : {}),
    ...(authenticate ? { onRequest: authenticate } : {}),
  });
}
