// Driver errors are translated here, at the adapter boundary, so no SQL error code leaks
// into the domain. Each engine reports a unique violation differently; both are read.
import { GatehouseError, type ErrorCode } from '../../core/errors.js';

interface DriverError {
  code?: string; // SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY, or PostgreSQL SQLSTATE 23505
  constraint?: string; // PostgreSQL: the violated index
  message?: string;
}

/** The violated unique index or column list, or undefined when `err` is no unique violation. */
function uniqueViolation(err: unknown): string | undefined {
  const e = err as DriverError;
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return e.message ?? '';
  if (e?.code === '23505') return e.constraint ?? e.message ?? '';
  return undefined;
}

/**
 * Runs a write and maps a unique violation to a catalog error, chosen by which index
 * (PostgreSQL) or column (SQLite) was violated; anything else propagates unchanged.
 */
export async function translateUnique<T>(write: () => Promise<T>, byIndex: Record<string, ErrorCode>, fallback: ErrorCode = 'conflict'): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const where = uniqueViolation(err);
    if (where === undefined) throw err;
    for (const [marker, code] of Object.entries(byIndex)) {
      if (where.includes(marker)) throw new GatehouseError(code, { cause: err });
    }
    throw new GatehouseError(fallback, { cause: err });
  }
}
