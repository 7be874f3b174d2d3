// Password hashing (argon2id with cheap test parameters) and the concurrency limiter that
// keeps a login storm from occupying every thread.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePasswordHash } from '../../src/config.js';
import { ConcurrencyLimiter } from '../../src/credentials/limiter.js';
import { PasswordHasher } from '../../src/credentials/passwords.js';

const cheap = parsePasswordHash('PASSWORD_HASH', 'argon2id:m=1024,t=1,p=1');
const password = 'correct horse battery staple';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(cheap, 2);

  test('hash then verify: the right password passes, a wrong one fails', async () => {
    const stored = await hasher.hash(password);
    assert.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(stored.includes(password), false);
    assert.deepEqual(await hasher.verify(stored, password), { ok: true, needsRehash: false });
    assert.deepEqual(await hasher.verify(stored, `${password}!`), { ok: false, needsRehash: false });
  });

  test('the same password hashes differently each time (salted)', async () => {
    assert.notEqual(await hasher.hash(password), await hasher.hash(password));
  });

  test('needsRehash is true when the stored hash was made with other parameters', async () => {
    const older = new PasswordHasher(parsePasswordHash('PASSWORD_HASH', 'argon2id:m=2048,t=1,p=1'), 1);
    const stored = await older.hash(password);
    assert.deepEqual(await hasher.verify(stored, password), { ok: true, needsRehash: true });
    assert.deepEqual(await hasher.verify(stored, 'wrong password'), { ok: false, needsRehash: false });
    const otherTime = new PasswordHasher(parsePasswordHash('PASSWORD_HASH', 'argon2id:m=1024,t=2,p=1'), 1);
    assert.deepEqual(await otherTime.verify(await hasher.hash(password), password), { ok: true, needsRehash: true });
  });

  test('a malformed stored hash fails verification instead of throwing', async () => {
    assert.deepEqual(await hasher.verify('not a hash', password), { ok: false, needsRehash: false });
    assert.deepEqual(await hasher.verify('', password), { ok: false, needsRehash: false });
  });

  test('verifyUnknownUser always fails, even for the dummy password itself', async () => {
    assert.deepEqual(await hasher.verifyUnknownUser(password), { ok: false, needsRehash: false });
    assert.deepEqual(await hasher.verifyUnknownUser('gatehouse dummy password'), { ok: false, needsRehash: false });
  });
});

/** A task that starts when the limiter runs it and finishes when told to. */
function gate() {
  let release!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { done, release, fail };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter', () => {
  test('never runs more than N tasks at once, also for tasks arriving after hand-overs, and runs them all', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 10 }, gate);
    const submit = (i: number) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await gates[i]!.done;
        running--;
        return i;
      });
    const results = [0, 1, 2, 3, 4, 5].map(submit);
    await settle();
    assert.equal(running, 3);
    assert.equal(limiter.queued, 3);
    gates[1]!.release();
    gates[0]!.release();
    await settle();
    assert.equal(running, 3);
    results.push(...[6, 7, 8, 9].map(submit)); // arrive after two slots were handed over
    await settle();
    assert.equal(running, 3);
    assert.equal(limiter.queued, 5);
    // Finish in a scrambled order; the limit must hold throughout.
    for (const i of [2, 9, 5, 3, 4, 8, 6, 7]) {
      gates[i]!.release();
      await settle();
      assert.ok(running <= 3);
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(peak, 3);
    assert.equal(limiter.queued, 0);
  });

  test('waiting tasks start in the order they were submitted', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const started: number[] = [];
    const gates = Array.from({ length: 6 }, gate);
    const results = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.done;
      }),
    );
    await settle();
    assert.deepEqual(started, [0, 1]);
    gates[1]!.release();
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]!.release();
    gates[2]!.release();
    await settle();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    for (const g of gates) g.release();
    await Promise.all(results);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  });

  test('a failing task passes its error to its caller and frees its slot', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const first = gate();
    const failing = limiter.run(() => first.done);
    const next = limiter.run(async () => 'ran');
    const boom = new Error('boom');
    first.fail(boom);
    await assert.rejects(failing, (err) => err === boom);
    assert.equal(await next, 'ran');
    assert.equal(await limiter.run(async () => 'again'), 'again');
  });
});

describe('adaptive hashing limit', () => {
  test('a limit that follows the load: raised, admit starts waiting tasks; lowered, running tasks finish and no new one starts', async () => {
    let limit = 1;
    const limiter = new ConcurrencyLimiter(() => limit);
    let running = 0;
    const gates = Array.from({ length: 5 }, gate);
    const results = gates.map((g, i) =>
      limiter.run(async () => {
        running++;
        await g.done;
        running--;
        return i;
      }),
    );
    await settle();
    assert.equal(running, 1);
    limit = 3;
    limiter.admit();
    await settle();
    assert.equal(running, 3, 'the raised limit is used at once');
    assert.equal(limiter.queued, 2);
    limit = 1;
    gates[0]!.release();
    gates[1]!.release();
    await settle();
    assert.equal(running, 1, 'finished slots above the lowered limit are given up');
    assert.equal(limiter.active, 1);
    for (const g of gates.slice(2)) {
      g.release();
      await settle();
      assert.ok(running <= 1);
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4]);
    assert.equal(limiter.active, 0);
  });

  test('PasswordHasher runs its idle concurrency while the loop is quiet and its base concurrency while it is busy', async () => {
    const load = { quiet: false, stop() {} };
    const hasher = new PasswordHasher(cheap, 1, 2, load);
    const stored = await hasher.hash(password);
    // Read before yielding: a cheap hash on its own thread can finish within one turn of
    // the event loop, and then nothing would be running any more to count.
    const busy = [hasher.verify(stored, password), hasher.verify(stored, password)];
    assert.equal(hasher.running, 1, 'busy: one at a time');
    assert.equal(hasher.queued, 1);
    load.quiet = true;
    hasher.admit();
    assert.equal(hasher.running, 2, 'quiet: the waiting one starts at once');
    assert.ok((await Promise.all(busy)).every((check) => check.ok));
    await hasher.close();
  });
});
