// `gatehouse service-key create|revoke`: manage sessions-service credentials.
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { AuditLog } from '../audit/log.js';
import { systemClock } from '../core/clock.js';
import type { RequestContext } from '../core/context.js';
import { GatehouseError } from '../core/errors.js';
import { ServiceKeyService } from '../credentials/service-keys.js';
import { openStore } from '../store/open.js';
import { mainDatabase } from '../tenancy/databases.js';

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
    const ctx: RequestContext = {
      database: options.database ?? mainDatabase,
      caller: { kind: 'anonymous' },
      correlationId: 'cli',
      address: `cli@${hostname()}`,
      client: 'gatehouse-cli',
      nodeId: config.nodeId,
      clock: systemClock,
    };
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
    if (!(err instanceof GatehouseError)) throw err;
    const message = err.code === 'conflict' ? `A service key named "${options.name}" already exists.` : err.message;
    console.error(options.json ? JSON.stringify({ error: { code: err.code, message } }) : message);
    return 1;
  } finally {
    await store.close();
  }
}
