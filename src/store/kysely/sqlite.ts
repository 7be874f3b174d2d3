// The embedded store: one SQLite file in WAL mode, so readers never wait for the writer
// and the CLI can work on the same file while the service runs.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { sqliteEngine } from './engine.js';
import { checkpointInBackground } from './sqlite-checkpoints.js';
import { withStatementCache } from './statement-cache.js';
import type { Schema } from './schema.js';
import { KyselyStore } from './store.js';

const statisticsIntervalMs = 60 * 60_000;

export interface SqliteStoreOptions {
  /** WAL checkpoints on a worker thread instead of inside commits (see sqlite-checkpoints.ts). */
  checkpointInBackground?: boolean;
}

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): KyselyStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only power loss can lose
  // the last transactions, which is the usual trade for a session store.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // The CLI and the service may write at the same moment: wait instead of failing.
  database.pragma('busy_timeout = 5000');
  // Statistics for the query planner, as SQLite advises for long-lived connections: at open
  // and then hourly, each table re-analysed only once it has grown or shrunk a lot, from a
  // sample (analysis_limit), which took 22 ms at 200,000 sessions. Without them the planner
  // read every session of a database in open order to list one user's (57 ms at 200,000).
  database.pragma('analysis_limit = 400');
  const optimize = () => {
    try {
      database.pragma('optimize = 0x10002');
    } catch {
      // Busy past busy_timeout (the CLI writing, say): statistics only help, the next round retries.
    }
  };
  optimize();
  const statistics = setInterval(optimize, statisticsIntervalMs);
  statistics.unref(); // never what keeps a process alive
  const checkpoints = options.checkpointInBackground && file !== ':memory:' ? checkpointInBackground(database, file) : undefined;
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return new KyselyStore(db, sqliteEngine, async () => {
    clearInterval(statistics);
    await checkpoints?.stop();
  });
}
