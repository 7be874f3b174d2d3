// Counters behind login throttling, as a port: fixed-window hit counters keyed by name.
// In memory for one node; in Redis (one atomic script per hit) when several nodes must
// count together. Times come from the caller's clock, so both behave the same under a
// fake clock; Redis key expiry only collects garbage.
import type { Redis } from 'ioredis';

export interface Count {
  count: number;
  /** When the window began: the first hit after the last reset or expiry. */
  firstAt: number;
  /** The latest hit. */
  lastAt: number;
}

export interface CounterStore {
  /** Adds one hit; a window older than `windowMs` starts afresh with this hit. */
  hit(key: string, now: number, windowMs: number): Promise<Count>;
  /** The live count, or undefined when there is none or its window has ended. */
  peek(key: string, now: number, windowMs: number): Promise<Count | undefined>;
  reset(key: string): Promise<void>;
}

const live = (count: Count | undefined, now: number, windowMs: number): Count | undefined =>
  count !== undefined && now - count.firstAt < windowMs ? count : undefined;

export class MemoryCounterStore implements CounterStore {
  private readonly counts = new Map<string, Count>();

  /** @param maxTracked keys kept at most; the least recently hit are dropped first. */
  constructor(private readonly maxTracked = 100_000) {}

  async hit(key: string, now: number, windowMs: number): Promise<Count> {
    const current = live(this.counts.get(key), now, windowMs);
    const next = current ? { count: current.count + 1, firstAt: current.firstAt, lastAt: Math.max(current.lastAt, now) } : { count: 1, firstAt: now, lastAt: now };
    this.counts.delete(key); // re-insert at the young end
    this.counts.set(key, next);
    if (this.counts.size > this.maxTracked) this.counts.delete(this.counts.keys().next().value as string);
    return next;
  }

  async peek(key: string, now: number, windowMs: number): Promise<Count | undefined> {
    return live(this.counts.get(key), now, windowMs);
  }

  async reset(key: string): Promise<void> {
    this.counts.delete(key);
  }
}

// One round trip, atomic across nodes: start a new window or count into the current one.
// KEYS[1] the counter; ARGV now, window (ms), time to keep the key (ms).
const hitScript = `
local now = tonumber(ARGV[1])
local first = tonumber(redis.call('HGET', KEYS[1], 'first'))
if first == nil or now - first >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'count', 1, 'first', now, 'last', now)
else
  redis.call('HINCRBY', KEYS[1], 'count', 1)
  local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
  if last == nil or now > last then redis.call('HSET', KEYS[1], 'last', now) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('HMGET', KEYS[1], 'count', 'first', 'last')
`;

const toCount = (values: Array<string | null>): Count | undefined => {
  const [count, firstAt, lastAt] = values.map((v) => (v === null ? NaN : Number(v)));
  return Number.isFinite(count) && Number.isFinite(firstAt) && Number.isFinite(lastAt) ? { count: count!, firstAt: firstAt!, lastAt: lastAt! } : undefined;
};

export class RedisCounterStore implements CounterStore {
  /**
   * @param keepMs how long Redis keeps an untouched key at least (garbage collection only;
   *   windows are judged by the caller's clock). At least the longest window in use.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly keepMs: number,
  ) {}

  async hit(key: string, now: number, windowMs: number): Promise<Count> {
    const values = (await this.redis.eval(hitScript, 1, this.prefix + key, now, windowMs, Math.max(this.keepMs, windowMs))) as Array<string | null>;
    return toCount(values) ?? { count: 1, firstAt: now, lastAt: now };
  }

  async peek(key: string, now: number, windowMs: number): Promise<Count | undefined> {
    return live(toCount(await this.redis.hmget(this.prefix + key, 'count', 'first', 'last')), now, windowMs);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

export interface CounterLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * Shared counters that fall back to this node's memory when Redis does not answer, so a
 * Redis outage weakens throttling to per-node counting instead of failing every login.
 * Logged once per outage.
 */
export class FallbackCounterStore implements CounterStore {
  private degraded = false;

  constructor(
    private readonly primary: CounterStore,
    private readonly fallback: CounterStore,
    private readonly logger: CounterLogger,
  ) {}

  hit(key: string, now: number, windowMs: number): Promise<Count> {
    return this.attempt((store) => store.hit(key, now, windowMs));
  }

  peek(key: string, now: number, windowMs: number): Promise<Count | undefined> {
    return this.attempt((store) => store.peek(key, now, windowMs));
  }

  async reset(key: string): Promise<void> {
    // Both: a count kept in memory during an outage must not outlive a success or unlock.
    await this.fallback.reset(key);
    await this.attempt((store) => store.reset(key));
  }

  private async attempt<T>(work: (store: CounterStore) => Promise<T>): Promise<T> {
    try {
      const result = await work(this.primary);
      if (this.degraded) this.logger.info({}, 'throttle: shared counters reachable again');
      this.degraded = false;
      return result;
    } catch (err) {
      if (!this.degraded) this.logger.warn({ err: (err as Error).message }, 'throttle: shared counters unreachable; counting on this node only');
      this.degraded = true;
      return work(this.fallback);
    }
  }
}
