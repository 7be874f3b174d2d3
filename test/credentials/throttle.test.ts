// Login throttling (SPEC §2) with a fake clock: 5 free failures per account, then waits of
// 1 s, 2 s, 4 s … capped at 15 min; 100 failures per address per hour. One suite, run on
// the in-memory counters and on Redis (what several nodes share); then the fallback to
// memory when Redis does not answer.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { connectRedis, redisConnectionOptions } from '../../src/bus/redis.js';
import { FakeClock } from '../../src/core/clock.js';
import { GatehouseError } from '../../src/core/errors.js';
import { FallbackCounterStore, MemoryCounterStore, RedisCounterStore, type CounterStore } from '../../src/credentials/counters.js';
import { defaultThrottleRules, LoginThrottle } from '../../src/credentials/throttle.js';
import { sharedRedis } from '../support/services.js';

const SEC = 1000;
const HOUR = 3_600_000;

/** Asserts that the attempt is refused with rate_limited and the given Retry-After. */
async function assertWait(throttle: LoginThrottle, account: string, address: string, retryAfter: number) {
  await assert.rejects(
    () => throttle.check(account, address),
    (err: unknown) => err instanceof GatehouseError && err.code === 'rate_limited' && err.retryAfter === retryAfter,
  );
}

async function fail(throttle: LoginThrottle, account: string, address: string, times: number) {
  for (let i = 0; i < times; i++) {
    await throttle.check(account, address);
    await throttle.recordFailure(account, address);
  }
}

function throttleSuite(name: string, skip: string | false, counters: () => CounterStore) {
  describe(name, { skip }, () => {
    const setup = () => {
      const clock = new FakeClock();
      return { clock, throttle: new LoginThrottle(clock, defaultThrottleRules, counters()) };
    };

    test('five failures are free; then the waits are 1 s, 2 s, 4 s … capped at 15 minutes', async () => {
      const { clock, throttle } = setup();
      await fail(throttle, 'alice', '10.0.0.1', 4);
      await throttle.check('alice', '10.0.0.1');
      await throttle.recordFailure('alice', '10.0.0.1');
      const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900];
      for (const seconds of expected) {
        await assertWait(throttle, 'alice', '10.0.0.1', seconds);
        clock.advance(seconds * SEC - 1);
        await assertWait(throttle, 'alice', '10.0.0.1', 1);
        clock.advance(1);
        await throttle.check('alice', '10.0.0.1');
        await throttle.recordFailure('alice', '10.0.0.1');
      }
    });

    test('Retry-After is whole seconds, rounded up', async () => {
      const { clock, throttle } = setup();
      await fail(throttle, 'alice', '10.0.0.1', 5);
      clock.advance(1 * SEC);
      await fail(throttle, 'alice', '10.0.0.1', 1);
      clock.advance(2 * SEC);
      await fail(throttle, 'alice', '10.0.0.1', 1); // the 7th failure asks for a 4 s wait
      clock.advance(1500);
      await assertWait(throttle, 'alice', '10.0.0.1', 3);
      clock.advance(1000);
      await assertWait(throttle, 'alice', '10.0.0.1', 2);
      clock.advance(1499);
      await assertWait(throttle, 'alice', '10.0.0.1', 1);
    });

    test('a success resets the count', async () => {
      const { clock, throttle } = setup();
      await fail(throttle, 'alice', '10.0.0.1', 5);
      clock.advance(SEC);
      await throttle.recordSuccess('alice');
      await fail(throttle, 'alice', '10.0.0.1', 4);
      await throttle.check('alice', '10.0.0.1');
      await throttle.recordFailure('alice', '10.0.0.1');
      await assertWait(throttle, 'alice', '10.0.0.1', 1);
    });

    test('unlock lifts a lockout at once and resets the count', async () => {
      const { throttle } = setup();
      await fail(throttle, 'alice', '10.0.0.1', 5);
      await assertWait(throttle, 'alice', '10.0.0.1', 1);
      await throttle.unlock('alice');
      await fail(throttle, 'alice', '10.0.0.1', 4);
      await throttle.check('alice', '10.0.0.1');
    });

    test('accounts are throttled independently, even from the same address', async () => {
      const { throttle } = setup();
      await fail(throttle, 'alice', '10.0.0.1', 5);
      await assertWait(throttle, 'alice', '10.0.0.1', 1);
      await assertWait(throttle, 'alice', '10.0.0.2', 1);
      await throttle.check('bob', '10.0.0.1');
      await fail(throttle, 'bob', '10.0.0.1', 4);
      await throttle.check('bob', '10.0.0.1');
    });

    test('an address may fail 100 times an hour across accounts, then waits for the window to end', async () => {
      const { clock, throttle } = setup();
      for (let i = 0; i < 99; i++) await fail(throttle, `user${i % 33}`, '10.0.0.9', 1);
      clock.advance(10 * 60_000);
      await fail(throttle, 'user-last', '10.0.0.9', 1);
      await assertWait(throttle, 'someone-new', '10.0.0.9', 3000);
      await throttle.check('someone-new', '10.0.0.10');
      clock.advance(50 * 60_000 - 1);
      await assertWait(throttle, 'someone-new', '10.0.0.9', 1);
      clock.advance(1);
      await throttle.check('someone-new', '10.0.0.9');
      // A new window starts with the next failure.
      await fail(throttle, 'someone-new', '10.0.0.9', 1);
      await throttle.check('user0', '10.0.0.9');
    });

    test('a success does not reset the address count', async () => {
      const { throttle } = setup();
      for (let i = 0; i < 100; i++) await fail(throttle, `user${i % 25}`, '10.0.0.9', 1);
      await throttle.recordSuccess('user0');
      await assertWait(throttle, 'user0', '10.0.0.9', HOUR / SEC);
    });

    test('an account\'s failures are forgotten a day after the first', async () => {
      const { clock, throttle } = setup();
      await fail(throttle, 'alice', '10.0.0.1', 5);
      await assertWait(throttle, 'alice', '10.0.0.1', 1);
      clock.advance(defaultThrottleRules.accountWindowMs);
      await fail(throttle, 'alice', '10.0.0.2', 4);
      await throttle.check('alice', '10.0.0.2');
    });
  });
}

throttleSuite('in-memory counters', false, () => new MemoryCounterStore());

const redis = await sharedRedis();
const connections: Redis[] = [];
after(() => connections.forEach((c) => c.disconnect()));
let suites = 0;
// One connection for the suite, so no test races its connection's start.
const shared = 'skip' in redis ? undefined : await connectRedis(redis.url);
if (shared) connections.push(shared);
throttleSuite('Redis counters', 'skip' in redis ? redis.skip : false, () => {
  const { prefix } = redis as { url: string; prefix: string };
  const connection = shared!;
  // Each test its own key space: the same account names are reused from test to test.
  return new RedisCounterStore(connection, `${prefix}throttle:${++suites}:`, HOUR);
});

describe('when Redis does not answer', { skip: 'skip' in redis ? redis.skip : false }, () => {
  test('counting falls back to this node\'s memory, and the outage is logged once', async () => {
    // Nothing listens on port 1: every command fails at once.
    const unreachable = new Redis('redis://127.0.0.1:1', { ...redisConnectionOptions, retryStrategy: () => null, lazyConnect: true });
    unreachable.on('error', () => {});
    connections.push(unreachable);
    const warnings: string[] = [];
    const logger = { warn: (_: object, message: string) => void warnings.push(message), info: () => {} };
    const counters = new FallbackCounterStore(new RedisCounterStore(unreachable, 'x:', HOUR), new MemoryCounterStore(), logger);
    const throttle = new LoginThrottle(new FakeClock(), defaultThrottleRules, counters);
    await fail(throttle, 'alice', '10.0.0.1', 5);
    await assertWait(throttle, 'alice', '10.0.0.1', 1);
    await throttle.recordSuccess('alice');
    await throttle.check('alice', '10.0.0.1');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /counting on this node only/);
  });

  test('two throttles on one Redis count failures together', async () => {
    const { url, prefix } = redis as { url: string; prefix: string };
    const clock = new FakeClock();
    const nodes = await Promise.all(
      [0, 1].map(async () => {
        const connection = await connectRedis(url);
        connections.push(connection);
        return new LoginThrottle(clock, defaultThrottleRules, new RedisCounterStore(connection, `${prefix}together:`, HOUR));
      }),
    );
    for (let i = 0; i < 5; i++) await fail(nodes[i % 2]!, 'alice', '10.0.0.1', 1);
    await assertWait(nodes[0]!, 'alice', '10.0.0.1', 1);
    await assertWait(nodes[1]!, 'alice', '10.0.0.1', 1);
  });
});
