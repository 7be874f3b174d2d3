// Driver errors are translated here, at the adapter boundary, so no SQL error code leaks
// into the domain. Each engine reports a unique violation differently; both are read.
// A lost or unreachable database is `unavailable` (503) on every surface, never `internal`.
import { GatehouseError, type ErrorCode } from '../../core/errors.js';

interface DriverError {
  code?: string; // SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY, PostgreSQL SQLSTATE 23505, or a socket errno
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

const socketErrors = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// SQLSTATE: 57P01 admin shutdown (pg_terminate_backend), 57P02 crash shutdown, 57P03
// cannot connect now (starting up), 53300 too many connections, 57014 statement timeout.
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
// node-postgres reports its own connection failures by message only.
const unavailableMessages = /connection terminated|timeout exceeded when trying to connect|query read timeout|not queryable|connection timeout|server closed the connection/i;

/** Whether `err` says the database could not be reached or dropped the connection. */
export function isUnavailable(err: unknown): boolean {
  const e = err as DriverError;
  if (typeof e?.code === 'string' && (socketErrors.has(e.code) || unavailableStates.has(e.code) || e.code.startsWith('08'))) return true;
  return typeof e?.message === 'string' && unavailableMessages.test(e.message);
}

/** Runs a driver call; a lost database becomes `unavailable`, anything else propagates. */
export async function translateUnavailable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GatehouseError || !isUnavailable(err)) throw err;
    throw new GatehouseError('unavailable', { message: 'The store is not reachable.', cause: err });
  }
}
