// Test harness: a real Gatehouse (core + HTTP server) on an ephemeral port with its own
// temporary data directory, cheap password hashing and an optional fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCore, type Core, type CoreOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/core/clock.js';
import { buildHttpServer, type HttpServer } from '../../src/server/http.js';
import { createLogger, type Logger } from '../../src/server/logger.js';

/** Cheap argon2id parameters: tests check behaviour, not hashing cost. */
export const testPasswordHash = 'argon2id:m=1024,t=1,p=1';

export interface TestApp {
  url: string;
  core: Core;
  server: HttpServer;
  clock: FakeClock;
  dataDir: string;
  close(): Promise<void>;
}

export interface StartOptions extends Omit<CoreOptions, 'clock'> {
  /** Where the server logs; silent by default. */
  logger?: Logger;
  /** Where the core logs (mail, bus, counters); silent by default. */
  coreLogger?: Logger;
}

export async function startApp(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir, PORT: '0', PASSWORD_HASH: testPasswordHash, LOG_LEVEL: 'silent', NODE_ID: 'test-node', ...env });
  const clock = new FakeClock(Date.now());
  const { logger = createLogger('silent'), coreLogger, ...coreOptions } = options;
  const core = await createCore(config, { ...coreOptions, clock, ...(coreLogger ? { logger: coreLogger } : {}) });
  const server = await buildHttpServer(core, logger);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    core,
    server,
    clock,
    dataDir,
    async close() {
      await server.app.close();
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  /** The raw text, for responses that are not JSON. */
  text: string;
}

export interface ApiRequest {
  method?: string;
  /** Sent as JSON unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  cookie?: string;
  bearer?: string;
}

export async function api<T = any>(base: string, path: string, request: ApiRequest = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...request.headers };
  let body: string | undefined = request.rawBody;
  if (request.body !== undefined && body === undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  if (request.cookie) headers.cookie = `sid=${request.cookie}`;
  if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
  const response = await fetch(base + path, { method: request.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** The sid value of a Set-Cookie header, or undefined. */
export function sidFrom(headers: Headers): string | undefined {
  const match = /(?:^|,\s*)sid=([^;]*)/.exec(headers.get('set-cookie') ?? '');
  return match ? match[1] : undefined;
}

export const password = 'correct horse battery staple';

/** Registers a user and logs in; returns the ids and the session cookie value. */
export async function signUp(app: Pick<TestApp, 'url'>, username = 'alice', extra: { email?: string; headers?: Record<string, string> } = {}) {
  const email = extra.email ?? `${username}@example.com`;
  const registered = await api(app.url, '/api/user/register', { body: { username, email, password }, headers: extra.headers });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);
  const login = await api(app.url, '/api/user/session/create', { body: { username, password }, headers: extra.headers });
  if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
  return { userId: registered.body.data.user_id as string, sessionId: login.body.data.session_id as string, cookie: sidFrom(login.headers)!, email };
}
