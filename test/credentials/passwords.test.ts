// Password hashing (argon2id with cheap test parameters) and the adaptive limit that keeps
// a login storm from occupying every core while validation is busy (hash-threads.test.ts
// tests the limit itself).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePasswordHash } from '../../src/config.js';
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

describe('adaptive hashing limit', () => {
  test('PasswordHasher runs its idle concurrency while the loop is quiet and its base concurrency while it is busy', async () => {
    const load = { quiet: false, stop() {} };
    const hasher = new PasswordHasher(cheap, 1, 2, load);
    const stored = await hasher.hash(password);
    // Read before yielding: a cheap hash on its own thread can finish within one turn of
    // the event loop, and then nothing would be running any more to count.
    const busy = [hasher.verify(stored, password), hasher.verify(stored, password), hasher.verify(stored, password)];
    assert.equal(hasher.running, 1, 'busy: one at a time');
    assert.equal(hasher.queued, 2, 'both wait: under the lowered limit no thread holds a hash ahead');
    load.quiet = true;
    hasher.admit();
    assert.equal(hasher.running, 2, 'quiet: the waiting one starts at once');
    assert.equal(hasher.queued, 1);
    assert.ok((await Promise.all(busy)).every((check) => check.ok));
    await hasher.close();
  });
});
