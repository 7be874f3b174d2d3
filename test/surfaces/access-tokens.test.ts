// Access tokens over real HTTP, checked the way an independent client would check them:
// jose against the served JWKS. Issued for a session, accepted wherever the cookie is,
// refused the moment their session closes, clamped in lifetime, and every forgery refused.
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT, type JSONWebKeySet } from 'jose';
import { ModerationService } from '../../src/accounts/moderation.js';
import { testContext } from '../support/admin.js';
import { api, password, signUp, sidFrom, startApp, type TestApp } from '../support/harness.js';
import { assertRestError, assertRestSuccess } from '../support/rest.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

async function issue(app: TestApp, credential: { cookie?: string; bearer?: string }, body?: unknown) {
  return assertRestSuccess<{ token: string; expires_at: string }>(await api(app.url, '/api/user/token', { method: 'POST', ...credential, ...(body === undefined ? {} : { body }) }));
}

async function servedKeys(app: TestApp) {
  const response = await api<JSONWebKeySet>(app.url, '/.well-known/jwks.json');
  assert.equal(response.status, 200);
  return { jwks: response.body, cacheControl: response.headers.get('cache-control') };
}

/** Verifies as a relying party would: only the published keys, only EdDSA. */
async function verifyIndependently(app: TestApp, token: string) {
  const { jwks } = await servedKeys(app);
  return jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['EdDSA'], currentDate: new Date(app.clock.now()) });
}

const profile = (app: TestApp, bearer: string, headers: Record<string, string> = {}) => api(app.url, '/api/user', { bearer, headers });

describe('access tokens', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
  });
  after(() => app.close());

  test('an issued token verifies against the served JWKS and names its session, database and role', async () => {
    const alice = await signUp(app, 'alice');
    const { token, expires_at } = await issue(app, { cookie: alice.cookie });
    const { jwks, cacheControl } = await servedKeys(app);
    assert.match(cacheControl ?? '', /max-age=\d+/);
    assert.ok(jwks.keys.every((key) => key.kty === 'OKP' && key.crv === 'Ed25519' && key.alg === 'EdDSA' && !('d' in key)), 'public halves only');
    const { payload, protectedHeader } = await verifyIndependently(app, token);
    assert.deepEqual([protectedHeader.alg, protectedHeader.typ, Object.keys(protectedHeader).sort()], ['EdDSA', 'JWT', ['alg', 'kid', 'typ']]);
    assert.ok(jwks.keys.some((key) => key.kid === protectedHeader.kid));
    assert.deepEqual(Object.keys(payload).sort(), ['db', 'exp', 'iat', 'jti', 'role', 'sid', 'sub'], 'the claims, and nothing else');
    assert.deepEqual([payload.sub, payload.sid, payload.db, payload.role], [alice.userId, alice.sessionId, 'main', 'user']);
    assert.equal(typeof payload.jti, 'string');
    assert.equal(payload.exp! - payload.iat!, 15 * 60, 'TOKEN_TTL_DEFAULT');
    assert.equal(expires_at, new Date(payload.exp! * 1000).toISOString());
  });

  test('a bearer token works wherever the cookie does', async () => {
    const bob = await signUp(app, 'bob');
    const { token } = await issue(app, { cookie: bob.cookie });
    assert.equal(assertRestSuccess(await profile(app, token)).username, 'bob');
    assert.equal(assertRestSuccess(await api(app.url, '/api/user/session/validate', { bearer: token })).session_id, bob.sessionId);
    assert.equal(assertRestSuccess(await api(app.url, '/api/user/permissions', { bearer: token })).role, 'user');
    const sessions = assertRestSuccess<Array<{ id: string; current: boolean }>>(await api(app.url, '/api/user/sessions', { bearer: token }));
    assert.ok(sessions.some((s) => s.id === bob.sessionId && s.current));
    const renewed = await issue(app, { bearer: token });
    assert.notEqual(decodeJwt(renewed.token).jti, decodeJwt(token).jti, 'a token renews itself without the password');
    assert.equal(decodeJwt(renewed.token).sid, bob.sessionId);
  });

  test('a token stops working on the very next request after its session closes, however it closes', async () => {
    const closers: Array<[string, (user: Awaited<ReturnType<typeof signUp>>) => Promise<unknown>]> = [
      ['logout', (u) => api(app.url, '/api/user/session/delete', { method: 'DELETE', cookie: u.cookie })],
      ['logout with the token itself', async (u) => api(app.url, '/api/user/session/delete', { method: 'DELETE', bearer: (await issue(app, { cookie: u.cookie })).token })],
      ['revocation from another session', async (u) => {
        const other = await api(app.url, '/api/user/session/create', { body: { username: (await app.core.accounts.findUser('main', u.userId)).username, password } });
        return api(app.url, `/api/user/sessions/${u.sessionId}`, { method: 'DELETE', cookie: sidFrom(other.headers)! });
      }],
      ['suspension', (u) => new ModerationService(app.core.store, app.core.sessions, app.core.audit).suspend(testContext(app), u.userId)],
      ['a ban', (u) => new ModerationService(app.core.store, app.core.sessions, app.core.audit).ban(testContext(app), u.userId, null)],
      ['a password change elsewhere', async (u) => {
        const name = (await app.core.accounts.findUser('main', u.userId)).username;
        const other = sidFrom((await api(app.url, '/api/user/session/create', { body: { username: name, password } })).headers)!;
        return api(app.url, '/api/user/update', { method: 'PATCH', cookie: other, body: { password: 'a new password entirely', current_password: password } });
      }],
      ['deleting the account', (u) => api(app.url, '/api/user/delete', { method: 'DELETE', cookie: u.cookie, body: { password } })],
      ['the sessions service', async (u) => app.core.sessions.close('main', [u.sessionId])],
    ];
    let n = 0;
    for (const [how, close] of closers) {
      const user = await signUp(app, `closer${++n}`);
      const { token } = await issue(app, { cookie: user.cookie });
      assertRestSuccess(await profile(app, token)); // cached now: the cache must not outlive the close
      await close(user);
      assertRestError(await profile(app, token), 401, 'unauthenticated');
      assertRestError(await api(app.url, '/api/user/session/validate', { bearer: token }), 401, 'unauthenticated');
      assert.ok(true, how);
    }
  });

  test('a session-limit eviction ends the evicted session’s tokens', async () => {
    const limited = await startApp({ SESSION_LIMIT_PER_USER: '1' });
    try {
      const first = await signUp(limited, 'carol');
      const { token } = await issue(limited, { cookie: first.cookie });
      assertRestSuccess(await profile(limited, token));
      await api(limited.url, '/api/user/session/create', { body: { username: 'carol', password } });
      assertRestError(await profile(limited, token), 401, 'unauthenticated');
    } finally {
      await limited.close();
    }
  });

  test('the lifetime: default, requested, clamped to TOKEN_TTL_MAX and to the session’s end; expired is refused', async () => {
    const dave = await signUp(app, 'dave');
    const session = await app.core.sessions.find('main', dave.sessionId);
    const now = () => app.clock.now();
    const requested = await issue(app, { cookie: dave.cookie }, { ttl: 60_000 });
    assert.equal(Date.parse(requested.expires_at), Math.floor((now() + 60_000) / 1000) * 1000);
    for (let i = 0; i < 3; i++) {
      app.clock.advance(20 * MIN);
      assertRestSuccess(await profile(app, dave.cookie)); // keeps the session from idling out
    }
    const clampedToSession = await issue(app, { cookie: dave.cookie }, { ttl: 10 * HOUR });
    assert.equal(Date.parse(clampedToSession.expires_at), Math.floor(session!.expiresAt / 1000) * 1000, 'never past the session’s end');
    const short = await startApp({ TOKEN_TTL_MAX: '20m', TOKEN_TTL_DEFAULT: '5m' });
    try {
      const erin = await signUp(short, 'erin');
      const max = await issue(short, { cookie: erin.cookie }, { ttl: 10 * HOUR });
      const claims = decodeJwt(max.token);
      assert.equal(claims.exp! - claims.iat!, 20 * 60, 'TOKEN_TTL_MAX');
      const { token } = await issue(short, { cookie: erin.cookie });
      assert.equal(decodeJwt(token).exp! - decodeJwt(token).iat!, 5 * 60);
      short.clock.advance(4 * MIN);
      assertRestSuccess(await profile(short, token));
      short.clock.advance(61_000);
      assertRestError(await profile(short, token), 401, 'unauthenticated');
      assertRestSuccess(await profile(short, erin.cookie)); // the session itself lives on
    } finally {
      await short.close();
    }
  });

  test('forged, altered and foreign tokens are refused with 401 in the envelope', async () => {
    const frank = await signUp(app, 'frank');
    const { token } = await issue(app, { cookie: frank.cookie });
    const claims = decodeJwt(token);
    const header = decodeProtectedHeader(token);
    const { jwks } = await servedKeys(app);
    const published = jwks.keys.find((key) => key.kid === header.kid)!;
    const [h, p, s] = token.split('.');
    const stranger = generateKeyPairSync('ed25519');
    const forgeries: Array<[string, string]> = [
      ['alg none', new UnsecuredJWT({ ...claims }).encode()],
      ['alg none with the kid', `${Buffer.from(JSON.stringify({ alg: 'none', kid: header.kid })).toString('base64url')}.${p}.`],
      ['HS256 with the public key as the secret', await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', kid: header.kid }).sign(new TextEncoder().encode(JSON.stringify(published)))],
      ['HS256 with the raw public key bytes', await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', kid: header.kid }).sign(Buffer.from(String(published.x), 'base64url'))],
      ['a modified payload', `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${s}`],
      ['another session in the payload', `${h}.${Buffer.from(JSON.stringify({ ...claims, sid: 'someone-else' })).toString('base64url')}.${s}`],
      ['a key the service never had, with its kid', await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: header.kid }).sign(stranger.privateKey)],
      ['a key the service never had, with a new kid', await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: 'stranger' }).sign(stranger.privateKey)],
      ['a truncated signature', token.slice(0, -5)],
      ['garbage', 'a.b.c'],
      ['not base64', '!!!.???.***'],
      ['over-long', `${h}.${'A'.repeat(5000)}.${s}`],
    ];
    for (const [label, forged] of forgeries) {
      const response = await profile(app, forged);
      assert.ok(response.status < 500, label);
      assertRestError(response, 401, 'unauthenticated');
    }
    assertRestSuccess(await profile(app, token)); // the genuine token still works
  });

  test('a token is valid only in its own database', async () => {
    await app.core.store.databases.create('shop', app.clock.now());
    const grace = await signUp(app, 'grace');
    const { token } = await issue(app, { cookie: grace.cookie });
    assertRestError(await profile(app, token, { 'x-database': 'shop' }), 401, 'unauthenticated');
    const shopper = await signUp(app, 'grace', { email: 'grace@shop.example', headers: { 'x-database': 'shop' } });
    // The cookie of a session in shop is no session in main.
    assertRestError(await api(app.url, '/api/user/token', { method: 'POST', cookie: shopper.cookie }), 401, 'unauthenticated');
    const inShop = assertRestSuccess(await api(app.url, '/api/user/token', { method: 'POST', cookie: shopper.cookie, headers: { 'x-database': 'shop' } }));
    assert.equal(decodeJwt(inShop.token).db, 'shop');
    assertRestError(await profile(app, inShop.token), 401, 'unauthenticated');
    assertRestSuccess(await profile(app, inShop.token, { 'x-database': 'shop' }));
  });

  test('a token keeps to the role it was issued for, and a demotion or lost privilege applies at the next request', async () => {
    const henry = await signUp(app, 'henry');
    await app.core.store.users.update('main', henry.userId, { role: 'moderator', privileges: ['accounts.manage'] });
    const session = (await app.core.sessions.find('main', henry.sessionId))!;
    const asUser = await app.core.tokens.issue(session, 'user');
    const asModerator = await app.core.tokens.issue(session, 'moderator');
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/permissions', { bearer: asUser.token })), { role: 'user', permissions: ['account.self', 'sessions.self'] });
    const moderator = assertRestSuccess(await api(app.url, '/api/user/permissions', { bearer: asModerator.token }));
    assert.equal(moderator.role, 'moderator');
    assert.ok(moderator.permissions.includes('accounts.manage'), 'the privilege applies to a token of the user’s own role');
    await app.core.store.users.update('main', henry.userId, { role: 'user', privileges: [] });
    assert.deepEqual(assertRestSuccess(await api(app.url, '/api/user/permissions', { bearer: asModerator.token })), { role: 'user', permissions: ['account.self', 'sessions.self'] });
  });

  test('a repeated token costs no second signature check; a new one does', async () => {
    const ivy = await signUp(app, 'ivy');
    const { token } = await issue(app, { cookie: ivy.cookie });
    const before = app.core.tokens.signatureChecks;
    for (let i = 0; i < 20; i++) assertRestSuccess(await profile(app, token));
    assert.equal(app.core.tokens.signatureChecks - before, 1);
    const metrics = await api(app.url, '/metrics');
    assert.match(metrics.text, /^gatehouse_access_token_signature_checks \d+$/m);
  });

  test('after a key rotation old tokens verify until they expire and new ones carry the new kid', async () => {
    const jack = await signUp(app, 'jack');
    const old = await issue(app, { cookie: jack.cookie });
    const oldKid = decodeProtectedHeader(old.token).kid;
    const rotated = await app.core.signingKeys.rotate();
    assert.notEqual(rotated.kid, oldKid);
    assert.ok(rotated.retired.includes(oldKid!));
    const kids = (await servedKeys(app)).jwks.keys.map((key) => key.kid);
    assert.ok(kids.includes(oldKid) && kids.includes(rotated.kid), 'both published');
    const fresh = await issue(app, { cookie: jack.cookie });
    assert.equal(decodeProtectedHeader(fresh.token).kid, rotated.kid);
    await verifyIndependently(app, old.token);
    await verifyIndependently(app, fresh.token);
    assertRestSuccess(await profile(app, old.token));
    // Once every token the old key could have signed has expired, it is no longer published.
    app.clock.advance(3 * HOUR + MIN);
    const later = (await servedKeys(app)).jwks.keys.map((key) => key.kid);
    assert.ok(!later.includes(oldKid) && later.includes(rotated.kid));
  });
});
