// The RPC methods of SPEC §5, each mapped onto a catalog operation: which credential it
// reads, how its wire fields (`user`, `secret`, `nodeID`, `dbname`) become the operation's
// input, and how the result becomes reply fields with the source's strings ("True").
import type { TSchema } from '@sinclair/typebox';
import type { Catalog } from '../../operations/catalog.js';
import { authorize, invoke, type Operation } from '../../operations/operation.js';
import type { Permission } from '../../core/permissions.js';
import type { RequestContext } from '../../core/context.js';
import { GatehouseError } from '../../core/errors.js';
import type { RpcBody } from './envelope.js';

/**
 * `none`: anyone (the method reads its own token, if any); `authToken`: the caller is the
 * holder of `authToken`; `authOrSession`: of `authToken`, else of `sessionToken`.
 */
export type RpcCredential = 'none' | 'authToken' | 'authOrSession';

type Request = Record<string, unknown>;

export interface RpcMethod {
  credential: RpcCredential;
  operation: Operation;
  /** Operation input field → the wire field it comes from; fields not named here are not read. */
  fields: Readonly<Record<string, string>>;
  reply(result: unknown, request: Request): RpcBody;
  /** The reply when the presented token is unknown or dead, for methods where that is an answer. */
  whenUnauthenticated?(request: Request): RpcBody;
  /** A permission the RPC asks for on top of the operation's own access rule. */
  alsoRequires?: Permission;
  /** Input for operation fields the request leaves out. */
  defaults?(request: Request): Request;
}

const sessionStatus = (live: boolean) => (live ? 'True' : 'False');

function method<S extends TSchema, R>(
  credential: RpcCredential,
  operation: Operation<S, R>,
  fields: Record<string, string>,
  reply: (result: R, request: Request) => RpcBody,
  whenUnauthenticated?: (request: Request) => RpcBody,
): RpcMethod {
  return { credential, operation: operation as unknown as Operation, fields, reply: reply as RpcMethod['reply'], whenUnauthenticated };
}

export function rpcMethods(catalog: Catalog): Readonly<Record<string, RpcMethod>> {
  const { sessions, administration, userAdministration, databases } = catalog;
  const user = { username: 'user' };
  const closed = (request: Request) => ({ sessionToken: request.sessionToken, sessionStatus: sessionStatus(false), nodeID: null });
  return {
    open_session: method(
      'none',
      sessions.login,
      { username: 'authentication/user', password: 'authentication/secret', totp: 'authentication/totp', node_id: 'nodeID' },
      (result) => ({ sessionToken: result.opened.token }),
    ),
    // Closing a session that is already closed (or unknown) leaves it closed: the same answer.
    close_session: method('none', sessions.logout, { token: 'sessionToken' }, () => ({ sessionStatus: sessionStatus(false) }), () => ({ sessionStatus: sessionStatus(false) })),
    validate_session: method(
      'none',
      sessions.validate,
      { token: 'sessionToken' },
      (session, request) => ({ sessionToken: request.sessionToken, sessionStatus: sessionStatus(true), nodeID: session.nodeId }),
      closed,
    ),
    // The same operation as every other account creation, behind the RPC's stricter gate.
    create_user: {
      ...method('authToken', administration.create, { username: 'user', password: 'secret', user_email: 'email', role: 'role' }, (created) => ({ user: created.username })),
      alsoRequires: 'accounts.manage',
      // The protocol has no email; `.invalid` is reserved, unique per user and never receives mail.
      defaults: (request) => ({ user_email: typeof request.user === 'string' ? `${request.user.normalize('NFKC').toLowerCase()}@users.invalid` : undefined }),
    },
    delete_user: method('authToken', userAdministration.deleteUser, user, () => ({ accountStatus: 'deleted' })),
    suspend_user: method('authToken', userAdministration.suspendUser, user, (u) => ({ accountStatus: u.status })),
    reinstate_user: method('authToken', userAdministration.reinstateUser, user, (u) => ({ accountStatus: u.status })),
    status_user: method('authOrSession', userAdministration.statusUser, user, (u) => ({ userStatus: u.status })),
    export_user: method('authToken', userAdministration.exportUser, user, (userdata) => ({ userdata })),
    unlock_user: method('authToken', userAdministration.unlockUser, user, (u) => ({ accountStatus: u.status })),
    create_database: method('authToken', databases.create, { dbname: 'dbname' }, () => ({})),
    delete_database: method('authToken', databases.delete, { dbname: 'dbname' }, () => ({})),
    select_database: method('authToken', databases.select, { dbname: 'dbname' }, (activedb) => ({ activedb })),
    list_databases: method('authToken', databases.list, {}, (names) => ({ databases: names })),
  };
}

/** A wire field by its path (`authentication/user`); undefined when any step is missing. */
function wireValue(request: Request, path: string): unknown {
  let value: unknown = request;
  for (const step of path.split('/')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
    value = (value as Request)[step];
  }
  return value;
}

/** The operation input of an RPC request: its named fields, renamed. */
export function inputOf(rpc: RpcMethod, request: Request): Request {
  const input: Request = {};
  for (const [field, value] of Object.entries(rpc.defaults?.(request) ?? {})) if (value !== undefined) input[field] = value;
  for (const [field, wire] of Object.entries(rpc.fields)) {
    const value = wireValue(request, wire);
    if (value !== undefined) input[field] = value;
  }
  return input;
}

/** Validation messages name the wire fields the client sent, not the operation's. */
function inWireTerms(error: GatehouseError, fields: Readonly<Record<string, string>>): GatehouseError {
  if (error.code !== 'validation_failed') return error;
  const toWire = new Map(Object.entries(fields));
  const rename = (text: string) => text.replace(/^(\/?)(\w+)/, (whole, slash: string, name: string) => (toWire.has(name) ? slash + toWire.get(name)! : whole));
  const errors = (error.details?.errors as Array<{ path: string; message: string }> | undefined)?.map((e) => ({ ...e, path: rename(e.path) }));
  return new GatehouseError('validation_failed', { message: rename(error.message), details: errors ? { ...error.details, errors } : error.details, cause: error });
}

export async function runMethod(rpc: RpcMethod, ctx: RequestContext, request: Request): Promise<RpcBody> {
  try {
    if (rpc.alsoRequires !== undefined) authorize(rpc.alsoRequires, ctx.caller);
    return rpc.reply(await invoke(rpc.operation, ctx, inputOf(rpc, request)), request);
  } catch (err) {
    if (!(err instanceof GatehouseError)) throw err;
    if (err.code === 'unauthenticated' && rpc.whenUnauthenticated) return rpc.whenUnauthenticated(request);
    throw inWireTerms(err, rpc.fields);
  }
}
