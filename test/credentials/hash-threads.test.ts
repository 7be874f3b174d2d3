// The hashing threads: argon2id off the event loop on threads of Gatehouse's own. Most
// tests give them a stand-in binding (written to a temporary directory) that reports which
// thread ran it, or ends its thread on request, so reuse and failure show plainly.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashThreads } from '../../src/credentials/hash-threads.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-hash-threads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// hashSync answers "<threadId>:<password>" after a short busy wait (so concurrent jobs
// overlap); "exit" ends the thread, "throw" fails.
const standIn = join(dir, 'argon2-stand-in.cjs');
writeFileSync(
  standIn,
  `const { threadId } = require('node:worker_threads');
module.exports = {
  hashSync(password) {
    if (password === 'exit') process.exit(3);
    if (password === 'throw') throw new Error('no such hash');
    const until = Date.now() + 20;
    while (Date.now() < until);
    return threadId + ':' + password;
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
    const threads = new HashThreads(2, standIn);
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

  test('a failure is that hash’s alone: a thrown error or a thread that ends rejects it, the next hash works', async () => {
    const threads = new HashThreads(1, standIn);
    await assert.rejects(threads.hash('throw', options), /no such hash/);
    assert.match(await threads.hash('after a throw', options), /:after a throw$/);
    const before = threadOf(await threads.hash('x', options));
    const [ended, queued] = await Promise.allSettled([threads.hash('exit', options), threads.hash('queued behind it', options)]);
    assert.equal(ended.status, 'rejected');
    assert.match(String((ended as PromiseRejectedResult).reason), /exited with code 3/);
    assert.equal(queued.status, 'fulfilled');
    const replacement = threadOf((queued as PromiseFulfilledResult<string>).value);
    assert.notEqual(replacement, before, 'a new thread took the queued hash');
    assert.equal(await threads.verify(`${replacement}:y`, 'y'), true);
    await threads.close();
  });

  test('a thread that cannot start fails its hash with the reason, and so does the next', async () => {
    const threads = new HashThreads(1, join(dir, 'no-such-binding.cjs'));
    await assert.rejects(threads.hash('first', options), /Cannot find module/);
    await assert.rejects(threads.verify('a:b', 'b'), /Cannot find module/);
    await threads.close();
  });

  test('after close, hashes are refused', async () => {
    const threads = new HashThreads(1, standIn);
    await threads.hash('warm', options);
    await threads.close();
    await assert.rejects(threads.hash('late', options), /stopped/);
  });

  test('a pending hash keeps its process alive; idle threads do not', () => {
    // Nothing else holds the child's event loop: it must wait for the hash, then exit.
    const probe = `
      import { HashThreads } from ${JSON.stringify(new URL('../../src/credentials/hash-threads.ts', import.meta.url).pathname)};
      const threads = new HashThreads(2, ${JSON.stringify(standIn)});
      void threads.hash('kept', { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 }).then((hashed) => console.log(hashed.split(':')[1]));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.signal, null, `the child did not exit by itself: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'kept');
  });
});
