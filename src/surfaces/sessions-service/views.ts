// How the sessions service shows sessions: SessionV1 with exactly the protocol's eleven
// fields, ISO 8601 times and null where unset, and DataPage for lists.
import { Type, type TSchema } from '@sinclair/typebox';
import type { SessionRecord } from '../../store/ports.js';

const DateTime = Type.String({ format: 'date-time' });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const SessionV1 = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  user_name: NullableString,
  active: Type.Boolean({ description: 'false once closed, expired or idle' }),
  open_time: DateTime,
  request_time: DateTime,
  close_time: Type.Union([DateTime, Type.Null()]),
  address: NullableString,
  client: NullableString,
  user: Type.Unknown({ description: 'what open_session stored; null once closed' }),
  data: Type.Unknown({ description: 'what store_session_data stored; null once closed' }),
});

export const DataPage = (item: TSchema) =>
  Type.Object({ data: Type.Array(item), total: Type.Union([Type.Integer(), Type.Null()], { description: 'null unless paging.total was true' }) });

const iso = (ms: number): string => new Date(ms).toISOString();

export function sessionV1(session: SessionRecord) {
  return {
    id: session.id,
    user_id: session.userId,
    user_name: session.userName,
    active: session.active,
    open_time: iso(session.openTime),
    request_time: iso(session.requestTime),
    close_time: session.closeTime === null ? null : iso(session.closeTime),
    address: session.address,
    client: session.client,
    user: session.user ?? null,
    data: session.data ?? null,
  };
}

export const sessionV1OrNull = (session: SessionRecord | null) => (session === null ? null : sessionV1(session));

export const dataPage = (page: { data: SessionRecord[]; total: number | null }) => ({ data: page.data.map(sessionV1), total: page.total });
