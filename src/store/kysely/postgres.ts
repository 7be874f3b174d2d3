// The scale-out store: PostgreSQL shared by every node.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { postgresEngine } from './engine.js';
import type { Schema } from './schema.js';
import { KyselyStore } from './store.js';

// Times are epoch milliseconds in bigint columns; they fit a JS number exactly, so read
// them as numbers rather than pg's default strings. Counts (bigint too) benefit as well.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

export function openPostgresStore(url: string, poolSize = 10): KyselyStore {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection that the server ends (restart, failover, pg_terminate_backend) is
  // reported as a pool 'error' event; without a listener that crashes the process. pg has
  // already discarded the connection and the next query opens a new one, so nothing to do.
  pool.on('error', () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore(db, postgresEngine);
}
