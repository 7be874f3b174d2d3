// andThen and settle keep a ready value synchronous and route a thrown or rejected error
// to the failure handler either way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { andThen, settle } from '../../src/core/maybe-async.js';

test('andThen applies at once to a value and after resolution to a promise', async () => {
  const now = andThen(2, (n) => n * 3);
  assert.equal(now, 6);
  const later = andThen(Promise.resolve(2), (n) => n * 3);
  assert.ok(later instanceof Promise);
  assert.equal(await later, 6);
});

test('settle is synchronous for a ready value and hands thrown and rejected errors to failed', async () => {
  const failed = (err: unknown) => `failed: ${(err as Error).message}`;
  assert.equal(settle(() => 1, (n) => `done ${n}`, failed), 'done 1');
  assert.equal(
    settle(() => { throw new Error('thrown'); }, () => 'done', failed),
    'failed: thrown',
  );
  assert.equal(await settle(() => Promise.reject(new Error('rejected')), () => 'done', failed), 'failed: rejected');
  assert.equal(await settle(() => Promise.resolve(5), (n) => `done ${n}`, failed), 'done 5');
});
