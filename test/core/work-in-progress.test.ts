import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkInProgress } from '../../src/core/work-in-progress.js';

test('drained waits for tracked work, rejected work included, and gives up after its timeout', async () => {
  const work = new WorkInProgress();
  assert.equal(await work.drained(10), true, 'nothing tracked: drained at once');

  let finish!: () => void;
  const slow = work.track(new Promise<void>((resolve) => (finish = resolve)));
  const failing = work.track(Promise.reject(new Error('refused')));
  await assert.rejects(failing, /refused/); // the caller still sees its own rejection
  assert.equal(work.size, 1);
  assert.equal(await work.drained(20), false, 'still running when the timeout passed');

  const waiting = work.drained(5_000);
  finish();
  await slow;
  assert.equal(await waiting, true);
  assert.equal(work.size, 0);
});
