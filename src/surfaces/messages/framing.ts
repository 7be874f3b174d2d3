// A framing is one spelling of the message API: how its field names map to the v2 names
// the operations use, both ways. `runMessage` runs one message in a framing for any
// transport (HTTP today, AMQP later): the transport brings the body, the credential and
// the context, and gets back a status with data, or a catalog error, to put on its wire.
import type { Core } from '../../app.js';
import { anonymous, type RequestContext } from '../../core/context.js';
import { fail, GatehouseError, toCatalogError } from '../../core/errors.js';
import { invoke } from '../../operations/operation.js';
import { isJsonObject } from '../json-body.js';
import { messageTable, type MessageDefinition } from './table.js';

export interface Framing {
  name: 'v1' | 'v2';
  /** Wire name → v2 name, for the fields this framing spells differently. */
  requestNames: Readonly<Record<string, string>>;
  /** v2 name → wire name, for the top-level fields of `data`. */
  dataNames: Readonly<Record<string, string>>;
}

export const v1Framing: Framing = {
  name: 'v1',
  // As the first API document writes them; fields it does not name keep their v2 names.
  requestNames: { 'user-email': 'user_email', 'old-password': 'old_password', 'new-password': 'new_password', 'new-privileges': 'new_privileges', 'user-id': 'user_id' },
  dataNames: { user_email: 'user-email', last_login: 'last-login', user_id: 'user-id' },
};

export const v2Framing: Framing = { name: 'v2', requestNames: {}, dataNames: {} };

export type MessageOutcome = { ok: true; status: number; data: unknown } | { ok: false; error: GatehouseError };

/** The wire spelling of a v2 field name in `framing`. */
export function wireName(framing: Framing, v2Name: string): string {
  return framing.dataNames[v2Name] ?? Object.entries(framing.requestNames).find(([, v2]) => v2 === v2Name)?.[0] ?? v2Name;
}

/** The body's fields under their v2 names; a v2 spelling of a field this framing spells otherwise is refused. */
export function toOperationInput(framing: Framing, body: Record<string, unknown>): Record<string, unknown> {
  const renamed = new Set(Object.values(framing.requestNames));
  const input: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (renamed.has(field)) fail('validation_failed', { message: `${field}: use ${wireName(framing, field)} in ${framing.name}`, details: { field: wireName(framing, field) } });
    input[framing.requestNames[field] ?? field] = value;
  }
  return input;
}

export function toWireData(framing: Framing, data: unknown): unknown {
  if (!isJsonObject(data)) return data;
  return Object.fromEntries(Object.entries(data).map(([field, value]) => [framing.dataNames[field] ?? field, value]));
}

/** A validation error naming fields as the client wrote them. */
function inWireNames(framing: Framing, error: GatehouseError): GatehouseError {
  const names = [...Object.values(framing.requestNames), ...Object.keys(framing.dataNames)];
  if (error.code !== 'validation_failed' || names.length === 0) return error;
  const rename = (text: string) => names.reduce((t, v2) => t.replace(new RegExp(`(?<![\\w-])${v2}(?![\\w-])`, 'g'), wireName(framing, v2)), text);
  const details = error.details && (JSON.parse(rename(JSON.stringify(error.details))) as Record<string, unknown>);
  return new GatehouseError(error.code, { message: rename(error.message), details, cause: error });
}

const tables = new WeakMap<Core, ReadonlyMap<string, MessageDefinition>>();

export function messagesOf(core: Core): ReadonlyMap<string, MessageDefinition> {
  let table = tables.get(core);
  if (table === undefined) tables.set(core, (table = messageTable(core.catalog)));
  return table;
}

export interface MessageCall {
  name: string;
  /** The parsed body; absent means an empty object. */
  body: unknown;
  /** A session token or access token, when the transport carried one. */
  credential: string | undefined;
  /** The call's context (database, correlation id, address…), built by the transport. */
  context: () => Promise<RequestContext>;
  /** Logs an unexpected error; the client sees only `internal`. */
  log: (err: unknown) => void;
}

/** Runs one message; never throws. */
export async function runMessage(core: Core, framing: Framing, call: MessageCall): Promise<MessageOutcome> {
  try {
    const message = messagesOf(core).get(call.name) ?? fail('not_found', { message: `No such message: ${call.name.slice(0, 64)}.` });
    const base = await call.context();
    let caller = base.caller ?? anonymous;
    if (call.credential !== undefined) {
      // A credential that was sent must be good, whatever the message: a client whose
      // token has expired hears so rather than being served as a stranger.
      const auth = await core.authenticator.user(call.credential, base.database);
      if (auth === undefined) await core.throttle.refuseCredential(base.address); // past the address's quota: rate_limited
      caller = auth?.caller ?? fail('unauthenticated', { message: 'The token is not valid.' });
    }
    const body = call.body === undefined ? {} : call.body;
    if (!isJsonObject(body)) fail('validation_failed', { message: 'body: Expected a JSON object', details: { errors: [{ path: '/', message: 'Expected a JSON object' }] } });
    const input = toOperationInput(framing, body);
    // The operation names fields in v2 spelling; the client hears its own.
    let result: unknown;
    try {
      result = await invoke(message.operation, { ...base, caller }, input);
    } catch (err) {
      throw err instanceof GatehouseError ? inWireNames(framing, err) : err;
    }
    return { ok: true, status: message.status, data: toWireData(framing, message.data(result)) };
  } catch (err) {
    const error = toCatalogError(err);
    if (error.code === 'internal') call.log(err);
    return { ok: false, error };
  }
}
