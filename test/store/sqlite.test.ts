// The storage conformance suite on a real SQLite file (WAL), as the embedded store runs.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { storeConformanceSuite } from './conformance.js';
import { aSession } from './conformance-sessions.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

test('SQLite: the first migration creates the schema and main; a second applies nothing', async () => {
  const store = openSqliteStore(join(dir, 'fresh', 'gatehouse.db'));
  try {
    const applied = await store.migrate();
    assert.deepEqual(applied.slice(0, 2), ['0001_initial', '0002_credentials']);
    assert.deepEqual(await store.migrationStatus(), { applied, pending: [], unknown: [] });
    assert.deepEqual(await store.migrate(), []);
    assert.deepEqual(await store.databases.list(), ['main']);
  } finally {
    await store.close();
  }
});

test('SQLite: a user\'s sessions are read through their own index, not by scanning the database\'s sessions', async () => {
  const file = join(dir, 'plans.db');
  const seeding = openSqliteStore(file);
  await seeding.migrate();
  await seeding.transaction(async (tx) => {
    for (let i = 0; i < 500; i++) await tx.sessions.insert(aSession('main', { userId: `user-${i % 50}`, active: i % 3 === 0, openTime: i }));
  });
  await seeding.close();
  // Opened again on a store with sessions in it: the planner gets its statistics at open.
  const store = openSqliteStore(file);
  // The statements the store prepares, as SQLite gets them.
  const prepared: string[] = [];
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    prepared.push(source);
    return prepare.call(this, source);
  } as typeof prepare;
  try {
    await store.sessions.listActiveForUser('main', 'user-7'); // the session limit at login
    await store.sessions.page('main', { userId: 'user-7' }, 0, 10, false); // a user's list, an export
    await store.sessions.page('main', { userId: 'user-7', active: true }, 0, 10, false);
  } finally {
    Database.prototype.prepare = prepare;
  }
  const reader = new Database(file, { readonly: true });
  try {
    assert.equal(prepared.length, 3);
    for (const statement of prepared) {
      const parameters = Array.from(statement.matchAll(/\?/g), () => 1);
      const [access] = reader
        .prepare(`explain query plan ${statement}`)
        .all(...parameters)
        .map((row) => (row as { detail: string }).detail);
      // Before 0006 (and without statistics for the list) the planner walked
      // sessions_open_time, every session of the database, to save a sort.
      assert.match(access ?? '', /^SEARCH sessions USING INDEX sessions_user_open \(database=\? AND user_id=\?/, statement);
    }
  } finally {
    reader.close();
    await store.close();
  }
});

test('SQLite: with checkpoints in the background, commits leave the WAL to a worker, and closing leaves no WAL behind', async () => {
  const file = join(dir, 'checkpoints.db');
  const store = openSqliteStore(file, { checkpointInBackground: true });
  await store.migrate();
  const reader = new Database(file, { readonly: true });
  try {
    // The writer checkpoints itself only as a backstop, far above SQLite's 1,000 pages.
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.kysely);
    assert.deepEqual(rows, [{ wal_autocheckpoint: 10_000 }]);
    const before = statSync(file).size;
    // Some hundred pages of sessions: below the 1,000 pages at which a commit would have
    // checkpointed by itself, so only the worker can have moved them into the file.
    const payload = 'x'.repeat(2000);
    await store.transaction(async (tx) => {
      for (let i = 0; i < 600; i++) await tx.sessions.insert(aSession('main', { data: { payload } }));
    });
    let grown = false;
    for (let waited = 0; waited < 5000 && !grown; waited += 50) {
      await sleep(50);
      grown = statSync(file).size > before + 600 * 2000;
    }
    assert.ok(grown, 'the database file took the WAL pages without a commit checkpointing');
    assert.equal((reader.prepare('select count(*) as n from sessions').get() as { n: number }).n, 600);
  } finally {
    reader.close();
    await store.close();
  }
  assert.equal(existsSync(`${file}-wal`), false);
});

storeConformanceSuite('SQLite store', async () => {
  const store = openSqliteStore(join(dir, `store-${++files}.db`));
  await store.migrate();
  return { store, cleanup: () => store.close() };
});
