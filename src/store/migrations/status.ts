// Where a schema stands against the migrations this code knows: applied, pending, and
// applied-but-unknown (the schema was migrated by a newer release; running on it could
// corrupt data, so a node refuses to start and `migrate --plan` says so).
import { sql, type Kysely } from 'kysely';
import { migrationProvider, type MigrationDialect } from './index.js';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  unknown: string[];
}

export class UnknownMigrationsError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `The database schema has migrations this release does not know (${unknown.join(', ')}): ` +
        'it was migrated by a newer Gatehouse. Run that release, or restore a backup taken before it.',
    );
    this.name = 'UnknownMigrationsError';
  }
}

/** Names recorded in Kysely's bookkeeping table; none when it does not exist yet. */
async function recordedMigrations(db: Kysely<any>): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    return rows.rows.map((row) => row.name);
  } catch (err) {
    // Asked by name (not via introspection) so PostgreSQL's search_path decides, as for Kysely.
    const e = err as { code?: string; message?: string };
    if (e.code === '42P01' || /no such table/.test(e.message ?? '')) return [];
    throw err;
  }
}

export async function migrationStatus(db: Kysely<any>, dialect: MigrationDialect): Promise<MigrationStatus> {
  const known = Object.keys(await migrationProvider(dialect).getMigrations()).sort();
  const recorded = new Set(await recordedMigrations(db));
  return {
    applied: known.filter((name) => recorded.has(name)),
    pending: known.filter((name) => !recorded.has(name)),
    unknown: [...recorded].filter((name) => !known.includes(name)).sort(),
  };
}
