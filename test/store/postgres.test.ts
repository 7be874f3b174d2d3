// The same storage conformance suite on PostgreSQL, in one fresh database; every test gets
// its own schema (via search_path), which isolates it as fully as a database, much faster.
// Outside CI an unreachable server skips with the reason; in CI it fails (see services.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/kysely/postgres.js';
import { freshPostgresDatabase } from '../support/services.js';
import { storeConformanceSuite } from './conformance.js';

const database = await freshPostgresDatabase();

if ('skip' in database) {
  test('PostgreSQL store conformance', { skip: database.skip }, () => {});
} else {
  const databaseUrl = database.url;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  after(async () => {
    await admin.end();
    await database.drop();
  });
  let schemas = 0;

  /** A store whose tables live in a new, empty schema of the test database. */
  async function storeInFreshSchema() {
    const schema = `conformance_${++schemas}`;
    await admin.query(`create schema ${schema}`);
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const store = openPostgresStore(url.toString(), 2);
    const cleanup = async () => {
      await store.close();
      await admin.query(`drop schema ${schema} cascade`);
    };
    return { store, cleanup };
  }

  test('PostgreSQL: the first migration creates the schema and main; a second applies nothing', async () => {
    const { store, cleanup } = await storeInFreshSchema();
    try {
      assert.deepEqual(await store.migrate(), ['0001_initial', '0002_credentials']);
      assert.deepEqual(await store.migrate(), []);
      assert.deepEqual(await store.databases.list(), ['main']);
    } finally {
      await cleanup();
    }
  });

  storeConformanceSuite('PostgreSQL store', async () => {
    const opened = await storeInFreshSchema();
    await opened.store.migrate();
    return opened;
  });
}
