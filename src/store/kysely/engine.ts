// What differs between SQL engines beyond the dialect Kysely already handles, expressed as
// capabilities the store is given, never as `if (engine === …)` branches in queries.
import { sql, type Kysely } from 'kysely';
import { postgresMigrationDialect, sqliteMigrationDialect, type MigrationDialect } from '../migrations/index.js';
import type { ActivityUpdate } from '../ports.js';
import type { Schema } from './schema.js';
import { prepared, type Statements } from './prepared.js';

export interface Engine {
  migration: MigrationDialect;
  /**
   * Inside a transaction: holds off every other transaction that asks for the same user
   * until this one ends, so a read-count-then-insert (the session limit) cannot race.
   */
  lockUser(db: Kysely<Schema>, database: string, userId: string): Promise<void>;
  /**
   * Runs `work` (migrations) while holding a lock that every node starting at the same time
   * asks for, so the migrations are applied exactly once.
   */
  withMigrationLock<T>(db: Kysely<Schema>, work: (db: Kysely<Schema>) => Promise<T>): Promise<T>;
  /**
   * Sets the last activity of many sessions (a flush of the activity recorder), moving it
   * forward only and never on a closed session. Written once per engine because the cheap
   * way differs: on PostgreSQL a statement per session cost a round trip each (about
   * 0.5 ms, with the rows locked meanwhile), on SQLite Kysely's query build per row cost
   * more than the write, on the event loop.
   */
  recordActivity(db: Kysely<Schema>, updates: readonly ActivityUpdate[], statements: Statements): Promise<void>;
}

const activityOfSession = prepared('session activity', (db, p: ActivityUpdate) =>
  db
    .updateTable('sessions')
    .set({ request_time: p.requestTime })
    .where('database', '=', p.database)
    .where('id', '=', p.id)
    .where('active', '=', 1)
    .where('request_time', '<', p.requestTime),
);

export const sqliteEngine: Engine = {
  migration: sqliteMigrationDialect,
  // One connection, and Kysely runs its transactions one at a time: already serialised.
  lockUser: async () => {},
  // SQLite takes the file's write lock for each migration transaction (busy_timeout waits).
  withMigrationLock: (db, work) => work(db),
  // A statement per session, built once (prepared.ts) and only bound and run per row: a
  // write inside the process costs microseconds, where Kysely building the query again for
  // every row cost several times that. (A single UPDATE … FROM json_each was tried:
  // SQLite's planner scans the sessions for every row of the batch.)
  recordActivity: async (db, updates, statements) => {
    for (const u of updates) await statements.rows(activityOfSession, db, u);
  },
};

export const postgresEngine: Engine = {
  migration: postgresMigrationDialect,
  // A transaction-scoped advisory lock on a 64-bit hash of the user's key; released at
  // commit or rollback. Unrelated users collide only on a hash clash, which costs a wait.
  lockUser: async (db, database, userId) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${database}:${userId}`}, 0))`.execute(db);
  },
  // A session-level advisory lock on one connection, held around the whole run: Kysely's own
  // lock is taken only after it creates its bookkeeping tables, and concurrent
  // `create table if not exists` can fail on PostgreSQL.
  withMigrationLock: (db, work) =>
    db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(hashtextextended('gatehouse:migrations', 0))`.execute(connection);
      try {
        return await work(connection);
      } finally {
        await sql`select pg_advisory_unlock(hashtextextended('gatehouse:migrations', 0))`.execute(connection);
      }
    }),
  // The batch goes in as three arrays (node-postgres sends them as array literals), joined
  // back into rows by unnest: three parameters, however many sessions.
  recordActivity: async (db, updates) => {
    if (updates.length === 0) return;
    const databases = updates.map((u) => u.database);
    const ids = updates.map((u) => u.id);
    const times = updates.map((u) => u.requestTime);
    await sql`update sessions set request_time = v.request_time
      from unnest(${databases}::text[], ${ids}::text[], ${times}::bigint[]) as v(database, id, request_time)
      where sessions.id = v.id and sessions.database = v.database and sessions.active = 1 and sessions.request_time < v.request_time`.execute(db);
  },
};
