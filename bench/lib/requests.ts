// The requests each phase sends. Fixed request sets are prebuilt once by autocannon, so
// generating them costs the runner nothing per request; only the cold, login and
// registration loads build each request (they run at far lower rates).
import { randomInt } from 'node:crypto';
import type { AutocannonRequest } from 'autocannon';
import { benchToken, loginPassword, loginUserName } from './tokens.js';

export const validatePath = '/api/user/session/validate';

export type Credential = 'cookie' | 'bearer';

const credentialHeader = (credential: Credential, token: string): Record<string, string> =>
  credential === 'cookie' ? { cookie: `sid=${token}` } : { authorization: `Bearer ${token}` };

/** One request per token of the hot working set (tokens 0 … count-1), cycled in order. */
export function hotSetRequests(count: number, credential: Credential, path = validatePath): AutocannonRequest[] {
  return Array.from({ length: count }, (_, i) => ({ method: 'GET', path, headers: credentialHeader(credential, benchToken(i)) }));
}

/** One request per access token (JWT), sent as `Authorization: Bearer`. */
export function bearerJwtRequests(tokens: readonly string[], path = validatePath): AutocannonRequest[] {
  return tokens.map((token) => ({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } }));
}

/**
 * Real access tokens for the hot working set, asked of the server with each seeded
 * session's cookie (`POST /api/user/token`, the longest lifetime allowed), a few at a time.
 */
export async function issueAccessTokens(url: string, count: number): Promise<string[]> {
  const tokens: string[] = new Array(count);
  const issue = async (i: number) => {
    const response = await fetch(`${url}/api/user/token`, {
      method: 'POST',
      headers: { cookie: `sid=${benchToken(i)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttl: 3 * 3_600_000 }),
    });
    const body = (await response.json()) as { status: string; data?: { token: string } };
    if (response.status !== 200 || !body.data) throw new Error(`POST /api/user/token answered ${response.status}`);
    tokens[i] = body.data.token;
  };
  for (let i = 0; i < count; i += 20) await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, k) => issue(i + k)));
  return tokens;
}

/** `count` tokens that were never stored (indices from `stored` on): each is a 401 after a store read. */
export function unknownTokenRequests(stored: number, count: number): AutocannonRequest[] {
  return Array.from({ length: count }, (_, i) => ({ method: 'GET', path: validatePath, headers: { cookie: `sid=${benchToken(stored + i)}` } }));
}

/** Each request presents a token drawn at random from all `stored` sessions. */
export function randomTokenRequests(stored: number): AutocannonRequest[] {
  return [
    {
      method: 'GET',
      path: validatePath,
      setupRequest: (request) => ({ ...request, headers: { cookie: `sid=${benchToken(randomInt(stored))}` } }),
    },
  ];
}

/** Logins of random seeded users, all with their right password. */
export function loginRequests(users: number): AutocannonRequest[] {
  return [
    {
      method: 'POST',
      path: '/api/user/session/create',
      setupRequest: (request) => ({
        ...request,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: loginUserName(randomInt(users)), password: loginPassword }),
      }),
    },
  ];
}

/** RequestLoginToken over the v2 message framing for random seeded users: one argon2id verification and a signed JWT each. */
export function loginTokenRequests(users: number): AutocannonRequest[] {
  return [
    {
      method: 'POST',
      path: '/api/v2/RequestLoginToken',
      setupRequest: (request) => ({
        ...request,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: loginUserName(randomInt(users)), password: loginPassword }),
      }),
    },
  ];
}

/** Registrations of names never used before (a per-run tag plus a counter). */
export function registrationRequests(tag: string): AutocannonRequest[] {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/api/user/register',
      setupRequest: (request) => {
        const username = `reg-${tag}-${next++}`;
        return {
          ...request,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, email: `${username}@bench.invalid`, password: loginPassword }),
        };
      },
    },
  ];
}
