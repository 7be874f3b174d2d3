// Identity rules of SPEC §2: how usernames and emails are normalised and which values are
// acceptable (passwords: password-policy.ts). Failures name the field so clients can point at it.
import { fail } from '../core/errors.js';

const usernamePattern = /^[\p{L}\p{N}_.-]{3,64}$/u;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function invalid(field: string, problem: string): never {
  fail('validation_failed', { message: `${field}: ${problem}`, details: { field, problem } });
}

/** The stored form (NFKC) and the comparison key (NFKC, lower case). */
export function normalizeUsername(raw: string): { username: string; usernameKey: string } {
  const username = raw.normalize('NFKC');
  if (!usernamePattern.test(username)) invalid('username', 'must be 3 to 64 letters, digits, "_", "." or "-"');
  return { username, usernameKey: username.toLowerCase() };
}

/** The key a login name is looked up by; never fails, so bad input just finds no one. */
export function usernameKeyOf(raw: string): string {
  return raw.normalize('NFKC').toLowerCase();
}

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !emailPattern.test(email)) invalid('email', 'is not a valid email address');
  return email;
}

export function normalizeFullName(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  const name = raw.trim();
  if (name.length > 256) invalid('full_name', 'must be at most 256 characters');
  return name === '' ? null : name;
}
