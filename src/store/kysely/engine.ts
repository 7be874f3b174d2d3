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
}

export const sqliteEngine: Engine = {
  migration: sqliteMigrationDialect,
  // One connection, and Kysely runs its transactions one at a time: already serialised.
  lockUser: async () => {},
};

export const postgresEngine: Engine = {
  migration: postgresMigrationDialect,
  // A transaction-scoped advisory lock on a 64-bit hash of the user's key; released at
  // commit or rollback. Unrelated users collide only on a hash clash, which costs a wait.
  lockUser: async (db, database, userId) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${database}:${userId}`}, 0))`.execute(db);
  },
};
