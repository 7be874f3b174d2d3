// One RPC request, whatever carried it (an HTTP body or a WebSocket frame): find the
// method, work out who is calling and on which database, run the operation, and answer in
// the RPC envelope with the request's `id`. Never throws: every failure is a reply.
import type { Core } from '../../app.js';
import { anonymous, type RequestContext } from '../../core/context.js';
import { fail, toCatalogError } from '../../core/errors.js';
import { isJsonObject } from '../json-body.js';
import { rpcError, rpcSuccess, type RpcBody } from './envelope.js';
import { runMethod, type RpcMethod } from './methods.js';

export interface RpcTransport {
  correlationId: string;
  address: string;
  client: string;
}

export interface RpcReply {
  /** The catalog status, for transports that carry one (HTTP). */
  status: number;
  body: RpcBody;
}

type Request = Record<string, unknown>;

const credentialOf = (request: Request, field: string): string | undefined => {
  const value = request[field];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/**
 * Who calls, and on which database. An administrator's `authToken` belongs to the database
 * its session lives in; its calls act there, or on the database it selected. A method
 * without a caller acts on the database its `database` field names, or its token's own.
 */
async function contextFor(core: Core, rpc: RpcMethod, request: Request, transport: RpcTransport): Promise<RequestContext> {
  const base: RequestContext = { database: 'main', caller: anonymous, ...transport, nodeId: core.config.nodeId, clock: core.clock };
  if (rpc.credential === 'none') {
    if (request.database !== undefined) {
      if (typeof request.database !== 'string') fail('validation_failed', { message: 'database: Expected a string', details: { field: 'database' } });
      return { ...base, database: await core.directory.resolve(request.database) };
    }
    const token = credentialOf(request, 'sessionToken');
    return { ...base, database: (token && (await core.authenticator.databaseOf(token))) || 'main' };
  }
  const credential = credentialOf(request, 'authToken') ?? (rpc.credential === 'authOrSession' ? credentialOf(request, 'sessionToken') : undefined);
  if (credential === undefined) fail('unauthenticated', { message: rpc.credential === 'authOrSession' ? 'Send authToken or sessionToken.' : 'Send authToken.' });
  const home = await core.authenticator.databaseOf(credential);
  const auth = home === undefined ? undefined : await core.authenticator.user(credential, home);
  if (auth === undefined) {
    await core.throttle.refuseCredential(base.address); // past the address's quota: rate_limited
    fail('unauthenticated', { message: 'The token is not valid.' });
  }
  const database = (await core.tenancy.selected(auth.caller.sessionId)) ?? home!;
  return { ...base, database, caller: auth.caller };
}

export async function dispatchRpc(core: Core, methods: Readonly<Record<string, RpcMethod>>, request: unknown, transport: RpcTransport, log: (err: unknown) => void): Promise<RpcReply> {
  const id = isJsonObject(request) ? request.id : undefined;
  try {
    if (!isJsonObject(request)) fail('validation_failed', { message: 'The request must be a JSON object with a "method".' });
    const name = request.method;
    if (typeof name !== 'string') fail('validation_failed', { message: 'method: Expected a string', details: { field: 'method' } });
    const rpc = Object.hasOwn(methods, name) ? methods[name]! : fail('not_found', { message: `No method named "${name.slice(0, 64)}".` });
    const ctx = await contextFor(core, rpc, request, transport);
    return { status: 200, body: rpcSuccess(await runMethod(rpc, ctx, request), id) };
  } catch (err) {
    const error = toCatalogError(err);
    if (error.code === 'internal') log(err);
    return { status: error.status, body: rpcError(error, id) };
  }
}
