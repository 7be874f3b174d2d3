// The session repository part of the storage conformance suite (see conformance.ts): the
// same expectations on every backend, with an "other tenant" case for nearly every method.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionRecord } from '../../src/store/ports.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';

export const T0 = Date.UTC(2026, 0, 1);
export const MIN = 60_000;
let seq = 0;

export function aSession(database: string, over: Partial<SessionRecord> = {}): SessionRecord {
  const n = ++seq;
  return {
    database, id: `session-${n}`, tokenDigest: `digest-${n}`, userId: 'u1', userName: 'alice', active: true,
    openTime: T0, requestTime: T0, closeTime: null, expiresAt: T0 + 180 * MIN, address: '10.0.0.1', client: 'test-agent',
    nodeId: null, user: { name: 'alice' }, data: { n }, mfa: false, ...over,
  };
}

const ids = (rows: ReadonlyArray<{ id: string }>) => rows.map((r) => r.id);
const sorted = (values: string[]) => [...values].sort();

/** Registers the session tests; `current` returns the fresh store of the running test. */
export function sessionConformance(current: () => KyselyStore): void {
  describe('sessions', () => {
    let store: KyselyStore;
    beforeEach(() => {
      store = current();
    });

    test('insert then findById and findByTokenDigest return every field', async () => {
      const s = aSession('main', { nodeId: 'machine-7', mfa: true, user: { role: 'admin', tags: ['a'] }, data: { cart: [1, 2] } });
      await store.sessions.insert(s);
      assert.deepEqual(await store.sessions.findById('main', s.id), s);
      assert.deepEqual(await store.sessions.findByTokenDigest(s.tokenDigest), s);
      assert.equal(await store.sessions.findByTokenDigest('unknown'), undefined);
      assert.equal(await store.sessions.findById('main', 'unknown'), undefined);
    });

    test('other tenant: findById with another database finds nothing', async () => {
      const s = aSession('main');
      await store.sessions.insert(s);
      assert.equal(await store.sessions.findById('other', s.id), undefined);
      assert.equal((await store.sessions.findByTokenDigest(s.tokenDigest))?.database, 'main');
    });

    test('listActiveForUser: active sessions of that user in that database, oldest first', async () => {
      const newer = aSession('main', { openTime: T0 + 2 * MIN });
      const older = aSession('main', { openTime: T0 + MIN });
      await store.sessions.insert(newer);
      await store.sessions.insert(older);
      await store.sessions.insert(aSession('main', { active: false, closeTime: T0 }));
      await store.sessions.insert(aSession('main', { userId: 'u2' }));
      await store.sessions.insert(aSession('other'));
      assert.deepEqual(ids(await store.sessions.listActiveForUser('main', 'u1')), [older.id, newer.id]);
      assert.equal((await store.sessions.listActiveForUser('other', 'u1')).length, 1);
      assert.deepEqual(await store.sessions.listActiveForUser('main', 'nobody'), []);
    });

    test('page: newest first, every filter, skip/take and total only when asked; other tenant excluded', async () => {
      const s = [0, 1, 2, 3, 4].map((i) => aSession('main', { openTime: T0 + i * MIN, userId: i % 2 === 0 ? 'u1' : 'u2', active: i !== 3 }));
      for (const session of [s[2]!, s[0]!, s[4]!, s[1]!, s[3]!]) await store.sessions.insert(session);
      await store.sessions.insert(aSession('other', { openTime: T0 + 10 * MIN }));
      const page = (filter = {}, skip = 0, take = 100, total = true) => store.sessions.page('main', filter, skip, take, total);
      const all = await page();
      assert.deepEqual(ids(all.items), ids([...s].reverse()));
      assert.equal(all.total, 5);
      assert.deepEqual(all.items[0], s[4]);
      assert.deepEqual(ids((await page({ userId: 'u2' })).items), [s[3]!.id, s[1]!.id]);
      assert.deepEqual(ids((await page({ active: false })).items), [s[3]!.id]);
      assert.equal((await page({ active: true })).total, 4);
      assert.deepEqual(ids((await page({ fromTime: T0 + MIN, toTime: T0 + 3 * MIN })).items), [s[3]!.id, s[2]!.id, s[1]!.id]);
      assert.deepEqual(ids((await page({ userId: 'u1', active: true, fromTime: T0 + MIN })).items), [s[4]!.id, s[2]!.id]);
      const window = await page({}, 1, 2);
      assert.deepEqual(ids(window.items), [s[3]!.id, s[2]!.id]);
      assert.equal(window.total, 5);
      assert.equal((await page({}, 1, 2, false)).total, null);
      assert.deepEqual(await page({}, 0, 0), { items: [], total: 5 });
      assert.deepEqual(await page({}, 10, 5), { items: [], total: 5 });
      assert.deepEqual(await store.sessions.page('other', { userId: 'u2' }, 0, 10, true), { items: [], total: 0 });
    });

    test('close keeps the record: inactive, close time set, user and data cleared', async () => {
      const s = aSession('main');
      await store.sessions.insert(s);
      assert.deepEqual(await store.sessions.close('main', [s.id], T0 + MIN), [{ database: 'main', id: s.id, tokenDigest: s.tokenDigest, userId: s.userId }]);
      assert.deepEqual(await store.sessions.findById('main', s.id), { ...s, active: false, closeTime: T0 + MIN, user: null, data: null });
      assert.deepEqual(await store.sessions.close('main', [s.id], T0 + 2 * MIN), [], 'closing twice closes nothing');
      assert.equal((await store.sessions.findById('main', s.id))?.closeTime, T0 + MIN);
    });

    test('close handles long id lists; other tenant: another database cannot close a session', async () => {
      const sessions = [aSession('main'), aSession('main'), aSession('main')];
      for (const s of sessions) await store.sessions.insert(s);
      assert.deepEqual(await store.sessions.close('other', ids(sessions), T0), []);
      assert.equal((await store.sessions.findById('main', sessions[0]!.id))?.active, true);
      const many = Array.from({ length: 1200 }, (_, i) => `missing-${i}`);
      many[0] = sessions[0]!.id;
      many[700] = sessions[1]!.id;
      many[1199] = sessions[2]!.id;
      assert.deepEqual(sorted(ids(await store.sessions.close('main', many, T0))), sorted(ids(sessions)));
    });

    test('closeAllForUser closes that user\'s active sessions except one; other users and tenants untouched', async () => {
      const [a, b, keep] = [aSession('main'), aSession('main'), aSession('main')];
      const otherUser = aSession('main', { userId: 'u2' });
      const otherDb = aSession('other');
      for (const s of [a, b, keep, otherUser, otherDb]) await store.sessions.insert(s);
      const closed = await store.sessions.closeAllForUser('main', 'u1', T0 + MIN, keep.id);
      assert.deepEqual(sorted(ids(closed)), sorted([a.id, b.id]));
      assert.ok(closed.every((c) => c.database === 'main' && c.userId === 'u1'));
      assert.deepEqual(ids(await store.sessions.listActiveForUser('main', 'u1')), [keep.id]);
      assert.equal((await store.sessions.findById('main', otherUser.id))?.active, true);
      assert.equal((await store.sessions.findById('other', otherDb.id))?.active, true);
      assert.deepEqual(ids(await store.sessions.closeAllForUser('main', 'u1', T0 + 2 * MIN)), [keep.id]);
      assert.deepEqual(await store.sessions.closeAllForUser('main', 'u1', T0 + 3 * MIN), []);
    });

    test('closeStale closes expired sessions (at their end) and idle ones (when they went idle), in every database', async () => {
      const now = T0 + 60 * MIN;
      const cutoff = now - 30 * MIN;
      const expired = aSession('main', { expiresAt: now - 2 * MIN, requestTime: now - 3 * MIN });
      const idle = aSession('other', { requestTime: cutoff - 5 * MIN });
      const live = aSession('main', { expiresAt: now + 1, requestTime: cutoff + 1 });
      const closedAlready = aSession('main', { active: false, closeTime: T0, expiresAt: T0 });
      for (const s of [expired, idle, live, closedAlready]) await store.sessions.insert(s);
      const closed = await store.sessions.closeStale(now, cutoff, 100);
      assert.deepEqual(sorted(ids(closed)), sorted([expired.id, idle.id]));
      assert.equal(closed.find((c) => c.id === idle.id)?.database, 'other');
      assert.deepEqual(await store.sessions.findById('other', idle.id), { ...idle, active: false, closeTime: now - 5 * MIN, user: null, data: null });
      assert.equal((await store.sessions.findById('main', expired.id))?.closeTime, now - 2 * MIN);
      assert.equal((await store.sessions.findById('main', live.id))?.active, true);
      assert.equal((await store.sessions.findById('main', closedAlready.id))?.closeTime, T0);
    });

    test('closeStale closes at most `limit` sessions per call', async () => {
      for (let i = 0; i < 5; i++) await store.sessions.insert(aSession(i % 2 ? 'main' : 'other', { expiresAt: T0 }));
      assert.equal((await store.sessions.closeStale(T0, T0 - MIN, 2)).length, 2);
      assert.equal((await store.sessions.closeStale(T0, T0 - MIN, 2)).length, 2);
      assert.equal((await store.sessions.closeStale(T0, T0 - MIN, 2)).length, 1);
      assert.deepEqual(await store.sessions.closeStale(T0, T0 - MIN, 2), []);
    });

    test('recordActivity moves time forward only, never touches closed sessions or another tenant', async () => {
      const s = aSession('main');
      const closed = aSession('main', { active: false, closeTime: T0 });
      for (const x of [s, closed]) await store.sessions.insert(x);
      await store.sessions.recordActivity([{ database: 'main', id: s.id, requestTime: T0 + 5 * MIN }, { database: 'main', id: closed.id, requestTime: T0 + 5 * MIN }]);
      assert.equal((await store.sessions.findById('main', s.id))?.requestTime, T0 + 5 * MIN);
      assert.equal((await store.sessions.findById('main', closed.id))?.requestTime, T0);
      await store.sessions.recordActivity([{ database: 'main', id: s.id, requestTime: T0 + MIN }]);
      assert.equal((await store.sessions.findById('main', s.id))?.requestTime, T0 + 5 * MIN);
      await store.sessions.recordActivity([{ database: 'other', id: s.id, requestTime: T0 + 9 * MIN }]);
      assert.equal((await store.sessions.findById('main', s.id))?.requestTime, T0 + 5 * MIN);
      await store.sessions.recordActivity([]);
    });

    test('recordActivity writes a whole flush: every live session moves forward, closed, newer and other-tenant rows stay', async () => {
      const live = Array.from({ length: 120 }, () => aSession('main'));
      const closed = Array.from({ length: 20 }, () => aSession('main', { active: false, closeTime: T0 }));
      const newer = Array.from({ length: 20 }, () => aSession('main', { requestTime: T0 + 9 * MIN }));
      const elsewhere = Array.from({ length: 20 }, () => aSession('other'));
      await store.transaction(async (tx) => {
        for (const s of [...live, ...closed, ...newer, ...elsewhere]) await tx.sessions.insert(s);
      });
      const at = T0 + 3 * MIN;
      const updates = [...live, ...closed, ...newer].map((s) => ({ database: 'main', id: s.id, requestTime: at }));
      updates.push(...elsewhere.map((s) => ({ database: 'main', id: s.id, requestTime: at })));
      await store.transaction((tx) => tx.sessions.recordActivity(updates));
      const timeOf = async (database: string, id: string) => (await store.sessions.findById(database, id))?.requestTime;
      for (const s of live) assert.equal(await timeOf('main', s.id), at);
      for (const s of closed) assert.equal(await timeOf('main', s.id), T0);
      for (const s of newer) assert.equal(await timeOf('main', s.id), T0 + 9 * MIN);
      for (const s of elsewhere) assert.equal(await timeOf('other', s.id), s.requestTime);
    });

    test('updateContent replaces data or user and the request time; unknown id or another tenant → undefined, unchanged', async () => {
      const s = aSession('main');
      await store.sessions.insert(s);
      const updated = await store.sessions.updateContent('main', s.id, { data: { step: 2 } }, T0 + MIN);
      assert.deepEqual(updated, { ...s, data: { step: 2 }, requestTime: T0 + MIN });
      assert.deepEqual(await store.sessions.findById('main', s.id), updated);
      assert.equal(await store.sessions.updateContent('other', s.id, { data: { step: 3 } }, T0 + 2 * MIN), undefined);
      assert.equal(await store.sessions.updateContent('main', 'unknown', { data: { step: 3 } }, T0 + 2 * MIN), undefined);
      assert.deepEqual(await store.sessions.findById('main', s.id), updated);
      const withUser = await store.sessions.updateContent('main', s.id, { user: 'xyz' }, T0 + 3 * MIN);
      assert.deepEqual(withUser, { ...updated, user: 'xyz', requestTime: T0 + 3 * MIN }, 'user alone changes; data stays');
      const both = await store.sessions.updateContent('main', s.id, { user: 42, data: ['a', { b: null }] }, T0 + 4 * MIN);
      assert.deepEqual([both?.user, both?.data], [42, ['a', { b: null }]]);
      assert.equal((await store.sessions.updateContent('main', s.id, { data: null }, T0 + 5 * MIN))?.data, null);
    });

    test('delete removes the record and returns it once; another tenant cannot delete it', async () => {
      const s = aSession('main');
      await store.sessions.insert(s);
      assert.equal(await store.sessions.delete('other', s.id), undefined);
      assert.ok(await store.sessions.findById('main', s.id));
      assert.deepEqual(await store.sessions.delete('main', s.id), s);
      assert.equal(await store.sessions.findByTokenDigest(s.tokenDigest), undefined);
      assert.equal(await store.sessions.delete('main', s.id), undefined);
    });

    test('deleteAllForUser removes active and closed sessions of that user in that database only', async () => {
      const active = aSession('main');
      const closed = aSession('main', { active: false, closeTime: T0 });
      const otherUser = aSession('main', { userId: 'u2' });
      const otherDb = aSession('other');
      for (const s of [active, closed, otherUser, otherDb]) await store.sessions.insert(s);
      const removed = await store.sessions.deleteAllForUser('main', 'u1');
      assert.deepEqual(sorted(ids(removed)), sorted([active.id, closed.id]));
      assert.equal(removed.find((r) => r.id === active.id)?.tokenDigest, active.tokenDigest);
      assert.equal(await store.sessions.findById('main', closed.id), undefined);
      assert.ok(await store.sessions.findById('main', otherUser.id));
      assert.ok(await store.sessions.findById('other', otherDb.id));
      assert.deepEqual(await store.sessions.deleteAllForUser('main', 'u1'), []);
    });

    test('purgeClosedBefore deletes sessions closed before the cutoff, in every database, never active ones, at most limit per call', async () => {
      const closedEarly = [aSession('main'), aSession('main'), aSession('other')];
      const closedLate = aSession('main');
      const activeOld = aSession('main', { openTime: T0 - 1000 * MIN });
      for (const s of [...closedEarly, closedLate, activeOld]) await store.sessions.insert(s);
      await store.sessions.close('main', [closedEarly[0]!.id, closedEarly[1]!.id], T0);
      await store.sessions.close('other', [closedEarly[2]!.id], T0 + 1);
      await store.sessions.close('main', [closedLate.id], T0 + MIN);
      assert.equal(await store.sessions.purgeClosedBefore(T0 + MIN, 2), 2);
      assert.equal(await store.sessions.purgeClosedBefore(T0 + MIN, 2), 1);
      assert.equal(await store.sessions.purgeClosedBefore(T0 + MIN, 2), 0);
      for (const s of closedEarly) assert.equal(await store.sessions.findById(s.database, s.id), undefined);
      assert.ok(await store.sessions.findById('main', closedLate.id), 'closed at the cutoff: kept');
      assert.ok(await store.sessions.findById('main', activeOld.id), 'an active session is never purged');
    });
  });
}
