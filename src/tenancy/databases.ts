// Tenant databases: naming rules and a cache of the names that exist, so picking the
// database of a request costs no read once a name has been seen.
import { fail } from '../core/errors.js';
import type { DatabaseRepository } from '../store/ports.js';

export const databaseNamePattern = /^[a-z][a-z0-9_-]{0,62}$/;
export const mainDatabase = 'main';

export class DatabaseDirectory {
  private readonly names = new Set<string>([mainDatabase]);

  constructor(private readonly databases: DatabaseRepository) {}

  /** The database a request names when it is already known to exist (no read, no promise). */
  known(name: string | undefined): string | undefined {
    if (name === undefined || name === '') return mainDatabase;
    return this.names.has(name) ? name : undefined;
  }

  /** The database a request names, checked: a bad name is invalid, an unknown one not found. */
  async resolve(name: string | undefined): Promise<string> {
    if (name === undefined || name === '') return mainDatabase;
    if (this.names.has(name)) return name;
    if (!databaseNamePattern.test(name)) {
      fail('validation_failed', { message: 'The database name is not valid.', details: { field: 'database' } });
    }
    if (!(await this.databases.exists(name))) fail('not_found', { message: `No database named "${name}".` });
    this.names.add(name);
    return name;
  }

  /** Forget a deleted database (here and, through the bus, on other nodes). */
  forget(name: string): void {
    if (name !== mainDatabase) this.names.delete(name);
  }
}
