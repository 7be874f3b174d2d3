// Throttling of every secret check (SPEC §2): after 5 consecutive failures for an account,
// each further attempt must wait 1 s, 2 s, 4 s … (capped at 15 min); a client address may
// fail 100 times an hour. Logins, current/old passwords, TOTP codes and reset codes all
// count here (`guard`); refused bearer credentials and reset requests have quotas of their own. Accounts are keyed by the name tried, so unknown names are throttled
// exactly like real ones and the throttle reveals nothing. The counts live in a
// CounterStore: this node's memory, or Redis so that every node counts together.
import type { Clock } from '../core/clock.js';
import { fail, GatehouseError } from '../core/errors.js';
import { MemoryCounterStore, type Count, type CounterStore } from './counters.js';

export interface ThrottleRules {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** An account's failures are forgotten this long after the first of them (or at a success). */
  accountWindowMs: number;
  addressFailuresPerWindow: number;
  addressWindowMs: number;
  /** Unknown or dead bearer credentials (service keys, tokens) one address may present. */
  refusedCredentialsPerWindow: number;
  refusedCredentialWindowMs: number;
  /** Password-reset mails one account name, and one address, may ask for. */
  resetRequestsPerName: number;
  resetRequestsPerAddress: number;
  resetRequestWindowMs: number;
  /** Entries kept at most by the in-memory counters; the oldest are dropped first. */
  maxTracked: number;
}

export const defaultThrottleRules: ThrottleRules = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  accountWindowMs: 24 * 60 * 60_000,
  addressFailuresPerWindow: 100,
  addressWindowMs: 60 * 60_000,
  refusedCredentialsPerWindow: 300,
  refusedCredentialWindowMs: 10 * 60_000,
  resetRequestsPerName: 5,
  resetRequestsPerAddress: 30,
  resetRequestWindowMs: 60 * 60_000,
  maxTracked: 100_000,
};

const accountKey = (key: string) => `account:${key}`;
const addressKey = (address: string) => `address:${address}`;
const refusedCredentialKey = (address: string) => `refused:${address}`;
const resetNameKey = (name: string) => `reset:name:${name}`;
const resetAddressKey = (address: string) => `reset:address:${address}`;

export class LoginThrottle {
  private readonly counters: CounterStore;

  constructor(
    private readonly clock: Clock,
    private readonly rules: ThrottleRules = defaultThrottleRules,
    counters?: CounterStore,
  ) {
    this.counters = counters ?? new MemoryCounterStore(rules.maxTracked);
  }

  /** The longest window in use: how long shared counters must be kept at least. */
  static longestWindowMs(rules: ThrottleRules): number {
    return Math.max(rules.accountWindowMs, rules.addressWindowMs, rules.refusedCredentialWindowMs, rules.resetRequestWindowMs);
  }

  /** Throws `rate_limited` (with Retry-After seconds) when this attempt must wait. */
  async check(account: string, address: string): Promise<void> {
    const now = this.clock.now();
    const [failures, byAddress] = await Promise.all([
      this.counters.peek(accountKey(account), now, this.rules.accountWindowMs),
      this.counters.peek(addressKey(address), now, this.rules.addressWindowMs),
    ]);
    const over = failures === undefined ? -1 : failures.count - this.rules.freeFailures;
    if (failures !== undefined && over >= 0) {
      const blockedUntil = failures.lastAt + Math.min(this.rules.baseDelayMs * 2 ** Math.min(over, 30), this.rules.maxDelayMs);
      if (now < blockedUntil) fail('rate_limited', { retryAfter: Math.ceil((blockedUntil - now) / 1000) });
    }
    if (byAddress !== undefined && byAddress.count >= this.rules.addressFailuresPerWindow) {
      fail('rate_limited', { retryAfter: Math.ceil((byAddress.firstAt + this.rules.addressWindowMs - now) / 1000) });
    }
  }

  async recordFailure(account: string, address: string): Promise<void> {
    const now = this.clock.now();
    await Promise.all([
      this.counters.hit(accountKey(account), now, this.rules.accountWindowMs),
      this.counters.hit(addressKey(address), now, this.rules.addressWindowMs),
    ]);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.counters.reset(accountKey(account));
  }

  /**
   * Runs one check of a secret the caller typed (password, TOTP or reset code) for
   * `account`: refused while the account or address must wait, and counted as a failure
   * when it ends in `invalid_credentials`. The one place every such check goes through.
   */
  async guard<T>(account: string, address: string, attempt: () => Promise<T>): Promise<T> {
    await this.check(account, address);
    let result: T;
    try {
      result = await attempt();
    } catch (err) {
      if (err instanceof GatehouseError && err.code === 'invalid_credentials') await this.recordFailure(account, address);
      throw err;
    }
    await this.recordSuccess(account);
    return result;
  }

  /**
   * Counts a refused bearer credential from `address`; past the quota the refusal becomes
   * `rate_limited`. Counted only on refusal, so valid credentials cost no look-up.
   */
  async refuseCredential(address: string): Promise<void> {
    const count = await this.counters.hit(refusedCredentialKey(address), this.clock.now(), this.rules.refusedCredentialWindowMs);
    this.refuseOverQuota(count, this.rules.refusedCredentialsPerWindow, this.rules.refusedCredentialWindowMs);
  }

  /** Counts a password-reset request for `name` (as typed) from `address`; over quota → `rate_limited`. */
  async takeResetRequest(name: string, address: string): Promise<void> {
    const now = this.clock.now();
    const window = this.rules.resetRequestWindowMs;
    const [byName, byAddress] = await Promise.all([this.counters.hit(resetNameKey(name), now, window), this.counters.hit(resetAddressKey(address), now, window)]);
    this.refuseOverQuota(byName, this.rules.resetRequestsPerName, window);
    this.refuseOverQuota(byAddress, this.rules.resetRequestsPerAddress, window);
  }

  private refuseOverQuota(count: Count, quota: number, windowMs: number): void {
    if (count.count > quota) fail('rate_limited', { retryAfter: Math.max(1, Math.ceil((count.firstAt + windowMs - this.clock.now()) / 1000)) });
  }

  /** Lifts an account's lockout (administrators' `unlock_user`). */
  async unlock(account: string): Promise<void> {
    await this.counters.reset(accountKey(account));
  }
}
