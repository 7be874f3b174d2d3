// Helpers for the account-message tests: a call in each framing, the checks of each
// envelope, and users of each role holding a token.
import assert from 'node:assert/strict';
import type { Role } from '../../src/core/permissions.js';
import { enrolTotp, totpCode } from './admin.js';
import { api, password, type ApiResponse, type TestApp } from './harness.js';

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
}

/** POST /api/v1/<name>, the token in the body as authentication_token. */
export function v1(app: Pick<TestApp, 'url'>, name: string, body: Record<string, unknown> = {}, options: CallOptions = {}): Promise<ApiResponse> {
  return api(app.url, `/api/v1/${name}`, { method: 'POST', body: options.token === undefined ? body : { authentication_token: options.token, ...body }, headers: options.headers });
}

/** POST /api/v2/<name>, the token in the jwt header. */
export function v2(app: Pick<TestApp, 'url'>, name: string, body: Record<string, unknown> = {}, options: CallOptions = {}): Promise<ApiResponse> {
  return api(app.url, `/api/v2/${name}`, { method: 'POST', body, headers: { ...(options.token === undefined ? {} : { jwt: options.token }), ...options.headers } });
}

export function assertV1Error(response: ApiResponse, status: number, code: string): void {
  const context = `${status} ${code} expected, got ${response.status} ${response.text.slice(0, 300)}`;
  assert.ok(response.status < 500 || status >= 500, `a 5xx answer: ${context}`);
  assert.equal(response.status, status, context);
  assert.equal(response.body?.code, code, context);
  assert.equal(response.body.status_code, status, context);
  assert.equal(response.body.data, null, context);
  assert.equal(typeof response.body.message, 'string', context);
  assert.equal(typeof response.body.processing_time, 'number', context);
  assert.equal(response.body.node_respondant, 'test-node', context);
}

export function assertV1Success<T = any>(response: ApiResponse, status = 200): T {
  assert.equal(response.status, status, response.text.slice(0, 300));
  assert.equal(response.body.status_code, status);
  assert.equal(response.body.code, undefined);
  assert.equal(typeof response.body.processing_time, 'number');
  assert.equal(response.body.node_respondant, 'test-node');
  return response.body.data as T;
}

export function assertV2Error(response: ApiResponse, status: number, code: string): void {
  const context = `${status} ${code} expected, got ${response.status} ${response.text.slice(0, 300)}`;
  assert.ok(response.status < 500 || status >= 500, `a 5xx answer: ${context}`);
  assert.equal(response.status, status, context);
  assert.equal(response.headers.get('status_code'), String(status), context);
  assert.equal(response.headers.get('status_message'), code, context);
  assert.match(response.headers.get('processing_time_ns') ?? '', /^\d+$/, context);
  assert.equal(response.body?.data, null, context);
  assert.equal(response.body.error?.code, code, context);
  assert.equal(typeof response.body.error.message, 'string', context);
}

export function assertV2Success<T = any>(response: ApiResponse, status = 200): T {
  assert.equal(response.status, status, response.text.slice(0, 300));
  assert.equal(response.headers.get('status_code'), String(status));
  assert.equal(response.headers.get('status_message'), status === 201 ? 'Created' : 'OK');
  assert.match(response.headers.get('processing_time_ns') ?? '', /^\d+$/);
  assert.equal(response.body.error, undefined);
  return response.body.data as T;
}

export interface Member {
  userId: string;
  username: string;
  token: string;
  /** TOTP secret, for administrators made with a second factor. */
  secret?: string;
}

let counter = 0;

/**
 * Creates an account of `role` and logs in with RequestLoginToken (v2). An administrator
 * gets TOTP and logs in with a code unless `withoutTotp`.
 */
export async function member(app: TestApp, role: Role = 'user', options: { withoutTotp?: boolean; username?: string } = {}): Promise<Member> {
  const username = options.username ?? `${role}${++counter}`;
  const created = await v2(app, 'RequestAccountCreate', { username, user_email: `${username}@example.com`, password });
  const { user_id: userId } = assertV2Success(created, 201);
  if (role !== 'user') await app.core.store.users.update('main', userId, { role });
  let secret: string | undefined;
  const login: Record<string, unknown> = { username, password };
  if (role === 'admin' && !options.withoutTotp) {
    secret = await enrolTotp(app, userId);
    login.totp = totpCode(secret, app.clock.now());
  }
  const token = assertV2Success<string>(await v2(app, 'RequestLoginToken', login));
  // The next code a test computes is of a fresh time step.
  if (secret) app.clock.advance(30_000);
  return { userId, username, token, secret };
}
