// The scale-out store: PostgreSQL shared by every node.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { postgresMigrationDialect } from '../migrations/index.js';
import type { Schema } from './schema.js';
import { KyselyStore } from './store.js';

// Times are epoch milliseconds in bigint columns; they fit a JS number exactly, so read
// them as numbers rather than pg's default strings. Counts (bigint too) benefit as well.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

export function openPostgresStore(url: string, poolSize = 10): KyselyStore {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore(db, postgresMigrationDialect);
}
