// The storage conformance suite: one set of expectations for every backend of the ports in
// src/store/ports.ts. Each test gets a fresh, migrated store; nearly every operation is
// also checked against a second tenant database to prove that nothing crosses.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseError, type ErrorCode } from '../../src/core/errors.js';
import type { AuditEvent, UserRecord } from '../../src/store/ports.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { credentialConformance } from './conformance-credentials.js';
import { moderationConformance } from './conformance-moderation.js';
import { aSession, MIN, sessionConformance, T0 } from './conformance-sessions.js';

export interface OpenedStore {
  store: KyselyStore;
  cleanup(): Promise<void>;
}

let seq = 0;

function aUser(database: string, over: Partial<UserRecord> = {}): UserRecord {
  const n = ++seq;
  return {
    database, id: `user-${n}`, username: `User${n}`, usernameKey: `user${n}`, email: `user${n}@example.com`, fullName: `User ${n}`,
    role: 'user', privileges: [], status: 'active', banUntil: null, flagged: false, passwordHash: `$argon2id$hash${n}`,
    lastLogin: null, createdAt: T0, updatedAt: T0, ...over,
  };
}

function anEvent(database: string, over: Partial<AuditEvent> = {}): AuditEvent {
  return { database, at: T0, type: 'login_ok', actor: 'u1', target: 'u1', address: '10.0.0.1', nodeId: 'node-a', details: null, ...over };
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof GatehouseError && err.code === code);
}

export function storeConformanceSuite(name: string, openStore: () => Promise<OpenedStore>): void {
  describe(name, () => {
    let store: KyselyStore;
    let cleanup: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      ({ store, cleanup } = await openStore());
      await store.databases.create('other', T0);
    });
    afterEach(async () => {
      const done = cleanup;
      cleanup = undefined;
      await done?.();
    });

    describe('migrations and databases', () => {
      test('migrating again applies nothing and keeps the data; main exists', async () => {
        await store.users.insert(aUser('main', { id: 'kept' }));
        assert.deepEqual(await store.migrate(), []);
        assert.ok(await store.users.findById('main', 'kept'));
        assert.equal(await store.databases.exists('main'), true);
        await store.ping();
      });

      test('exists, list (sorted) and create', async () => {
        assert.equal(await store.databases.exists('shop'), false);
        await store.databases.create('shop', T0);
        assert.equal(await store.databases.exists('shop'), true);
        assert.deepEqual(await store.databases.list(), ['main', 'other', 'shop']);
      });

      test('creating an existing database is a conflict', async () => {
        await rejectsWith(store.databases.create('other', T0), 'conflict');
        await rejectsWith(store.databases.create('main', T0), 'conflict');
        assert.deepEqual(await store.databases.list(), ['main', 'other']);
      });

      test('deleting a database removes everything in it, and nothing of another', async () => {
        const fill = async (database: string) => {
          const user = aUser(database);
          await store.users.insert(user);
          const session = aSession(database, { userId: user.id });
          await store.sessions.insert(session);
          await store.audit.append(anEvent(database, { target: user.id }));
          await store.serviceKeys.insert({ name: `key-${database}`, database, keyDigest: `kd-${database}`, createdAt: T0, revokedAt: null });
          await store.totp.put({ database, userId: user.id, sealedSecret: 'v1.s', enabled: true, lastStep: 1, createdAt: T0 });
          await store.selections.select(session.id, database, T0);
          return { user, session };
        };
        const doomed = await fill('other');
        const kept = await fill('main');
        assert.equal(await store.databases.delete('other'), true);
        assert.equal(await store.databases.exists('other'), false);
        assert.equal(await store.users.findById('other', doomed.user.id), undefined);
        assert.equal(await store.sessions.findByTokenDigest(doomed.session.tokenDigest), undefined);
        assert.deepEqual(await store.audit.listForTarget('other', doomed.user.id, 10), []);
        assert.equal(await store.serviceKeys.findByDigest('kd-other'), undefined);
        assert.equal(await store.totp.find('other', doomed.user.id), undefined);
        assert.equal(await store.selections.find(doomed.session.id), undefined);
        assert.ok(await store.users.findById('main', kept.user.id));
        assert.ok(await store.sessions.findByTokenDigest(kept.session.tokenDigest));
        assert.equal((await store.audit.listForTarget('main', kept.user.id, 10)).length, 1);
        assert.ok(await store.serviceKeys.findByDigest('kd-main'));
        assert.ok(await store.totp.find('main', kept.user.id));
        assert.equal(await store.selections.find(kept.session.id), 'main');
        assert.equal(await store.databases.delete('other'), false, 'deleting it again finds nothing');
        await store.databases.create('other', T0);
        assert.equal(await store.users.findById('other', doomed.user.id), undefined, 'a new database of the same name starts empty');
      });

      test('selections: one per session, replaced by the next, gone with the session', async () => {
        const session = aSession('main');
        await store.sessions.insert(session);
        assert.equal(await store.selections.find(session.id), undefined);
        await store.selections.select(session.id, 'other', T0);
        assert.equal(await store.selections.find(session.id), 'other');
        await store.selections.select(session.id, 'main', T0 + MIN);
        assert.equal(await store.selections.find(session.id), 'main');
        await store.sessions.delete('main', session.id);
        assert.equal(await store.selections.find(session.id), undefined);
      });
    });

    describe('users', () => {
      test('insert then find by id, username key and email returns every field', async () => {
        const user = aUser('main', { role: 'admin', privileges: ['audit.read'], status: 'banned', banUntil: T0 + MIN, flagged: true, lastLogin: T0 + 1 });
        await store.users.insert(user);
        assert.deepEqual(await store.users.findById('main', user.id), user);
        assert.deepEqual(await store.users.findByUsernameKey('main', user.usernameKey), user);
        assert.deepEqual(await store.users.findByEmail('main', user.email), user);
        assert.equal(await store.users.findById('main', 'nobody'), undefined);
      });

      test('other tenant: look-ups in another database find nothing', async () => {
        const user = aUser('main');
        await store.users.insert(user);
        assert.equal(await store.users.findById('other', user.id), undefined);
        assert.equal(await store.users.findByUsernameKey('other', user.usernameKey), undefined);
        assert.equal(await store.users.findByEmail('other', user.email), undefined);
      });

      test('a duplicate username key or email is refused with its own code', async () => {
        const user = aUser('main');
        await store.users.insert(user);
        await rejectsWith(store.users.insert(aUser('main', { usernameKey: user.usernameKey })), 'username_taken');
        await rejectsWith(store.users.insert(aUser('main', { email: user.email })), 'email_taken');
      });

      test('other tenant: the same id, username and email are allowed in another database', async () => {
        const user = aUser('main');
        await store.users.insert(user);
        const twin = { ...user, database: 'other', fullName: 'Twin' };
        await store.users.insert(twin);
        assert.equal((await store.users.findById('other', user.id))?.fullName, 'Twin');
        assert.equal((await store.users.findById('main', user.id))?.fullName, user.fullName);
      });

      test('update writes the given fields only and returns the record; nullable fields can be cleared', async () => {
        const user = aUser('main', { banUntil: T0 + MIN });
        await store.users.insert(user);
        const changes = { username: 'Renamed', usernameKey: 'renamed', email: 'new@example.com', role: 'moderator' as const, privileges: ['x'], flagged: true, fullName: null, banUntil: null, updatedAt: T0 + 5 };
        const updated = await store.users.update('main', user.id, changes);
        assert.deepEqual(updated, { ...user, ...changes });
        assert.deepEqual(await store.users.findById('main', user.id), updated);
        assert.deepEqual(await store.users.update('main', user.id, {}), updated);
      });

      test('update of an unknown user, or of a user of another database, returns undefined and changes nothing', async () => {
        const user = aUser('main');
        await store.users.insert(user);
        assert.equal(await store.users.update('main', 'nobody', { fullName: 'x' }), undefined);
        assert.equal(await store.users.update('other', user.id, { fullName: 'x' }), undefined);
        assert.deepEqual(await store.users.findById('main', user.id), user);
      });

      test('update into a taken username or email is refused and leaves the row unchanged', async () => {
        const a = aUser('main');
        const b = aUser('main');
        await store.users.insert(a);
        await store.users.insert(b);
        await rejectsWith(store.users.update('main', b.id, { username: a.username, usernameKey: a.usernameKey }), 'username_taken');
        await rejectsWith(store.users.update('main', b.id, { email: a.email }), 'email_taken');
        assert.deepEqual(await store.users.findById('main', b.id), b);
        // After a rename the old key is free and the new one is taken.
        await store.users.update('main', a.id, { usernameKey: 'renamed' });
        await store.users.update('main', b.id, { usernameKey: a.usernameKey });
        await rejectsWith(store.users.insert(aUser('main', { usernameKey: 'renamed' })), 'username_taken');
      });

      test('other tenant: update to a username or email taken only in another database is allowed', async () => {
        const a = aUser('main');
        const b = aUser('other');
        await store.users.insert(a);
        await store.users.insert(b);
        const updated = await store.users.update('other', b.id, { usernameKey: a.usernameKey, email: a.email });
        assert.equal(updated?.usernameKey, a.usernameKey);
        assert.equal(updated?.email, a.email);
      });

      test('delete removes the user once; another database cannot delete it', async () => {
        const user = aUser('main');
        await store.users.insert(user);
        assert.equal(await store.users.delete('other', user.id), false);
        assert.ok(await store.users.findById('main', user.id));
        assert.equal(await store.users.delete('main', user.id), true);
        assert.equal(await store.users.findById('main', user.id), undefined);
        assert.equal(await store.users.delete('main', user.id), false);
        await store.users.insert(aUser('main', { usernameKey: user.usernameKey, email: user.email }));
      });
    });
    sessionConformance(() => store);
    credentialConformance(() => store, aUser);
    moderationConformance(() => store, aUser);

    describe('audit', () => {
      test('listForTarget: that target in that database, newest first, limited', async () => {
        const first = anEvent('main', { at: T0, details: { reason: 'spam', count: 2 } });
        const second = anEvent('main', { at: T0 + MIN, type: 'logout', actor: null, address: null });
        const sameTime = anEvent('main', { at: T0 + MIN, type: 'token_invalidated' });
        for (const e of [first, second, sameTime]) await store.audit.append(e);
        await store.audit.append(anEvent('main', { target: 'u2' }));
        await store.audit.append(anEvent('other', { at: T0 + 5 * MIN }));
        assert.deepEqual(await store.audit.listForTarget('main', 'u1', 10), [sameTime, second, first]);
        assert.deepEqual(await store.audit.listForTarget('main', 'u1', 2), [sameTime, second]);
        assert.equal((await store.audit.listForTarget('other', 'u1', 10)).length, 1);
        assert.deepEqual(await store.audit.listForTarget('main', 'nobody', 10), []);
      });

      test('deleteForUser removes events where the user is actor or target, in that database only', async () => {
        await store.audit.append(anEvent('main', { actor: 'u1', target: 'u2', type: 'ban' }));
        await store.audit.append(anEvent('main', { actor: 'admin', target: 'u1', type: 'flag' }));
        await store.audit.append(anEvent('main', { actor: 'admin', target: 'u2', type: 'unban' }));
        await store.audit.append(anEvent('other', { actor: 'u1', target: 'u1' }));
        await store.audit.deleteForUser('main', 'u1');
        assert.deepEqual(await store.audit.listForTarget('main', 'u1', 10), []);
        assert.deepEqual((await store.audit.listForTarget('main', 'u2', 10)).map((e) => e.type), ['unban']);
        assert.equal((await store.audit.listForTarget('other', 'u1', 10)).length, 1);
      });
    });

    describe('audit retention', () => {
      test('purgeBefore deletes events older than the cutoff in every database, at most limit per call', async () => {
        for (let i = 0; i < 5; i++) await store.audit.append(anEvent('main', { at: T0 + i, target: 'old' }));
        await store.audit.append(anEvent('other', { at: T0, target: 'old' }));
        await store.audit.append(anEvent('main', { at: T0 + MIN, target: 'kept' }));
        await store.audit.append(anEvent('main', { at: T0 + 2 * MIN, target: 'kept' }));
        assert.equal(await store.audit.purgeBefore(T0 + MIN, 4), 4);
        assert.equal(await store.audit.purgeBefore(T0 + MIN, 4), 2);
        assert.equal(await store.audit.purgeBefore(T0 + MIN, 4), 0);
        assert.deepEqual(await store.audit.listForTarget('main', 'old', 10), []);
        assert.deepEqual(await store.audit.listForTarget('other', 'old', 10), []);
        assert.deepEqual((await store.audit.listForTarget('main', 'kept', 10)).map((e) => e.at), [T0 + 2 * MIN, T0 + MIN], 'the cutoff itself is kept');
      });
    });

    describe('service keys', () => {
      const key = (name: string, database = 'main') => ({ name, database, keyDigest: `kd-${name}`, createdAt: T0, revokedAt: null });

      test('insert then findByDigest; an unknown digest finds nothing', async () => {
        await store.serviceKeys.insert(key('billing', 'other'));
        assert.deepEqual(await store.serviceKeys.findByDigest('kd-billing'), key('billing', 'other'));
        assert.equal(await store.serviceKeys.findByDigest('kd-nope'), undefined);
      });

      test('a duplicate name is a conflict, whatever its database', async () => {
        await store.serviceKeys.insert(key('billing'));
        await rejectsWith(store.serviceKeys.insert({ ...key('billing'), keyDigest: 'kd-2' }), 'conflict');
        await rejectsWith(store.serviceKeys.insert({ ...key('billing', 'other'), keyDigest: 'kd-3' }), 'conflict');
        assert.equal(await store.serviceKeys.findByDigest('kd-2'), undefined);
      });

      test('revoke returns the revoked key once; unknown names give undefined', async () => {
        await store.serviceKeys.insert(key('billing'));
        await store.serviceKeys.insert(key('shipping'));
        assert.deepEqual(await store.serviceKeys.revoke('billing', T0 + MIN), { ...key('billing'), revokedAt: T0 + MIN });
        assert.equal((await store.serviceKeys.findByDigest('kd-billing'))?.revokedAt, T0 + MIN);
        assert.equal(await store.serviceKeys.revoke('billing', T0 + 2 * MIN), undefined);
        assert.equal((await store.serviceKeys.findByDigest('kd-billing'))?.revokedAt, T0 + MIN);
        assert.equal(await store.serviceKeys.revoke('nope', T0), undefined);
        assert.equal((await store.serviceKeys.findByDigest('kd-shipping'))?.revokedAt, null);
      });
    });

    describe('transaction', () => {
      test('commits every write on success and returns the result', async () => {
        const user = aUser('main');
        const s = aSession('main', { userId: user.id });
        const result = await store.transaction(async (tx) => {
          await tx.users.insert(user);
          await tx.sessions.insert(s);
          await tx.audit.append(anEvent('main', { target: user.id }));
          return 'done';
        });
        assert.equal(result, 'done');
        assert.deepEqual(await store.users.findById('main', user.id), user);
        assert.deepEqual(await store.sessions.findById('main', s.id), s);
        assert.equal((await store.audit.listForTarget('main', user.id, 10)).length, 1);
      });

      test('rolls back all writes of every repository when the work throws', async () => {
        const existing = aSession('main');
        await store.sessions.insert(existing);
        const user = aUser('main');
        const failure = new Error('boom');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.databases.create('shop', T0);
            await tx.users.insert(user);
            await tx.sessions.insert(aSession('main', { id: 'tx-session' }));
            await tx.sessions.close('main', [existing.id], T0 + MIN);
            await tx.audit.append(anEvent('main', { target: 'tx-target' }));
            await tx.serviceKeys.insert({ name: 'tx-key', database: 'main', keyDigest: 'kd-tx', createdAt: T0, revokedAt: null });
            throw failure;
          }),
          (err) => err === failure,
        );
        assert.equal(await store.databases.exists('shop'), false);
        assert.equal(await store.users.findById('main', user.id), undefined);
        assert.equal(await store.sessions.findById('main', 'tx-session'), undefined);
        assert.deepEqual(await store.sessions.findById('main', existing.id), existing);
        assert.deepEqual(await store.audit.listForTarget('main', 'tx-target', 10), []);
        assert.equal(await store.serviceKeys.findByDigest('kd-tx'), undefined);
      });

      test('a unique violation inside the work propagates its code and undoes earlier writes', async () => {
        const taken = aUser('main');
        await store.users.insert(taken);
        const fresh = aUser('main');
        await rejectsWith(
          store.transaction(async (tx) => {
            await tx.users.insert(fresh);
            await tx.users.insert(aUser('main', { email: taken.email }));
          }),
          'email_taken',
        );
        assert.equal(await store.users.findById('main', fresh.id), undefined);
      });
    });
  });
}
