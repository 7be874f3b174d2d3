// Access tokens (SPEC §2): JWTs signed EdDSA with the service's current key, naming their
// session (`sid`), database, user and the role they were issued for. Verification pins the
// algorithm and the claims; a verified token is remembered by its digest, so a repeated
// token costs a map look-up rather than a second signature check. Whether the session is
// still live is not a property of the token and is checked on every use by the caller.
import { sign, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { Clock } from '../core/clock.js';
import { fail } from '../core/errors.js';
import type { MaybeAsync } from '../core/maybe-async.js';
import { digestSecret, newId } from '../core/ids.js';
import { roles, type Role } from '../core/permissions.js';
import { signingAlgorithm, type SigningKeys } from './signing-keys.js';

export interface AccessClaims {
  sub: string;
  sid: string;
  db: string;
  role: Role;
  iat: number;
  /** Seconds since the epoch, as in the token. */
  exp: number;
  jti: string;
}

export interface TokenRules {
  defaultTtlMs: number;
  maxTtlMs: number;
}

export interface IssuedToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Compact JWS: three base64url parts. Anything else is not worth a signature check. */
const compactJws = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const maxTokenLength = 4096;
const requiredClaims = ['sub', 'sid', 'db', 'role', 'iat', 'exp', 'jti'];

const base64urlJson = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT in compact JWS form (RFC 7515 §7.1, RFC 8037 for EdDSA), signed by Node's one-shot
 * `sign` on this thread. jose signs through WebCrypto, which runs each signature as a job
 * on libuv's thread pool: a hand-over to another thread and back per token, 154 against 54
 * µs of CPU per token, and a third thread waking on two cores the hashing threads already
 * fill at every token login. Tokens are still verified by jose (`verify` below).
 */
function signJwt(kid: string, claims: AccessClaims, privateKey: KeyObject): string {
  const signingInput = `${base64urlJson({ alg: signingAlgorithm, kid, typ: 'JWT' })}.${base64urlJson(claims)}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

export function looksLikeJwt(credential: string): boolean {
  // Session tokens are base64url and never hold a dot: they skip the pattern, which runs on
  // every validation.
  return credential.includes('.') && credential.length <= maxTokenLength && compactJws.test(credential);
}

function claimsOf(payload: Record<string, unknown>): AccessClaims | undefined {
  const { sub, sid, db, role, iat, exp, jti } = payload;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof db !== 'string' || typeof jti !== 'string') return undefined;
  if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  return { sub, sid, db, role: role as Role, iat, exp, jti };
}

export class AccessTokens {
  /** Verified tokens by digest, oldest first; bounded, and an entry is never used past its `exp`. */
  private readonly verified = new Map<string, AccessClaims>();
  /**
   * Signature checks in flight by token digest: many requests bearing one new token at the
   * same moment (a client's parallel calls) share one check instead of each making its own.
   */
  private readonly checking = new Map<string, Promise<AccessClaims | undefined>>();
  /** Signatures checked since start: what the cache saves shows as this staying still. */
  signatureChecks = 0;

  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
    private readonly rules: TokenRules,
    private readonly cacheSize: number,
  ) {}

  get cached(): number {
    return this.verified.size;
  }

  /**
   * A token for `session`, living the requested time (default TOKEN_TTL_DEFAULT), at most
   * TOKEN_TTL_MAX and never past the session's end.
   */
  async issue(session: { id: string; userId: string; database: string; expiresAt: number }, role: Role, requestedTtlMs?: number): Promise<IssuedToken> {
    const now = this.clock.now();
    const ttl = Math.min(requestedTtlMs ?? this.rules.defaultTtlMs, this.rules.maxTtlMs);
    const expSeconds = Math.floor(Math.min(now + ttl, session.expiresAt) / 1000);
    const iat = Math.floor(now / 1000);
    if (expSeconds <= iat) fail('unauthenticated', { message: 'The session ends too soon for a token.' });
    const { kid, privateKey } = await this.keys.current();
    const token = signJwt(kid, { sid: session.id, db: session.database, role, sub: session.userId, iat, exp: expSeconds, jti: newId() }, privateKey);
    return { token, expiresAt: expSeconds * 1000 };
  }

  /** The claims of a genuine, unexpired token; undefined for anything else. Never throws. */
  verify(token: string): MaybeAsync<AccessClaims | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    const now = this.clock.now();
    const digest = digestSecret(token);
    const known = this.verified.get(digest);
    if (known !== undefined) {
      // A token verified before answers without a promise: this is every request after its first.
      if (known.exp * 1000 > now) return known;
      this.verified.delete(digest);
      return undefined;
    }
    return this.verifyNew(token, digest, now);
  }

  private async verifyNew(token: string, digest: string, now: number): Promise<AccessClaims | undefined> {
    let pending = this.checking.get(digest);
    if (pending === undefined) {
      pending = this.verifySignature(token, now).finally(() => this.checking.delete(digest));
      this.checking.set(digest, pending);
    }
    const claims = await pending;
    if (claims === undefined) return undefined;
    if (this.cacheSize > 0) {
      this.verified.set(digest, claims);
      if (this.verified.size > this.cacheSize) this.verified.delete(this.verified.keys().next().value as string);
    }
    return claims;
  }

  private async verifySignature(token: string, now: number): Promise<AccessClaims | undefined> {
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== signingAlgorithm) return undefined;
      kid = header.kid;
    } catch {
      return undefined;
    }
    if (typeof kid !== 'string' || kid.length > 128) return undefined;
    const key = await this.keys.verificationKey(kid);
    if (key === undefined) return undefined;
    this.signatureChecks++;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: [signingAlgorithm], currentDate: new Date(now), requiredClaims });
      return claimsOf(payload as Record<string, unknown>);
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return undefined;
      throw err;
    }
  }
}
