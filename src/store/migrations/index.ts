// Ordered schema migrations, written once with Kysely's schema builder so the same steps
// run on SQLite and PostgreSQL. Add new steps at the end; never edit a released one.
import type { ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider } from 'kysely';

/** What differs between engines, as capabilities rather than `if (dialect === …)` checks. */
export interface MigrationDialect {
  /** Adds an auto-incrementing integer primary key column. */
  identityColumn(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  identityType: 'integer' | 'bigserial';
}

export const sqliteMigrationDialect: MigrationDialect = {
  identityType: 'integer',
  identityColumn: (c) => c.primaryKey().autoIncrement(),
};

export const postgresMigrationDialect: MigrationDialect = {
  identityType: 'bigserial',
  identityColumn: (c) => c.primaryKey(),
};

const initial = (dialect: MigrationDialect): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('databases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('databases').values({ name: 'main', created_at: Date.now() }).execute();

    await db.schema
      .createTable('users')
      .addColumn('database', 'text', (c) => c.notNull().references('databases.name').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('username_key', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('full_name', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('privileges', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('ban_until', 'bigint')
      .addColumn('flagged', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('last_login', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('users_pk', ['database', 'id'])
      .execute();
    await db.schema.createIndex('users_username_key_unique').unique().on('users').columns(['database', 'username_key']).execute();
    await db.schema.createIndex('users_email_unique').unique().on('users').columns(['database', 'email']).execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('database', 'text', (c) => c.notNull().references('databases.name').onDelete('cascade'))
      .addColumn('token_digest', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('user_name', 'text')
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('open_time', 'bigint', (c) => c.notNull())
      .addColumn('request_time', 'bigint', (c) => c.notNull())
      .addColumn('close_time', 'bigint')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('address', 'text')
      .addColumn('client', 'text')
      .addColumn('node_id', 'text')
      .addColumn('user_info', 'text')
      .addColumn('data', 'text')
      .addColumn('mfa', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('sessions_token_digest_unique').unique().on('sessions').column('token_digest').execute();
    await db.schema.createIndex('sessions_user').on('sessions').columns(['database', 'user_id', 'active']).execute();
    await db.schema.createIndex('sessions_open_time').on('sessions').columns(['database', 'open_time']).execute();
    // The sweeper scans only active sessions, by their hard end and by last activity.
    await db.schema.createIndex('sessions_active_expiry').on('sessions').columns(['active', 'expires_at']).execute();
    await db.schema.createIndex('sessions_active_request').on('sessions').columns(['active', 'request_time']).execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', dialect.identityType, (c) => dialect.identityColumn(c))
      .addColumn('database', 'text', (c) => c.notNull().references('databases.name').onDelete('cascade'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('target', 'text')
      .addColumn('address', 'text')
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('details', 'text')
      .execute();
    await db.schema.createIndex('audit_events_target').on('audit_events').columns(['database', 'target']).execute();
    await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['database', 'actor']).execute();

    await db.schema
      .createTable('service_keys')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('database', 'text', (c) => c.notNull().references('databases.name').onDelete('cascade'))
      .addColumn('key_digest', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('service_keys_digest_unique').unique().on('service_keys').column('key_digest').execute();
  },
});

// Access-token signing keys (shared by every node, so any node verifies any token) and TOTP
// second factors. A user's TOTP row goes with the user.
const credentials: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('sealed_private_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();

    await db.schema
      .createTable('totp_credentials')
      .addColumn('database', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('sealed_secret', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('last_step', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('totp_credentials_pk', ['database', 'user_id'])
      .addForeignKeyConstraint('totp_credentials_user', ['database', 'user_id'], 'users', ['database', 'id'], (fk) => fk.onDelete('cascade'))
      .execute();
  },
};

// The retention purge deletes closed sessions by close time and audit events by time.
const retention: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('sessions_closed_time').on('sessions').columns(['active', 'close_time']).execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  },
};

// Account messages: users' reports of other accounts (one row per reporter and account) and
// password-reset codes (digests only). Both go with their user: a deleted account takes
// the reports about it and the reports it made, and its reset codes.
const messages: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('flags')
      .addColumn('database', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('reporter_id', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('flagged_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('flags_pk', ['database', 'user_id', 'reporter_id'])
      .addForeignKeyConstraint('flags_user', ['database', 'user_id'], 'users', ['database', 'id'], (fk) => fk.onDelete('cascade'))
      .addForeignKeyConstraint('flags_reporter', ['database', 'reporter_id'], 'users', ['database', 'id'], (fk) => fk.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('flags_reporter').on('flags').columns(['database', 'reporter_id']).execute();

    await db.schema
      .createTable('reset_codes')
      .addColumn('database', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('code_digest', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('used_at', 'bigint')
      .addPrimaryKeyConstraint('reset_codes_pk', ['database', 'id'])
      .addForeignKeyConstraint('reset_codes_user', ['database', 'user_id'], 'users', ['database', 'id'], (fk) => fk.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('reset_codes_user').on('reset_codes').columns(['database', 'user_id']).execute();
  },
};

// Tenancy: an administrator's selected database (RPC select_database). It goes with its
// session and with the database, so deleting a database stays one cascading statement.
const tenancy: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('database_selections')
      .addColumn('session_id', 'text', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
      .addColumn('database', 'text', (c) => c.notNull().references('databases.name').onDelete('cascade'))
      .addColumn('selected_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

// A user's active sessions in the order they were opened: the session limit at every
// login. With only (database, user_id, active), SQLite's planner preferred
// sessions_open_time to save a sort and read every session of the database, closed ones
// included, so each login cost more as the table grew (37 ms at 200,000 sessions). With the
// order in the index the look-up reads the user's active sessions only. (A user's list
// without the active filter also takes this index once the planner has statistics: see
// the store's PRAGMA optimize in kysely/sqlite.ts.)
const sessionsByUserInOrder: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('sessions_user_open').on('sessions').columns(['database', 'user_id', 'active', 'open_time', 'id']).execute();
    await db.schema.dropIndex('sessions_user').execute();
  },
};

export function migrationProvider(dialect: MigrationDialect): MigrationProvider {
  return {
    getMigrations: async () => ({
      '0001_initial': initial(dialect),
      '0002_credentials': credentials,
      '0003_retention': retention,
      '0004_messages': messages,
      '0005_tenancy': tenancy,
      '0006_sessions_by_user_in_order': sessionsByUserInOrder,
    }),
  };
}
