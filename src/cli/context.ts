// What the CLI commands share: the request context an operator's command acts in, and the
// answer to a refused command in plain or JSON form.
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { systemClock } from '../core/clock.js';
import type { RequestContext } from '../core/context.js';
import { GatehouseError } from '../core/errors.js';
import { mainDatabase } from '../tenancy/databases.js';

export function cliContext(config: Config, database = mainDatabase): RequestContext {
  return {
    database,
    caller: { kind: 'anonymous' },
    correlationId: 'cli',
    address: `cli@${hostname()}`,
    client: 'gatehouse-cli',
    nodeId: config.nodeId,
    clock: systemClock,
  };
}

/** Prints a refusal (exit code 1); anything that is not a catalog error propagates. */
export function refused(err: unknown, json: boolean | undefined, message = (err as Error).message): number {
  if (!(err instanceof GatehouseError)) throw err;
  console.error(json ? JSON.stringify({ error: { code: err.code, message } }) : message);
  return 1;
}
