// Administrators and second factors for tests: codes come from the `otpauth` package, an
// authenticator implementation independent of Gatehouse's own.
import * as OTPAuth from 'otpauth';
import { anonymous, type RequestContext } from '../../src/core/context.js';
import { api, password, sidFrom, signUp, type TestApp } from './harness.js';

/** The code an authenticator app shows for `secret` at `at` (milliseconds). */
export function totpCode(secret: string, at: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });
}

export function testContext(app: TestApp, database = 'main'): RequestContext {
  return { database, caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock };
}

/** Enrols an enabled TOTP factor for a user straight through the core; returns the secret. */
export async function enrolTotp(app: TestApp, userId: string, database = 'main'): Promise<string> {
  const user = await app.core.accounts.findUser(database, userId);
  return (await app.core.accounts.secondFactor.enrol(testContext(app, database), user, { enabled: true })).secret;
}

/**
 * Registers a user, makes them an administrator with TOTP and logs in with a code: a
 * session that passed a second factor. The clock moves one TOTP step afterwards, so the
 * next code the test computes is a fresh one.
 */
export async function signUpAdmin(app: TestApp, username = 'root') {
  const { userId } = await signUp(app, username);
  await app.core.store.users.update('main', userId, { role: 'admin' });
  const secret = await enrolTotp(app, userId);
  const login = await api(app.url, '/api/user/session/create', { body: { username, password, totp: totpCode(secret, app.clock.now()) } });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.text}`);
  app.clock.advance(30_000);
  return { userId, secret, cookie: sidFrom(login.headers)!, sessionId: login.body.data.session_id as string };
}
