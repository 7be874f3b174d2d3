// The storage conformance suite on a real SQLite file (WAL), as the embedded store runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { storeConformanceSuite } from './conformance.js';

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

test('SQLite: a user\'s sessions are read through their own index, in order, not by scanning the database\'s sessions', async () => {
  const file = join(dir, 'plans.db');
  const store = openSqliteStore(file);
  // The statements the store prepares, as SQLite gets them.
  const prepared: string[] = [];
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    prepared.push(source);
    return prepare.call(this, source);
  } as typeof prepare;
  try {
    await store.migrate();
    prepared.length = 0;
    await store.sessions.listActiveForUser('main', 'someone'); // the session limit at login
    await store.sessions.page('main', { userId: 'someone' }, 0, 10, false); // a user's list, an export
    await store.sessions.page('main', { userId: 'someone', active: true }, 0, 10, false);
  } finally {
    Database.prototype.prepare = prepare;
  }
  const reader = new Database(file, { readonly: true });
  try {
    assert.equal(prepared.length, 3);
    for (const statement of prepared) {
      const parameters = Array.from(statement.matchAll(/\?/g), () => 1);
      const plan = reader
        .prepare(`explain query plan ${statement}`)
        .all(...parameters)
        .map((row) => (row as { detail: string }).detail);
      // Before 0006 the planner walked sessions_open_time (every session of the database) to
      // save a sort, so these grew with the whole table.
      assert.deepEqual(plan, ['SEARCH sessions USING INDEX sessions_user_open (database=? AND user_id=?)'], statement);
    }
  } finally {
    reader.close();
    await store.close();
  }
});

storeConformanceSuite('SQLite store', async () => {
  const store = openSqliteStore(join(dir, `store-${++files}.db`));
  await store.migrate();
  return { store, cleanup: () => store.close() };
});
