// Service keys: credentials of back-end services calling the sessions service surface.
// A key is shown once at creation and stored only as a digest; each is bound to one
// database and can be revoked by name.
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { digestSecret, newSecret } from '../core/ids.js';
import type { AuditLog } from '../audit/log.js';
import type { Store } from '../store/ports.js';

const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const serviceKeyPrefix = 'ghsk_';

export class ServiceKeyService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  /** Returns the key; it cannot be recovered later. */
  async create(ctx: RequestContext, name: string): Promise<{ name: string; key: string; database: string }> {
    if (!keyNamePattern.test(name)) {
      fail('validation_failed', { message: 'name: must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit' });
    }
    if (!(await this.store.databases.exists(ctx.database))) fail('not_found', { message: `No database named "${ctx.database}".` });
    const key = newSecret(serviceKeyPrefix);
    await this.store.transaction(async (tx) => {
      await tx.serviceKeys.insert({ name, database: ctx.database, keyDigest: digestSecret(key), createdAt: ctx.clock.now(), revokedAt: null });
      await this.audit.record(ctx, 'service_key.created', { target: `service:${name}` }, tx.audit);
    });
    return { name, key, database: ctx.database };
  }

  async revoke(ctx: Omit<RequestContext, 'database'>, name: string): Promise<{ name: string; database: string }> {
    const revoked = (await this.store.serviceKeys.revoke(name, ctx.clock.now())) ?? fail('not_found', { message: `No active service key named "${name}".` });
    await this.audit.record({ ...ctx, database: revoked.database }, 'service_key.revoked', { target: `service:${name}` });
    return { name, database: revoked.database };
  }
}
