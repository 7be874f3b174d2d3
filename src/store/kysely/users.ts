// Users and tenant databases on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Role } from '../../core/permissions.js';
import type { DatabaseRepository, DatabaseSelectionRepository, UserChanges, UserRecord, UserRepository, UserStatus } from '../ports.js';
import type { Schema, UsersTable } from './schema.js';
import { translateUnique } from './driver-errors.js';
import { prepared, preparedFamily, type Statements } from './prepared.js';

// SQLite names the columns, PostgreSQL the index: both markers identify the same rule.
const userUniqueRules = {
  username_key: 'username_taken',
  email: 'email_taken',
} as const;

function toRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    database: row.database,
    id: row.id,
    username: row.username,
    usernameKey: row.username_key,
    email: row.email,
    fullName: row.full_name,
    role: row.role as Role,
    privileges: JSON.parse(row.privileges) as string[],
    status: row.status as UserStatus,
    banUntil: row.ban_until,
    flagged: row.flagged === 1,
    passwordHash: row.password_hash,
    lastLogin: row.last_login,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toColumns(changes: UserChanges): Partial<UsersTable> {
  const columns: Partial<UsersTable> = {};
  if (changes.username !== undefined) columns.username = changes.username;
  if (changes.usernameKey !== undefined) columns.username_key = changes.usernameKey;
  if (changes.email !== undefined) columns.email = changes.email;
  if (changes.fullName !== undefined) columns.full_name = changes.fullName;
  if (changes.role !== undefined) columns.role = changes.role;
  if (changes.privileges !== undefined) columns.privileges = JSON.stringify(changes.privileges);
  if (changes.status !== undefined) columns.status = changes.status;
  if (changes.banUntil !== undefined) columns.ban_until = changes.banUntil;
  if (changes.flagged !== undefined) columns.flagged = changes.flagged ? 1 : 0;
  if (changes.passwordHash !== undefined) columns.password_hash = changes.passwordHash;
  if (changes.lastLogin !== undefined) columns.last_login = changes.lastLogin;
  if (changes.updatedAt !== undefined) columns.updated_at = changes.updatedAt;
  return columns;
}

const byId = prepared('user by id', (db, p: { database: string; id: string }) =>
  db.selectFrom('users').selectAll().where('database', '=', p.database).where('id', '=', p.id),
);
const byUsernameKey = prepared('user by username key', (db, p: { database: string; usernameKey: string }) =>
  db.selectFrom('users').selectAll().where('database', '=', p.database).where('username_key', '=', p.usernameKey),
);
const byEmail = prepared('user by email', (db, p: { database: string; email: string }) =>
  db.selectFrom('users').selectAll().where('database', '=', p.database).where('email', '=', p.email),
);

type UserColumns = Partial<UsersTable>;
/**
 * One update statement per set of changed columns (a login sets only the last-login time),
 * keyed by their sorted names: at most one per subset of what `toColumns` writes.
 */
const updateOfColumns = preparedFamily('user update of', (key: string) => {
  const names = key.split(',') as Array<keyof UsersTable>;
  return (db, p: UserColumns & { where_database: string; where_id: string }) =>
    db
      .updateTable('users')
      .set(Object.fromEntries(names.map((name) => [name, p[name]])))
      .where('database', '=', p.where_database)
      .where('id', '=', p.where_id)
      .returningAll();
});
const updateOf = (columns: UserColumns) => updateOfColumns(Object.keys(columns).sort().join(','));

/** Told of every changed or deleted user row: the store turns it into its onUserWritten. */
export type UserWritten = (database: string, id: string) => void;

export class KyselyUserRepository implements UserRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly statements: Statements,
    private readonly written: UserWritten = () => {},
  ) {}

  async insert(user: UserRecord): Promise<void> {
    await translateUnique(
      () =>
        this.db
          .insertInto('users')
          .values({
            database: user.database,
            id: user.id,
            username: user.username,
            username_key: user.usernameKey,
            email: user.email,
            full_name: user.fullName,
            role: user.role,
            privileges: JSON.stringify(user.privileges),
            status: user.status,
            ban_until: user.banUntil,
            flagged: user.flagged ? 1 : 0,
            password_hash: user.passwordHash,
            last_login: user.lastLogin,
            created_at: user.createdAt,
            updated_at: user.updatedAt,
          })
          .execute(),
      userUniqueRules,
    );
  }

  async findById(database: string, id: string): Promise<UserRecord | undefined> {
    const [row] = await this.statements.rows(byId, this.db, { database, id });
    return row && toRecord(row);
  }

  async findByUsernameKey(database: string, usernameKey: string): Promise<UserRecord | undefined> {
    const [row] = await this.statements.rows(byUsernameKey, this.db, { database, usernameKey });
    return row && toRecord(row);
  }

  async findByEmail(database: string, email: string): Promise<UserRecord | undefined> {
    const [row] = await this.statements.rows(byEmail, this.db, { database, email });
    return row && toRecord(row);
  }

  async update(database: string, id: string, changes: UserChanges): Promise<UserRecord | undefined> {
    const columns = toColumns(changes);
    if (Object.keys(columns).length === 0) return this.findById(database, id);
    // The updated row comes back with the statement (both engines support RETURNING): a
    // login, which writes its last-login time, needs no second read.
    const [row] = await translateUnique(
      () => this.statements.rows(updateOf(columns), this.db, { ...columns, where_database: database, where_id: id }),
      userUniqueRules,
    );
    this.written(database, id);
    return row && toRecord(row);
  }

  async delete(database: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('database', '=', database).where('id', '=', id).executeTakeFirst();
    this.written(database, id);
    return Number(result.numDeletedRows) > 0;
  }
}

export class KyselyDatabaseRepository implements DatabaseRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async exists(name: string): Promise<boolean> {
    const row = await this.db.selectFrom('databases').select('name').where('name', '=', name).executeTakeFirst();
    return row !== undefined;
  }

  async list(): Promise<string[]> {
    const rows = await this.db.selectFrom('databases').select('name').orderBy('name').execute();
    return rows.map((row) => row.name);
  }

  async create(name: string, createdAt: number): Promise<void> {
    await translateUnique(() => this.db.insertInto('databases').values({ name, created_at: createdAt }).execute(), {});
  }

  async delete(name: string): Promise<boolean> {
    // Every table of tenant data references databases (or users) with ON DELETE CASCADE:
    // one statement removes all of it, atomically, so no half-deleted tenant is ever visible.
    const result = await this.db.deleteFrom('databases').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

export class KyselyDatabaseSelectionRepository implements DatabaseSelectionRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async select(sessionId: string, database: string, at: number): Promise<void> {
    await this.db
      .insertInto('database_selections')
      .values({ session_id: sessionId, database, selected_at: at })
      .onConflict((oc) => oc.column('session_id').doUpdateSet({ database, selected_at: at }))
      .execute();
  }

  async find(sessionId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('database_selections').select('database').where('session_id', '=', sessionId).executeTakeFirst();
    return row?.database;
  }
}
