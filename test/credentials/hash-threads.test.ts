// The hashing threads: argon2id off the event loop on threads of Gatehouse's own. Most
// tests give them a stand-in binding (written to a temporary directory) that reports which
// thread ran it, or ends its thread on request, so reuse and failure show plainly.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashThreads } from '../../src/credentials/hash-threads.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-hash-threads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// hashSync answers "<threadId>:<password>" after a short busy wait (so concurrent jobs
// overlap); "exit" ends the thread, "throw" fails; "hold:<file>" runs until that file
// exists (a hash the test ends when it chooses); "stamp…" adds "@<started>-<finished>".
const standIn = join(dir, 'argon2-stand-in.cjs');
writeFileSync(
  standIn,
  `const { threadId } = require('node:worker_threads');
const { existsSync } = require('node:fs');
const pause = new Int32Array(new SharedArrayBuffer(4));
module.exports = {
  hashSync(password) {
    const started = Date.now();
    if (password === 'exit') process.exit(3);
    if (password === 'throw') throw new Error('no such hash');
    if (password.startsWith('hold:')) {
      while (!existsSync(password.slice(5))) Atomics.wait(pause, 0, 0, 2);
    } else {
      const until = Date.now() + 20;
      while (Date.now() < until);
    }
    return threadId + ':' + password + (password.startsWith('stamp') ? '@' + started + '-' + Date.now() : '');
  },
  verifySync(stored, password) {
    if (!stored.includes(':')) throw new Error('malformed hash');
    return stored.slice(stored.indexOf(':') + 1) === password;
  },
};
`,
);
const options = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 };
const threadOf = (hashed: string): number => Number(hashed.slice(0, hashed.indexOf(':')));
const finishedAt = (hashed: string): number => Number(hashed.slice(hashed.lastIndexOf('-') + 1));
const startedAt = (hashed: string): number => Number(hashed.slice(hashed.lastIndexOf('@') + 1, hashed.lastIndexOf('-')));

/** The most stamped hashes that ran at once (one ending as another starts is not overlap). */
function peakOf(hashed: readonly string[]): number {
  const events = hashed.flatMap((h) => [[startedAt(h), 1] as const, [finishedAt(h), -1] as const]);
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let running = 0;
  let peak = 0;
  for (const [, step] of events) peak = Math.max(peak, (running += step));
  return peak;
}

/** Hashes the tests hold, released whatever happens so a failed test cannot hang the run. */
const holds = new Set<() => void>();
afterEach(() => {
  for (const release of holds) release();
  holds.clear();
});

/** A hash of the stand-in that runs until `release` is called. */
function held(threads: HashThreads, name: string) {
  const file = join(dir, `${name}-${process.hrtime.bigint()}`);
  const release = () => writeFileSync(file, '');
  holds.add(release);
  const hashed = threads.hash(`hold:${file}`, options);
  hashed.catch(() => undefined); // a test that fails early leaves it to afterEach
  return { hashed, release };
}

/** Runs `body` (ES module source, with `HashThreads` and `options` in scope) in a child process of its own. */
function inChild(body: string) {
  const source = `
    import { HashThreads } from ${JSON.stringify(new URL('../../src/credentials/hash-threads.ts', import.meta.url).pathname)};
    const options = ${JSON.stringify(options)};
    ${body}
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 20_000 });
}

describe('HashThreads', () => {
  test('hashes and verifies with the real argon2id, off the main thread', async () => {
    const threads = new HashThreads(2);
    const stored = await threads.hash('correct horse', options);
    assert.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(await threads.verify(stored, 'correct horse'), true);
    assert.equal(await threads.verify(stored, 'wrong horse'), false);
    await assert.rejects(threads.verify('not a hash', 'correct horse'));
    await threads.close();
  });

  test('never more threads than its size; the next hash goes to the thread that finished last', async () => {
    const threads = new HashThreads(2, { argon2: standIn });
    const concurrent = await Promise.all(['a', 'b', 'c', 'd'].map((password) => threads.hash(password, options)));
    assert.deepEqual(
      concurrent.map((hashed) => hashed.slice(hashed.indexOf(':') + 1)),
      ['a', 'b', 'c', 'd'],
    );
    const used = new Set(concurrent.map(threadOf));
    assert.equal(used.size, 2);
    assert.equal(used.has(0), false, 'the main thread never hashes');
    const first = threadOf(await threads.hash('e', options));
    assert.equal(threadOf(await threads.hash('f', options)), first);
    assert.equal(threadOf(await threads.hash('g', options)), first);
    await threads.close();
  });

  test('a failure is that hash’s alone: a thrown error or a thread that ends rejects it; the hash it held ahead and the next one work', async () => {
    const threads = new HashThreads(1, { argon2: standIn });
    await assert.rejects(threads.hash('throw', options), /no such hash/);
    assert.match(await threads.hash('after a throw', options), /:after a throw$/);
    const before = threadOf(await threads.hash('x', options));
    // The second is held ahead by the thread that ends: it goes back to the queue.
    const both = [threads.hash('exit', options), threads.hash('queued behind it', options)];
    assert.equal(threads.queued, 1);
    const [ended, queued] = (await Promise.allSettled(both)) as [PromiseSettledResult<string>, PromiseSettledResult<string>];
    assert.equal(ended.status, 'rejected');
    assert.match(String((ended as PromiseRejectedResult).reason), /exited with code 3/);
    assert.equal(queued.status, 'fulfilled');
    const replacement = threadOf((queued as PromiseFulfilledResult<string>).value);
    assert.notEqual(replacement, before, 'a new thread took the queued hash');
    assert.equal(await threads.verify(`${replacement}:y`, 'y'), true);
    await threads.close();
  });

  test('a busy thread holds the next hash ahead and starts it without waiting for the event loop', async () => {
    const threads = new HashThreads(1, { argon2: standIn });
    await threads.hash('warm', options);
    const both = [threads.hash('stamp 1', options), threads.hash('stamp 2', options)];
    assert.equal(threads.running, 1);
    assert.equal(threads.queued, 1, 'the second waits in the thread, not here');
    // Keep this thread's event loop busy: a thread that waited for it to read the first
    // answer before it got the second hash could not finish that one meanwhile.
    const blockedUntil = Date.now() + 400;
    while (Date.now() < blockedUntil);
    const [first, second] = await Promise.all(both);
    assert.equal(threadOf(first!), threadOf(second!));
    assert.ok(finishedAt(second!) < blockedUntil, `the second hash finished ${finishedAt(second!) - blockedUntil} ms after the loop was free again`);
    await threads.close();
  });

  test('below the full limit a thread holds nothing ahead: the next hash waits for the event loop', async () => {
    const threads = new HashThreads(2, { argon2: standIn, limit: 1 });
    await threads.hash('warm', options);
    const both = [threads.hash('stamp 1', options), threads.hash('stamp 2', options)];
    assert.equal(threads.running, 1);
    assert.equal(threads.queued, 1);
    const blockedUntil = Date.now() + 200;
    while (Date.now() < blockedUntil);
    const [first, second] = await Promise.all(both);
    assert.ok(finishedAt(second!) >= blockedUntil, 'the second hash was posted only once the loop had read the first answer');
    assert.equal(threadOf(second!), threadOf(first!), 'and went to the thread that finished last');
    await threads.close();
  });

  test('hashes start in the order they were submitted and never more run at once than the limit, across hand-overs', async () => {
    const stamps = Array.from({ length: 6 }, (_, i) => `stamp ${i}`);
    const oneAtATime = new HashThreads(2, { argon2: standIn, limit: 1 });
    const serial = await Promise.all(stamps.map((name) => oneAtATime.hash(name, options)));
    assert.equal(peakOf(serial), 1);
    const starts = serial.map(startedAt);
    assert.deepEqual(starts, [...starts].sort((x, y) => x - y), 'started in submission order');
    await oneAtATime.close();

    const twoAtATime = new HashThreads(2, { argon2: standIn });
    await Promise.all([twoAtATime.hash('warm', options), twoAtATime.hash('warm', options)]);
    const paired = await Promise.all(stamps.map((name) => twoAtATime.hash(name, options)));
    assert.ok(peakOf(paired) <= 2, 'a held hash adds no parallelism');
    assert.equal(new Set(paired.map(threadOf)).size, 2, 'both threads hash');
    await twoAtATime.close();
  });

  test('the limit bounds the threads hashing at once: raised, admit starts queued hashes; lowered, no hash starts until busy threads are below it', { timeout: 10_000 }, async () => {
    let limit = 1;
    const threads = new HashThreads(2, { argon2: standIn, limit: () => limit });
    const a = held(threads, 'a');
    const b = held(threads, 'b');
    const c = held(threads, 'c');
    assert.equal(threads.running, 1, 'limit 1: one thread hashes');
    assert.equal(threads.queued, 2, 'b and c wait here');
    limit = 2;
    threads.admit();
    assert.equal(threads.running, 2, 'raised: b starts on a second thread at once');
    assert.equal(threads.queued, 1, 'at the full limit, c goes ahead to the thread that started first');

    limit = 1;
    const later = [threads.hash('d', options), threads.hash('e', options)];
    assert.equal(threads.queued, 3, 'above the lowered limit nothing more is posted');
    b.release();
    const bThread = threadOf(await b.hashed);
    assert.equal(threads.running, 1);
    assert.equal(threads.queued, 3, 'the idle thread stays idle: one thread hashes, at the lowered limit');
    a.release();
    const aThread = threadOf(await a.hashed);
    assert.notEqual(aThread, bThread);
    c.release();
    assert.equal(threadOf(await c.hashed), aThread, 'c ran where it was held');
    const [d, e] = await Promise.all(later);
    assert.deepEqual([threadOf(d!), threadOf(e!)], [aThread, aThread], 'd and e ran one at a time, on the thread that finished last');
    assert.equal(threads.running, 0);
    assert.equal(threads.queued, 0);
    await threads.close();
  });

  test('close refuses every hash not answered: running, held ahead and queued', { timeout: 10_000 }, async () => {
    const threads = new HashThreads(1, { argon2: standIn });
    const running = held(threads, 'never');
    const ahead = threads.hash('ahead', options);
    const queued = threads.hash('queued', options);
    assert.equal(threads.queued, 2);
    const outcomes = Promise.allSettled([running.hashed, ahead, queued]);
    await threads.close();
    const settled = await outcomes;
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected']);
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /stopped/);
    assert.match(String((settled[2] as PromiseRejectedResult).reason), /stopped/);
  });

  test('a thread that cannot start fails its hash with the reason, and so does the next', async () => {
    const threads = new HashThreads(1, { argon2: join(dir, 'no-such-binding.cjs') });
    await assert.rejects(threads.hash('first', options), /Cannot find module/);
    await assert.rejects(threads.verify('a:b', 'b'), /Cannot find module/);
    await threads.close();
  });

  test('after close, hashes are refused', async () => {
    const threads = new HashThreads(1, { argon2: standIn });
    await threads.hash('warm', options);
    await threads.close();
    await assert.rejects(threads.hash('late', options), /stopped/);
  });

  test('close waits for its threads to end even when an answer is read after it began', () => {
    // The answer is posted while the child's main thread is blocked, so the thread's message
    // is read only after close() has begun ending it. Reading it must not let the thread go:
    // nothing else holds the child's loop, which would end with close() still pending (the
    // rest of a node's shutdown skipped, and \`gatehouse admin create\` exiting 0 on failure).
    const probe = `
      const threads = new HashThreads(1, { argon2: ${JSON.stringify(standIn)} });
      await threads.hash('warm', options);
      threads.hash('late', options).catch(() => undefined);
      const until = Date.now() + 300;
      while (Date.now() < until); // the stand-in's 20 ms hash ends and its answer waits
      await threads.close();
      console.log('closed');
    `;
    for (let run = 0; run < 3; run++) {
      const child = inChild(probe);
      assert.equal(child.stdout.trim(), 'closed', `close() never finished (exit ${child.status}): ${child.stderr}`);
      assert.equal(child.status, 0, child.stderr);
    }
  });

  test('a pending hash keeps its process alive; idle threads do not', () => {
    // Nothing else holds the child's event loop: it must wait for the hash, then exit.
    const child = inChild(`
      const threads = new HashThreads(2, { argon2: ${JSON.stringify(standIn)} });
      void threads.hash('kept', options).then((hashed) => console.log(hashed.split(':')[1]));
    `);
    assert.equal(child.signal, null, `the child did not exit by itself: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'kept');
  });
});
