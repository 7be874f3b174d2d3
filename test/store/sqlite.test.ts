// The storage conformance suite on a real SQLite file (WAL), as the embedded store runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
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

storeConformanceSuite('SQLite store', async () => {
  const store = openSqliteStore(join(dir, `store-${++files}.db`));
  await store.migrate();
  return { store, cleanup: () => store.close() };
});
