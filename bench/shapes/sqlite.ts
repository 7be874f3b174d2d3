// The embedded shape: one SQLite file in the server's data directory.
import { join } from 'node:path';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import type { Shape } from './shape.js';

export const sqliteShape: Shape = {
  name: 'sqlite',
  multiNode: false,
  open: (dataDir) => openSqliteStore(join(dataDir, 'gatehouse.db')),
  // A 256 MB page cache keeps the random-order token index in memory while it grows;
  // the default 2 MB turns a million inserts into disk traffic.
  tuneForBulkLoad: async (store) => {
    await sql`pragma cache_size = -262144`.execute(store.kysely);
  },
  // An empty DATABASE_URL counts as unset, so an inherited one cannot redirect the server.
  serverEnv: (dataDir) => ({ GATEHOUSE_DATA_DIR: dataDir, DATABASE_URL: '' }),
};
