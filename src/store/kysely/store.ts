// One Store over any Kysely instance: the engine-specific parts (connection, pragmas,
// migration capabilities) are chosen by the factories in sqlite.ts and postgres.ts.
import { Migrator, sql, type Kysely } from 'kysely';
import type { Repositories, Store } from '../ports.js';
import { migrationProvider } from '../migrations/index.js';
import { migrationStatus, UnknownMigrationsError, type MigrationStatus } from '../migrations/status.js';
import type { Engine } from './engine.js';
import type { Schema } from './schema.js';
import { KyselyDatabaseRepository, KyselyDatabaseSelectionRepository, KyselyUserRepository, type UserWritten } from './users.js';
import { KyselySessionRepository } from './sessions.js';
import { KyselyAuditRepository, KyselyServiceKeyRepository } from './audit.js';
import { KyselySigningKeyRepository, KyselyTotpRepository } from './credentials.js';
import { KyselyFlagRepository, KyselyResetCodeRepository } from './moderation.js';
import { Statements } from './prepared.js';

function repositories(db: Kysely<Schema>, engine: Engine, statements: Statements, userWritten: UserWritten): Repositories {
  return {
    databases: new KyselyDatabaseRepository(db),
    users: new KyselyUserRepository(db, statements, userWritten),
    sessions: new KyselySessionRepository(db, engine, statements),
    audit: new KyselyAuditRepository(db, statements),
    serviceKeys: new KyselyServiceKeyRepository(db),
    signingKeys: new KyselySigningKeyRepository(db),
    totp: new KyselyTotpRepository(db, statements),
    selections: new KyselyDatabaseSelectionRepository(db),
    flags: new KyselyFlagRepository(db),
    resetCodes: new KyselyResetCodeRepository(db),
  };
}

export class KyselyStore implements Store {
  readonly databases;
  readonly users;
  readonly sessions;
  readonly audit;
  readonly serviceKeys;
  readonly signingKeys;
  readonly totp;
  readonly selections;
  readonly flags;
  readonly resetCodes;
  private readonly userListeners: UserWritten[] = [];
  /** Compiled once for this store's dialect; shared by its transactions. */
  private readonly statements: Statements;

  /**
   * @param beforeClose what the engine's connection needs stopped first (SQLite's
   *   checkpoint thread)
   */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly engine: Engine,
    private readonly beforeClose?: () => Promise<void>,
  ) {
    this.statements = new Statements(db);
    const repos = repositories(db, engine, this.statements, (database, id) => this.userWritten(database, id));
    this.databases = repos.databases;
    this.users = repos.users;
    this.sessions = repos.sessions;
    this.audit = repos.audit;
    this.serviceKeys = repos.serviceKeys;
    this.signingKeys = repos.signingKeys;
    this.totp = repos.totp;
    this.selections = repos.selections;
    this.flags = repos.flags;
    this.resetCodes = repos.resetCodes;
  }

  /**
   * Applies pending migrations, under a lock so that nodes starting together apply each
   * exactly once; returns the names applied. Refuses a schema with migrations this code
   * does not know (a newer release migrated it).
   */
  async migrate(): Promise<string[]> {
    return this.engine.withMigrationLock(this.db, async (db) => {
      const { unknown } = await migrationStatus(db, this.engine.migration);
      if (unknown.length > 0) throw new UnknownMigrationsError(unknown);
      const migrator = new Migrator({ db, provider: migrationProvider(this.engine.migration) });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    });
  }

  /** What `migrate` would do, without doing it. */
  migrationStatus(): Promise<MigrationStatus> {
    return migrationStatus(this.db, this.engine.migration);
  }

  onUserWritten(listener: (database: string, userId: string) => void): void {
    this.userListeners.push(listener);
  }

  private userWritten(database: string, id: string): void {
    for (const listener of this.userListeners) listener(database, id);
  }

  async transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    // Writes inside a transaction are announced after the commit: announced earlier, a read
    // between the two could cache the row as it was before.
    const written: Array<[string, string]> = [];
    const result = await this.db.transaction().execute((trx) => work(repositories(trx, this.engine, this.statements, (database, id) => written.push([database, id]))));
    for (const [database, id] of written) this.userWritten(database, id);
    return result;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.beforeClose?.();
    await this.db.destroy();
  }

  /** For the benchmark's bulk seeding and tests that inspect rows; not used by the domain. */
  get kysely(): Kysely<Schema> {
    return this.db;
  }
}
