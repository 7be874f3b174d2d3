// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps,
// 6 digits, the parameters every authenticator app assumes. A code is accepted in its own
// step or one step either side (clock drift); which step matched is returned so the caller
// can refuse a second use of it (replay).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const totpStepSeconds = 30;
export const totpDigits = 6;
const driftSteps = 1;

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = base32Alphabet.indexOf(char);
    if (index === -1) throw new Error('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new shared secret: 160 random bits (RFC 4226's recommended length), base32. */
export const newTotpSecret = (): string => base32Encode(randomBytes(20));

/** The code of one time step (RFC 4226 HOTP with the step as counter). */
export function hotp(secret: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', secret).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** totpDigits).padStart(totpDigits, '0');
}

export const stepAt = (ms: number): number => Math.floor(ms / 1000 / totpStepSeconds);

/**
 * The time step whose code `code` is, within one step of `now`; undefined when it matches
 * none. Every candidate is compared in constant time.
 */
export function matchTotp(secretBase32: string, code: string, now: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const secret = base32Decode(secretBase32);
  const given = Buffer.from(code);
  const current = stepAt(now);
  let matched: number | undefined;
  for (let step = current - driftSteps; step <= current + driftSteps; step++) {
    if (timingSafeEqual(Buffer.from(hotp(secret, step)), given) && matched === undefined) matched = step;
  }
  return matched;
}

/** The provisioning URI authenticator apps read from a QR code (Key Uri Format). */
export function otpauthUrl(secretBase32: string, account: string, issuer: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({ secret: secretBase32, issuer, algorithm: 'SHA1', digits: String(totpDigits), period: String(totpStepSeconds) });
  return `otpauth://totp/${label}?${query.toString()}`;
}
