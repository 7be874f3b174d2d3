// Login throttling (SPEC §2): after 5 consecutive failures for an account, each further
// attempt must wait 1 s, 2 s, 4 s … (capped at 15 min); a client address may fail 100
// times an hour. Accounts are keyed by the name tried, so unknown names are throttled
// exactly like real ones and the throttle reveals nothing.
import type { Clock } from '../core/clock.js';
import { fail } from '../core/errors.js';

export interface ThrottleRules {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  addressFailuresPerWindow: number;
  addressWindowMs: number;
  /** Entries kept at most per table; the oldest are dropped first. */
  maxTracked: number;
}

export const defaultThrottleRules: ThrottleRules = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  addressFailuresPerWindow: 100,
  addressWindowMs: 60 * 60_000,
  maxTracked: 100_000,
};

interface AccountState {
  failures: number;
  blockedUntil: number;
}

interface AddressState {
  windowStart: number;
  failures: number;
}

export class LoginThrottle {
  private readonly accounts = new Map<string, AccountState>();
  private readonly addresses = new Map<string, AddressState>();

  constructor(
    private readonly clock: Clock,
    private readonly rules: ThrottleRules = defaultThrottleRules,
  ) {}

  /** Throws `rate_limited` (with Retry-After seconds) when this attempt must wait. */
  check(accountKey: string, address: string): void {
    const now = this.clock.now();
    const account = this.accounts.get(accountKey);
    if (account && now < account.blockedUntil) {
      fail('rate_limited', { retryAfter: Math.ceil((account.blockedUntil - now) / 1000) });
    }
    const byAddress = this.addresses.get(address);
    if (byAddress && now - byAddress.windowStart < this.rules.addressWindowMs && byAddress.failures >= this.rules.addressFailuresPerWindow) {
      fail('rate_limited', { retryAfter: Math.ceil((byAddress.windowStart + this.rules.addressWindowMs - now) / 1000) });
    }
  }

  recordFailure(accountKey: string, address: string): void {
    const now = this.clock.now();
    const account = this.accounts.get(accountKey) ?? { failures: 0, blockedUntil: 0 };
    account.failures++;
    const over = account.failures - this.rules.freeFailures;
    if (over >= 0) {
      account.blockedUntil = now + Math.min(this.rules.baseDelayMs * 2 ** Math.min(over, 30), this.rules.maxDelayMs);
    }
    this.remember(this.accounts, accountKey, account);

    let byAddress = this.addresses.get(address);
    if (!byAddress || now - byAddress.windowStart >= this.rules.addressWindowMs) byAddress = { windowStart: now, failures: 0 };
    byAddress.failures++;
    this.remember(this.addresses, address, byAddress);
  }

  recordSuccess(accountKey: string): void {
    this.accounts.delete(accountKey);
  }

  /** Lifts an account's lockout (administrators' `unlock_user`). */
  unlock(accountKey: string): void {
    this.accounts.delete(accountKey);
  }

  private remember<V>(table: Map<string, V>, key: string, value: V): void {
    table.delete(key);
    table.set(key, value);
    if (table.size > this.rules.maxTracked) table.delete(table.keys().next().value as string);
  }
}
