// How the REST user API shows domain records: field names and ISO 8601 times as SPEC §3
// writes them, with the schemas that document them.
import { Type } from '@sinclair/typebox';
import type { SessionRecord, UserRecord } from '../../store/ports.js';

// The same few expiry times are formatted on every validation of the same sessions: a
// bounded memo saves a Date and its formatting per request.
const isoMemo = new Map<number, string>();
const isoMemoSize = 10_000;

export function iso(ms: number): string {
  let text = isoMemo.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (isoMemo.size >= isoMemoSize) isoMemo.delete(isoMemo.keys().next().value as number);
    isoMemo.set(ms, text);
  }
  return text;
}
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);

export const UserView = Type.Object({
  user_id: Type.String(),
  username: Type.String(),
  email: Type.String(),
  full_name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('user'), Type.Literal('moderator'), Type.Literal('admin')]),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('banned')]),
  last_login: NullableDateTime,
  created_at: DateTime,
  updated_at: DateTime,
});

export function userView(user: UserRecord) {
  return {
    user_id: user.id,
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    role: user.role,
    status: user.status,
    last_login: isoOrNull(user.lastLogin),
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
}

export const RegisteredView = Type.Object({ user_id: Type.String(), username: Type.String(), email: Type.String(), created_at: DateTime });

export const SessionView = Type.Object({ session_id: Type.String(), user_id: Type.String(), expires_at: DateTime });

export function sessionView(session: Pick<SessionRecord, 'id' | 'userId' | 'expiresAt'>) {
  return { session_id: session.id, user_id: session.userId, expires_at: iso(session.expiresAt) };
}

export const OwnSessionView = Type.Object({
  id: Type.String(),
  open_time: DateTime,
  request_time: DateTime,
  address: Type.Union([Type.String(), Type.Null()]),
  client: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});

export function ownSessionView({ session, current }: { session: SessionRecord; current: boolean }) {
  return {
    id: session.id,
    open_time: iso(session.openTime),
    request_time: iso(session.requestTime),
    address: session.address,
    client: session.client,
    current,
  };
}

export const PermissionsView = Type.Object({ role: Type.String(), permissions: Type.Array(Type.String()) });
export const SessionIdView = Type.Object({ session_id: Type.String() });
export const UserIdView = Type.Object({ user_id: Type.String() });

export const TokenView = Type.Object({ token: Type.String({ description: 'a JWT; send it as Authorization: Bearer' }), expires_at: DateTime });

export const TotpEnrolmentView = Type.Object({
  otpauth_url: Type.String({ description: 'otpauth://totp/… for an authenticator app (as a QR code)' }),
  secret: Type.String({ description: 'the same secret in base32, for typing in' }),
});

export const TotpStateView = Type.Object({ enabled: Type.Boolean() });
