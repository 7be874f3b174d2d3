// The conformance tests of the credential repositories (signing keys, TOTP), run by the
// main suite on every backend. TOTP records belong to one database and go with their user.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SigningKeyRecord, TotpRecord, UserRecord } from '../../src/store/ports.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { MIN, T0 } from './conformance-sessions.js';

let seq = 0;

function aKey(over: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const n = ++seq;
  return { kid: `kid-${n}`, algorithm: 'EdDSA', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: `x${n}`, kid: `kid-${n}` }, sealedPrivateKey: `v1.sealed${n}`, createdAt: T0 + n, retiredAt: null, ...over };
}

function aTotp(database: string, userId: string, over: Partial<TotpRecord> = {}): TotpRecord {
  return { database, userId, sealedSecret: `v1.secret-of-${userId}`, enabled: false, lastStep: -1, createdAt: T0, ...over };
}

export function credentialConformance(current: () => KyselyStore, aUser: (database: string, over?: Partial<UserRecord>) => UserRecord): void {
  describe('signing keys', () => {
    let store: KyselyStore;
    beforeEach(() => {
      store = current();
    });

    test('insert and list (newest first) keep every field; a duplicate kid is a conflict', async () => {
      const older = aKey();
      const newer = aKey();
      await store.signingKeys.insert(older);
      await store.signingKeys.insert(newer);
      assert.deepEqual(await store.signingKeys.list(), [newer, older]);
      await assert.rejects(store.signingKeys.insert({ ...older }), (err: { code?: string }) => err.code === 'conflict');
    });

    test('retireAllExcept retires the other current keys only; deleteRetiredBefore removes old retired ones', async () => {
      const retiredLongAgo = aKey({ retiredAt: T0 - 10 * MIN });
      const current = aKey();
      const fresh = aKey();
      for (const key of [retiredLongAgo, current, fresh]) await store.signingKeys.insert(key);
      assert.deepEqual(await store.signingKeys.retireAllExcept(fresh.kid, T0 + MIN), [current.kid]);
      const byKid = new Map((await store.signingKeys.list()).map((k) => [k.kid, k]));
      assert.equal(byKid.get(current.kid)?.retiredAt, T0 + MIN);
      assert.equal(byKid.get(fresh.kid)?.retiredAt, null);
      assert.equal(byKid.get(retiredLongAgo.kid)?.retiredAt, T0 - 10 * MIN, 'already retired keys keep their time');
      assert.equal(await store.signingKeys.deleteRetiredBefore(T0), 1);
      assert.deepEqual((await store.signingKeys.list()).map((k) => k.kid).sort(), [current.kid, fresh.kid].sort());
      await store.signingKeys.replaceSealedPrivateKey(fresh.kid, 'v1.resealed');
      assert.equal((await store.signingKeys.list()).find((k) => k.kid === fresh.kid)?.sealedPrivateKey, 'v1.resealed');
    });
  });

  describe('totp', () => {
    let store: KyselyStore;
    let user: UserRecord;
    beforeEach(async () => {
      store = current();
      user = aUser('main');
      await store.users.insert(user);
    });

    test('put, find, and another database sees nothing', async () => {
      const record = aTotp('main', user.id);
      await store.totp.put(record);
      assert.deepEqual(await store.totp.find('main', user.id), record);
      assert.equal(await store.totp.find('other', user.id), undefined);
      await store.totp.put({ ...record, sealedSecret: 'v1.restarted' });
      assert.equal((await store.totp.find('main', user.id))?.sealedSecret, 'v1.restarted', 'a pending enrolment may restart');
    });

    test('an enabled factor cannot be replaced by put', async () => {
      await store.totp.put(aTotp('main', user.id, { enabled: true }));
      await assert.rejects(store.totp.put(aTotp('main', user.id, { sealedSecret: 'v1.attacker' })), (err: { code?: string }) => err.code === 'conflict');
      assert.equal((await store.totp.find('main', user.id))?.sealedSecret, `v1.secret-of-${user.id}`);
    });

    test('consumeStep accepts each later step once, enables a pending factor, and ignores other databases', async () => {
      await store.totp.put(aTotp('main', user.id));
      assert.equal(await store.totp.consumeStep('other', user.id, 5), false);
      assert.equal(await store.totp.consumeStep('main', user.id, 5), true);
      assert.deepEqual([(await store.totp.find('main', user.id))?.enabled, (await store.totp.find('main', user.id))?.lastStep], [true, 5]);
      assert.equal(await store.totp.consumeStep('main', user.id, 5), false, 'a replay');
      assert.equal(await store.totp.consumeStep('main', user.id, 4), false, 'an earlier step');
      const concurrent = await Promise.all([6, 6, 6].map((step) => store.totp.consumeStep('main', user.id, step)));
      assert.equal(concurrent.filter(Boolean).length, 1, 'one of several concurrent uses wins');
      assert.equal(await store.totp.consumeStep('main', 'nobody', 9), false);
    });

    test('delete, listAll and replaceSealedSecret; deleting the user removes the factor', async () => {
      const other = aUser('other');
      await store.users.insert(other);
      await store.totp.put(aTotp('main', user.id));
      await store.totp.put(aTotp('other', other.id));
      assert.equal((await store.totp.listAll()).length, 2);
      await store.totp.replaceSealedSecret('main', user.id, 'v1.new');
      assert.equal((await store.totp.find('main', user.id))?.sealedSecret, 'v1.new');
      assert.equal((await store.totp.find('other', other.id))?.sealedSecret, `v1.secret-of-${other.id}`);
      assert.equal(await store.totp.delete('other', user.id), false);
      assert.equal(await store.totp.delete('main', user.id), true);
      assert.equal(await store.totp.find('main', user.id), undefined);
      await store.users.delete('other', other.id);
      assert.deepEqual(await store.totp.listAll(), [], 'the user’s factor went with the user');
    });
  });
}
