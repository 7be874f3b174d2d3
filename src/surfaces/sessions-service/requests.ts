// Request bodies → operation input. Only the protocol's named fields are taken, so a client
// that sends more (as clients of the original service may) keeps working. Its clients send
// `filter` as a string map ("active": "true", times as ISO strings), paging numbers may
// arrive as strings and unset paging values as null; those forms are read as the booleans,
// integers and absent values they stand for.
import { fail } from '../../core/errors.js';
import { isJsonObject } from '../json-body.js';

type Body = Record<string, unknown>;

/** The body as an object; an absent body is an empty one, anything but an object is refused. */
export function bodyObject(body: unknown): Body {
  if (body === undefined) return {};
  if (!isJsonObject(body)) fail('validation_failed', { message: 'body: Expected a JSON object', details: { errors: [{ path: '/', message: 'Expected a JSON object' }] } });
  return body;
}

function pick(body: Body, fields: readonly string[]): Body {
  return Object.fromEntries(fields.filter((field) => Object.hasOwn(body, field)).map((field) => [field, body[field]]));
}

const asBoolean = (value: unknown): unknown => (value === 'true' ? true : value === 'false' ? false : value);
const asInteger = (value: unknown): unknown => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value);

/**
 * Picks `fields` of a nested object, null meaning "not given", and reads string forms; a
 * non-object is passed on for validation to refuse.
 */
function nested(body: Body, name: string, fields: Record<string, (value: unknown) => unknown>): Body {
  const value = body[name];
  if (!Object.hasOwn(body, name) || value === null) return {};
  if (!isJsonObject(value)) return { [name]: value };
  const given = Object.entries(pick(value, Object.keys(fields))).filter(([, v]) => v !== null);
  return { [name]: Object.fromEntries(given.map(([field, v]) => [field, fields[field]!(v)])) };
}

const same = (value: unknown) => value;
const byId = (body: Body) => pick(body, ['session_id']);

export const operationInput = {
  get_sessions: (body: Body) => ({
    ...nested(body, 'filter', { user_id: same, active: asBoolean, from_time: same, to_time: same }),
    ...nested(body, 'paging', { skip: asInteger, take: asInteger, total: asBoolean }),
  }),
  get_session_by_id: byId,
  open_session: (body: Body) => pick(body, ['user_id', 'user_name', 'address', 'client', 'user', 'data']),
  store_session_data: (body: Body) => pick(body, ['session_id', 'data']),
  update_session_user: (body: Body) => pick(body, ['session_id', 'user']),
  close_session: byId,
  delete_session_by_id: byId,
} satisfies Record<string, (body: Body) => Body>;
