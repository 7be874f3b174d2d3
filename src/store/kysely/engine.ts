// What differs between SQL engines beyond the dialect Kysely already handles, expressed as
// capabilities the store is given, never as `if (engine === …)` branches in queries.
import { sql, type Kysely } from 'kysely';
import { postgresMigrationDialect, sqliteMigrationDialect, type MigrationDialect } from '../migrations/index.js';
import type { Schema } from './schema.js';

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
}

export const sqliteEngine: Engine = {
  migration: sqliteMigrationDialect,
  // One connection, and Kysely runs its transactions one at a time: already serialised.
  lockUser: async () => {},
  // SQLite takes the file's write lock for each migration transaction (busy_timeout waits).
  withMigrationLock: (db, work) => work(db),
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
};
