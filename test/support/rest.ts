// Helpers shared by the REST user API tests: the error envelope, the sid cookie's
// attributes, row counts that prove a refused request wrote nothing, and a raw HTTP
// client for requests fetch refuses to make.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { ApiResponse, TestApp } from './harness.js';

/** The response is the REST error envelope with this status and catalog code. */
export function assertRestError(response: ApiResponse, status: number, code: string): void {
  const context = `${status} ${code} expected, got ${response.status} ${response.text.slice(0, 300)}`;
  if (status < 500) assert.ok(response.status < 500, `a 5xx answer: ${context}`);
  assert.equal(response.status, status, context);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, context);
  assert.equal(response.body?.status, 'error', context);
  assert.equal(response.body.error?.code, code, context);
  assert.equal(typeof response.body.error.message, 'string', context);
}

/** The response is a success envelope with this status; returns its data. */
export function assertRestSuccess<T = any>(response: ApiResponse, status = 200): T {
  assert.equal(response.status, status, response.text.slice(0, 300));
  assert.equal(response.body?.status, 'success', response.text.slice(0, 300));
  return response.body.data as T;
}

export interface SetCookie {
  name: string;
  value: string;
  /** Lower-cased attribute names; flags map to true. */
  attributes: Map<string, string | true>;
}

/** The single sid Set-Cookie of a response, parsed; fails when there is none. */
export function sidCookieOf(response: ApiResponse): SetCookie {
  const cookies = response.headers.getSetCookie().filter((c) => c.startsWith('sid='));
  assert.equal(cookies.length, 1, `one sid Set-Cookie expected, got ${JSON.stringify(cookies)}`);
  const [pair, ...attributes] = cookies[0]!.split(';').map((part) => part.trim());
  const eq = pair!.indexOf('=');
  return {
    name: pair!.slice(0, eq),
    value: pair!.slice(eq + 1),
    attributes: new Map<string, string | true>(
      attributes.map((attribute): [string, string | true] => {
        const at = attribute.indexOf('=');
        return at < 0 ? [attribute.toLowerCase(), true] : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)];
      }),
    ),
  };
}

/** The response clears the sid cookie (empty value, Max-Age=0). */
export function assertCookieCleared(response: ApiResponse): void {
  const cookie = sidCookieOf(response);
  assert.equal(cookie.value, '');
  assert.equal(cookie.attributes.get('max-age'), '0');
  assert.equal(cookie.attributes.get('path'), '/');
}

export async function countRows(app: TestApp, table: 'users' | 'sessions' | 'audit_events'): Promise<number> {
  const row = await app.core.store.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export const jsonHeaders = { 'content-type': 'application/json' };

/**
 * A request through node:http, for what fetch will not send: a GET with a body, or a body
 * without any Content-Type (fetch labels string bodies text/plain).
 */
export function rawRequest(base: string, path: string, request: { method: string; headers?: Record<string, string>; body?: string }): Promise<ApiResponse> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: request.method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
        }
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: incoming.statusCode ?? 0, headers: responseHeaders, body, text });
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
