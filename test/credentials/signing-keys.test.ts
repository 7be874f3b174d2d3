// A node that read the signing keys moments before another node rotated them must still
// accept tokens of the new key: an unknown kid waits for the next read (at most one a
// second) instead of being refused. Two SigningKeys instances over one store stand for
// two nodes; the app's clock is a fake one that does not move, as "just read".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SigningKeys } from '../../src/credentials/signing-keys.js';
import { startApp, type TestApp } from '../support/harness.js';

describe('signing keys seen by another node', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  /** A second node's view of the keys, counting its store reads. */
  async function otherNode(): Promise<{ keys: SigningKeys; reads: () => number }> {
    const { store, secrets, clock } = app.core;
    let reads = 0;
    const repository: typeof store.signingKeys = Object.assign(Object.create(store.signingKeys), { list: () => (reads++, store.signingKeys.list()) });
    const keys = new SigningKeys(repository, secrets, clock, { maxTokenTtlMs: 3_600_000, refreshMs: 30_000 });
    await keys.ensure();
    return { keys, reads: () => reads };
  }

  test('a kid from a rotation made just after this node read the keys is accepted', async () => {
    const b = await otherNode();
    const rotated = await app.core.signingKeys.rotate();
    assert.ok((await b.keys.verificationKey(rotated.kid)) !== undefined, 'the new key is found on the next read');
    assert.equal(b.reads(), 2);
  });

  test('unknown kids arriving together share one read, and a made-up kid is still refused', async () => {
    const b = await otherNode();
    const found = await Promise.all(['made-up-1', 'made-up-2', 'made-up-3'].map((kid) => b.keys.verificationKey(kid)));
    assert.deepEqual(found, [undefined, undefined, undefined]);
    assert.equal(b.reads(), 2, 'one read at start, one for the three kids');
  });
});
