// Seeded credentials the load generator can present without asking the server: session
// token i is sha256("bench:" + i) in base64url, the same 43-character form as a real
// token, and the store keeps its digest exactly as the server computes it.
import { createHash } from 'node:crypto';
import { digestSecret } from '../../src/core/ids.js';

export const benchToken = (i: number): string => createHash('sha256').update(`bench:${i}`).digest('base64url');
export const benchTokenDigest = (i: number): string => digestSecret(benchToken(i));

/** Users that log in during the login phases; they share one password (and hash). */
export const loginUserName = (i: number): string => `bench-login-${i}`;
export const loginPassword = 'bench password 1234';
export const sessionOwnerId = 'bench-session-owner';
