// Login throttling (SPEC §2) with a fake clock: 5 free failures per account, then waits of
// 1 s, 2 s, 4 s … capped at 15 min; 100 failures per address per hour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { GatehouseError } from '../../src/core/errors.js';
import { LoginThrottle } from '../../src/credentials/throttle.js';

const SEC = 1000;
const HOUR = 3_600_000;

function setup() {
  const clock = new FakeClock();
  return { clock, throttle: new LoginThrottle(clock) };
}

/** Asserts that the attempt is refused with rate_limited and the given Retry-After. */
function assertWait(throttle: LoginThrottle, account: string, address: string, retryAfter: number) {
  assert.throws(
    () => throttle.check(account, address),
    (err: unknown) => err instanceof GatehouseError && err.code === 'rate_limited' && err.retryAfter === retryAfter,
  );
}

function fail(throttle: LoginThrottle, account: string, address: string, times: number) {
  for (let i = 0; i < times; i++) {
    throttle.check(account, address);
    throttle.recordFailure(account, address);
  }
}

test('five failures are free; then the waits are 1 s, 2 s, 4 s … capped at 15 minutes', () => {
  const { clock, throttle } = setup();
  fail(throttle, 'alice', '10.0.0.1', 4);
  throttle.check('alice', '10.0.0.1');
  throttle.recordFailure('alice', '10.0.0.1');
  const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900];
  for (const seconds of expected) {
    assertWait(throttle, 'alice', '10.0.0.1', seconds);
    clock.advance(seconds * SEC - 1);
    assertWait(throttle, 'alice', '10.0.0.1', 1);
    clock.advance(1);
    throttle.check('alice', '10.0.0.1');
    throttle.recordFailure('alice', '10.0.0.1');
  }
});

test('Retry-After is whole seconds, rounded up', () => {
  const { clock, throttle } = setup();
  fail(throttle, 'alice', '10.0.0.1', 5);
  clock.advance(1 * SEC);
  fail(throttle, 'alice', '10.0.0.1', 1);
  clock.advance(2 * SEC);
  fail(throttle, 'alice', '10.0.0.1', 1); // the 7th failure asks for a 4 s wait
  clock.advance(1500);
  assertWait(throttle, 'alice', '10.0.0.1', 3);
  clock.advance(1000);
  assertWait(throttle, 'alice', '10.0.0.1', 2);
  clock.advance(1499);
  assertWait(throttle, 'alice', '10.0.0.1', 1);
});

test('a success resets the count', () => {
  const { clock, throttle } = setup();
  fail(throttle, 'alice', '10.0.0.1', 5);
  clock.advance(SEC);
  throttle.recordSuccess('alice');
  fail(throttle, 'alice', '10.0.0.1', 4);
  throttle.check('alice', '10.0.0.1');
  throttle.recordFailure('alice', '10.0.0.1');
  assertWait(throttle, 'alice', '10.0.0.1', 1);
});

test('unlock lifts a lockout at once and resets the count', () => {
  const { throttle } = setup();
  fail(throttle, 'alice', '10.0.0.1', 5);
  assertWait(throttle, 'alice', '10.0.0.1', 1);
  throttle.unlock('alice');
  fail(throttle, 'alice', '10.0.0.1', 4);
  throttle.check('alice', '10.0.0.1');
});

test('accounts are throttled independently, even from the same address', () => {
  const { throttle } = setup();
  fail(throttle, 'alice', '10.0.0.1', 5);
  assertWait(throttle, 'alice', '10.0.0.1', 1);
  assertWait(throttle, 'alice', '10.0.0.2', 1);
  throttle.check('bob', '10.0.0.1');
  fail(throttle, 'bob', '10.0.0.1', 4);
  throttle.check('bob', '10.0.0.1');
});

test('an address may fail 100 times an hour across accounts, then waits for the window to end', () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 99; i++) fail(throttle, `user${i % 33}`, '10.0.0.9', 1);
  clock.advance(10 * 60_000);
  fail(throttle, 'user-last', '10.0.0.9', 1);
  assertWait(throttle, 'someone-new', '10.0.0.9', 3000);
  throttle.check('someone-new', '10.0.0.10');
  clock.advance(50 * 60_000 - 1);
  assertWait(throttle, 'someone-new', '10.0.0.9', 1);
  clock.advance(1);
  throttle.check('someone-new', '10.0.0.9');
  // A new window starts with the next failure.
  fail(throttle, 'someone-new', '10.0.0.9', 1);
  throttle.check('user0', '10.0.0.9');
});

test('a success does not reset the address count', () => {
  const { throttle } = setup();
  for (let i = 0; i < 100; i++) fail(throttle, `user${i % 25}`, '10.0.0.9', 1);
  throttle.recordSuccess('user0');
  assertWait(throttle, 'user0', '10.0.0.9', HOUR / SEC);
});
