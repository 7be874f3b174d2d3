// The embedded store: one SQLite file in WAL mode, so readers never wait for the writer
// and the CLI can work on the same file while the service runs.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { sqliteEngine } from './engine.js';
import { withStatementCache } from './statement-cache.js';
import type { Schema } from './schema.js';
import { KyselyStore } from './store.js';

export function openSqliteStore(file: string): KyselyStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only power loss can lose
  // the last transactions, which is the usual trade for a session store.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // The CLI and the service may write at the same moment: wait instead of failing.
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return new KyselyStore(db, sqliteEngine);
}
