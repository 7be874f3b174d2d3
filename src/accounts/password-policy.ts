// Which passwords may be set (NIST SP 800-63B §5.1.1.2): 8 to 256 characters, no
// composition rules, none of the most common passwords (the zxcvbn-ts list of ~49k, kept
// up to date as an npm package) and not the account's own username or email.
import { dictionary } from '@zxcvbn-ts/language-common';
import { fail } from '../core/errors.js';

export const passwordLength = { min: 8, max: 256 } as const;

/** The account a password is for: the names an attacker would try first. */
export interface PasswordOwner {
  username?: string | null;
  email?: string | null;
}

// Built on first use, so processes that never set a password (the CLI's key commands) do
// not pay for a 49k-entry Set.
let commonPasswords: ReadonlySet<string> | undefined;
const commonPasswordSet = (): ReadonlySet<string> =>
  (commonPasswords ??= new Set((dictionary['passwords-common'] as unknown[]).map((entry) => String(entry).toLowerCase())));

const comparable = (value: string): string => value.normalize('NFKC').toLowerCase();

function refuse(field: string, problem: string): never {
  fail('validation_failed', { message: `${field}: ${problem}`, details: { field, problem } });
}

/** Throws `validation_failed` naming `field` when the password may not be set. */
export function checkNewPassword(password: string, field = 'password', owner: PasswordOwner = {}): void {
  const length = [...password].length;
  if (length < passwordLength.min || length > passwordLength.max) refuse(field, `must be ${passwordLength.min} to ${passwordLength.max} characters`);
  const candidate = comparable(password);
  if (commonPasswordSet().has(candidate)) refuse(field, 'is one of the most commonly used passwords; choose another');
  const names = [owner.username, owner.email].filter((name): name is string => typeof name === 'string' && name !== '');
  if (names.some((name) => comparable(name) === candidate)) refuse(field, 'must not be the username or email address');
}
