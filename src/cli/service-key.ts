// `gatehouse service-key create|revoke`: manage sessions-service credentials.
import type { Config } from '../config.js';
import { AuditLog } from '../audit/log.js';
import { GatehouseError } from '../core/errors.js';
import { ServiceKeyService } from '../credentials/service-keys.js';
import { openStore } from '../store/open.js';
import { cliContext, refused } from './context.js';

interface Options {
  json?: boolean;
  name?: string;
  database?: string;
}

export async function serviceKeyCommand(config: Config, action: string | undefined, options: Options): Promise<number> {
  if ((action !== 'create' && action !== 'revoke') || !options.name) {
    console.error('Usage: gatehouse service-key create --name N [--database D] [--json]\n       gatehouse service-key revoke --name N [--json]');
    return 2;
  }
  const store = openStore(config);
  try {
    await store.migrate();
    const keys = new ServiceKeyService(store, new AuditLog(store.audit));
    const ctx = cliContext(config, options.database);
    if (action === 'create') {
      const created = await keys.create(ctx, options.name);
      if (options.json) console.log(JSON.stringify(created));
      else console.log(`Service key "${created.name}" for database "${created.database}" (shown only now):\n${created.key}`);
    } else {
      const revoked = await keys.revoke(ctx, options.name);
      if (options.json) console.log(JSON.stringify({ ...revoked, revoked: true }));
      else console.log(`Service key "${revoked.name}" revoked.`);
    }
    return 0;
  } catch (err) {
    const duplicate = err instanceof GatehouseError && err.code === 'conflict';
    return refused(err, options.json, duplicate ? `A service key named "${options.name}" already exists.` : undefined);
  } finally {
    await store.close();
  }
}
