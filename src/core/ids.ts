// Identifiers and secrets. Public ids are random UUIDs; secrets are 256 random bits, handed
// to the client once and kept only as a SHA-256 digest (a fast hash is right for
// high-entropy secrets: there is nothing to brute-force).
import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export const newId = (): string => randomUUID();

/** A 256-bit secret, base64url (43 characters), with an optional readable prefix. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function digestSecret(secret: string): string {
  // One-shot hash: no Hash object per call; this runs on every validation.
  return hash('sha256', secret, 'base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
