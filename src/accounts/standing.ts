// Whether an account may hold a new session: the one rule every way of opening a session
// (password login, the sessions service, later the RPC) applies to a local user.
import { fail } from '../core/errors.js';
import type { UserRecord } from '../store/ports.js';

/** A ban with an end that has passed no longer blocks; the caller may lift it. */
export function banHasEnded(user: UserRecord, now: number): boolean {
  return user.status === 'banned' && user.banUntil !== null && user.banUntil <= now;
}

/** Throws `account_suspended` or `account_banned` when the account may not open a session now. */
export function ensureMayOpenSession(user: UserRecord, now: number): void {
  if (user.status === 'suspended') fail('account_suspended');
  if (user.status === 'banned' && !banHasEnded(user, now)) {
    fail('account_banned', user.banUntil === null ? {} : { details: { ban_until: new Date(user.banUntil).toISOString() } });
  }
}
