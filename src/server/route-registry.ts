// Every HTTP route is registered through here so that the OpenAPI document is built from
// the very schemas the operations validate with: the docs cannot drift from the checks.
import type { TSchema } from '@sinclair/typebox';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string; // OpenAPI form, e.g. /api/user/sessions/{id}
  tag: string;
  summary: string;
  operation?: string;
  body?: TSchema;
  /** Success responses by status. */
  responses: Record<number, { description: string; schema?: TSchema }>;
  /** The error body schema of the surface, used for every error status listed. */
  errorSchema?: TSchema;
  errorStatuses?: number[];
  security?: Array<'cookie' | 'bearer' | 'serviceKey'>;
  headers?: Array<{ name: string; description: string; required?: boolean }>;
}

export class RouteRegistry {
  private readonly routes: RouteDoc[] = [];

  add(route: RouteDoc): void {
    this.routes.push(route);
  }

  list(): readonly RouteDoc[] {
    return this.routes;
  }
}
