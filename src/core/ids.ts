// Identifiers and secrets. Public ids are random UUIDs; secrets are 256 random bits, handed
// to the client once and kept only as a SHA-256 digest (a fast hash is right for
// high-entropy secrets: there is nothing to brute-force).
import { hash, randomFillSync, randomUUID, timingSafeEqual } from 'node:crypto';

export const newId = (): string => randomUUID();

// Secrets are cut from CSPRNG output drawn 128 secrets at a time, as Node's randomUUID
// buffers its own: each call into OpenSSL (provider look-up, DRBG locks) cost about 50 µs of
// the event loop per login beside the hashing threads, 3.8% of its time there, for 32
// bytes. A slice is zeroed as soon as it is encoded, so the pool never holds a secret that
// was handed out. Allocated on its own (not from Buffer's shared slab).
const secretBytes = 32;
const secretPool = Buffer.alloc(secretBytes * 128);
let secretOffset = secretPool.length;

/** A 256-bit secret, base64url (43 characters), with an optional readable prefix. */
export function newSecret(prefix = ''): string {
  if (secretOffset === secretPool.length) {
    randomFillSync(secretPool);
    secretOffset = 0;
  }
  const start = secretOffset;
  secretOffset += secretBytes;
  const text = secretPool.toString('base64url', start, secretOffset);
  secretPool.fill(0, start, secretOffset);
  return prefix + text;
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
