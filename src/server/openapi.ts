// Builds the OpenAPI 3.1 document from the route registry. TypeBox schemas are JSON
// Schema already; only the document's frame is written here.
import type { RouteDoc, RouteRegistry } from './route-registry.js';
import type { HttpSurface } from '../surfaces/surface.js';
import { errorCatalog } from '../core/errors.js';

const securitySchemes = {
  cookie: { type: 'apiKey', in: 'cookie', name: 'sid', description: 'Session cookie set by POST /api/user/session/create.' },
  bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/user/token (a JWT; keys at /.well-known/jwks.json), or a session token (the value of the sid cookie).' },
  serviceKey: { type: 'http', scheme: 'bearer', description: 'A service key made with `gatehouse service-key create`.' },
} as const;

const statusText = (status: number): string =>
  Object.entries(errorCatalog)
    .filter(([, entry]) => entry.status === status)
    .map(([code]) => code)
    .join(', ');

function pathItem(route: RouteDoc) {
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
    ...(route.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } })),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = { description: response.description, ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}) };
  }
  for (const status of route.errorStatuses ?? []) {
    responses[String(status)] = {
      description: `Error: ${statusText(status)}`,
      ...(route.errorSchema ? { content: { 'application/json': { schema: route.errorSchema } } } : {}),
    };
  }
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.operation ? { operationId: `${route.method.toLowerCase()} ${route.path}`, description: `Operation \`${route.operation}\`.` } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses,
    ...(route.security ? { security: route.security.map((name) => ({ [name]: [] })) } : {}),
  };
}

export function buildOpenApi(registry: RouteRegistry, version: string, surfaces: readonly Pick<HttpSurface, 'tag' | 'description'>[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of registry.list()) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = pathItem(route);
  }
  // Round-trip through JSON so TypeBox's symbol keys never reach the document.
  return JSON.parse(
    JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'Gatehouse', version, description: 'Identity and session service. Error codes are stable; see docs/compatibility.md.' },
      tags: surfaces.map((surface) => ({ name: surface.tag, description: surface.description })),
      paths,
      components: { securitySchemes },
    }),
  ) as Record<string, unknown>;
}
