// The conformance tests of the flag and reset-code repositories, run by the main suite on
// every backend. Both belong to one database, and both go with their user when it is deleted.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlagRecord, ResetCodeRecord, UserRecord } from '../../src/store/ports.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { MIN, T0 } from './conformance-sessions.js';

let seq = 0;

function aFlag(database: string, userId: string, reporterId: string, over: Partial<FlagRecord> = {}): FlagRecord {
  return { database, userId, reporterId, reason: 'spam', flaggedAt: T0, ...over };
}

function aCode(database: string, userId: string, over: Partial<ResetCodeRecord> = {}): ResetCodeRecord {
  const n = ++seq;
  return { database, id: `reset-${n}`, userId, codeDigest: `digest-${n}`, createdAt: T0 + n, expiresAt: T0 + 15 * MIN, failedAttempts: 0, usedAt: null, ...over };
}

export function moderationConformance(current: () => KyselyStore, aUser: (database: string, over?: Partial<UserRecord>) => UserRecord): void {
  describe('flags', () => {
    let store: KyselyStore;
    let target: UserRecord;
    let alice: UserRecord;
    let bob: UserRecord;
    beforeEach(async () => {
      store = current();
      [target, alice, bob] = [aUser('main'), aUser('main'), aUser('main')];
      for (const user of [target, alice, bob]) await store.users.insert(user);
    });

    test('put and listForUser keep every field; the same reporter twice counts once with the later reason', async () => {
      await store.flags.put(aFlag('main', target.id, alice.id, { reason: 'spam', flaggedAt: T0 }));
      await store.flags.put(aFlag('main', target.id, alice.id, { reason: 'abuse', flaggedAt: T0 + MIN }));
      await store.flags.put(aFlag('main', target.id, bob.id, { reason: null, flaggedAt: T0 + 2 * MIN }));
      assert.deepEqual(await store.flags.listForUser('main', target.id), [
        aFlag('main', target.id, alice.id, { reason: 'abuse', flaggedAt: T0 + MIN }),
        aFlag('main', target.id, bob.id, { reason: null, flaggedAt: T0 + 2 * MIN }),
      ]);
      assert.deepEqual(await store.flags.listForUser('other', target.id), [], 'another database sees none');
    });

    test('listFlagged: distinct reporters, reasons without repeats, newest first; another database is separate', async () => {
      await store.flags.put(aFlag('main', target.id, alice.id, { reason: 'spam', flaggedAt: T0 }));
      await store.flags.put(aFlag('main', target.id, bob.id, { reason: 'spam', flaggedAt: T0 + 3 * MIN }));
      await store.flags.put(aFlag('main', alice.id, bob.id, { reason: 'rude', flaggedAt: T0 + MIN }));
      const elsewhere = aUser('other');
      const reporter = aUser('other');
      await store.users.insert(elsewhere);
      await store.users.insert(reporter);
      await store.flags.put(aFlag('other', elsewhere.id, reporter.id));
      assert.deepEqual(await store.flags.listFlagged('main'), [
        { userId: target.id, username: target.username, flags: 2, reasons: ['spam'], lastFlaggedAt: T0 + 3 * MIN },
        { userId: alice.id, username: alice.username, flags: 1, reasons: ['rude'], lastFlaggedAt: T0 + MIN },
      ]);
      assert.deepEqual((await store.flags.listFlagged('other')).map((a) => a.userId), [elsewhere.id]);
    });

    test('deleting a user removes the reports about them and the reports they made, in their database only', async () => {
      await store.flags.put(aFlag('main', target.id, alice.id));
      await store.flags.put(aFlag('main', alice.id, bob.id));
      await store.flags.put(aFlag('main', bob.id, target.id));
      assert.equal(await store.users.delete('main', alice.id), true);
      assert.deepEqual((await store.flags.listFlagged('main')).map((a) => a.userId), [bob.id]);
      assert.equal(await store.users.delete('other', target.id), false);
      assert.equal((await store.flags.listForUser('main', bob.id)).length, 1);
    });
  });

  describe('reset codes', () => {
    let store: KyselyStore;
    let user: UserRecord;
    beforeEach(async () => {
      store = current();
      user = aUser('main');
      await store.users.insert(user);
    });

    test('issue then findLive returns every field; another database and another user see nothing', async () => {
      const code = aCode('main', user.id);
      await store.resetCodes.issue(code);
      assert.deepEqual(await store.resetCodes.findLive('main', user.id, T0, 5), code);
      assert.equal(await store.resetCodes.findLive('other', user.id, T0, 5), undefined);
      assert.equal(await store.resetCodes.findLive('main', 'nobody', T0, 5), undefined);
    });

    test('a new code retires the earlier one', async () => {
      const first = aCode('main', user.id);
      const second = aCode('main', user.id);
      await store.resetCodes.issue(first);
      await store.resetCodes.issue(second);
      assert.equal((await store.resetCodes.findLive('main', user.id, T0, 5))?.id, second.id);
      assert.equal(await store.resetCodes.consume('main', first.id, T0, 5), false);
    });

    test('an expired code is not live and cannot be consumed', async () => {
      const code = aCode('main', user.id, { expiresAt: T0 + MIN });
      await store.resetCodes.issue(code);
      assert.equal(await store.resetCodes.findLive('main', user.id, T0 + MIN, 5), undefined);
      assert.equal(await store.resetCodes.consume('main', code.id, T0 + MIN, 5), false);
    });

    test('recordFailure counts up to the limit, after which the code is dead; other databases are untouched', async () => {
      const code = aCode('main', user.id);
      await store.resetCodes.issue(code);
      assert.equal(await store.resetCodes.recordFailure('other', code.id), 0);
      for (let n = 1; n <= 5; n++) assert.equal(await store.resetCodes.recordFailure('main', code.id), n);
      assert.equal(await store.resetCodes.findLive('main', user.id, T0, 5), undefined);
      assert.equal(await store.resetCodes.consume('main', code.id, T0, 5), false);
    });

    test('consume works once, also when tried concurrently, and not from another database', async () => {
      const code = aCode('main', user.id);
      await store.resetCodes.issue(code);
      assert.equal(await store.resetCodes.consume('other', code.id, T0, 5), false);
      const results = await Promise.all([1, 2, 3].map(() => store.resetCodes.consume('main', code.id, T0, 5)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await store.resetCodes.findLive('main', user.id, T0, 5), undefined);
    });

    test('deleting the user removes their codes', async () => {
      const code = aCode('main', user.id);
      await store.resetCodes.issue(code);
      await store.users.delete('main', user.id);
      const rows = await store.kysely.selectFrom('reset_codes').selectAll().execute();
      assert.deepEqual(rows, []);
    });
  });
}
