// Tenant databases as administrators manage them: create, list, delete (everything in it,
// atomically; `main` never), and the database an administrator's session has selected to
// act on. Every node forgets a deleted database and drops its cached sessions at once.
import type { AuditLog } from '../audit/log.js';
import type { Bus } from '../bus/ports.js';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import type { SessionService } from '../sessions/service.js';
import type { Store } from '../store/ports.js';
import { databaseNamePattern, mainDatabase, type DatabaseDirectory } from './databases.js';

function checkName(name: string): void {
  if (!databaseNamePattern.test(name)) {
    fail('validation_failed', { message: 'dbname: must be a lower-case letter, then up to 62 letters, digits, "_" or "-"', details: { field: 'dbname' } });
  }
}

export class TenancyService {
  constructor(
    private readonly store: Store,
    private readonly directory: DatabaseDirectory,
    private readonly bus: Bus,
    private readonly audit: AuditLog,
    private readonly sessions: SessionService,
  ) {}

  list(): Promise<string[]> {
    return this.store.databases.list();
  }

  /** Whether a database exists, through the directory's cache. */
  async exists(name: string): Promise<boolean> {
    try {
      await this.directory.resolve(name);
      return true;
    } catch {
      return false;
    }
  }

  async create(ctx: RequestContext, name: string): Promise<void> {
    checkName(name);
    await this.store.transaction(async (tx) => {
      await tx.databases.create(name, ctx.clock.now()).catch((err: unknown) => fail('conflict', { message: `A database named "${name}" exists.`, cause: err }));
      await this.audit.record({ ...ctx, database: mainDatabase }, 'database.created', { target: name }, tx.audit);
    });
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    checkName(name);
    if (name === mainDatabase) fail('forbidden', { message: 'The main database cannot be deleted.' });
    await this.store.transaction(async (tx) => {
      if (!(await tx.databases.delete(name))) fail('not_found', { message: `No database named "${name}".` });
      await this.audit.record({ ...ctx, database: mainDatabase }, 'database.deleted', { target: name }, tx.audit);
    });
    // Applied here at once, and by every other node when the message arrives.
    this.directory.forget(name);
    this.sessions.forgetDatabase(name);
    await this.bus.publishDatabaseDeleted({ database: name });
  }

  /** Records that the session `sessionId` acts on `name` from now on. */
  async select(ctx: RequestContext, sessionId: string, name: string): Promise<string> {
    checkName(name);
    if (!(await this.exists(name))) fail('not_found', { message: `No database named "${name}".` });
    await this.store.selections.select(sessionId, name, ctx.clock.now());
    return name;
  }

  selected(sessionId: string): Promise<string | undefined> {
    return this.store.selections.find(sessionId);
  }
}
