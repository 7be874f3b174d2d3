// The account messages (SPEC §6), independent of framing and transport: each message name
// with its one catalog operation, its success status and how the operation's result becomes
// `data` (in v2 field names). The v1 and v2 framings, over HTTP or AMQP, all read this table.
import { Type, type TSchema } from '@sinclair/typebox';
import type { Catalog } from '../../operations/catalog.js';
import type { Operation } from '../../operations/operation.js';
import type { UserRecord } from '../../store/ports.js';

export interface MessageDefinition {
  name: string;
  operation: Operation;
  /** 201 for creations, else 200. */
  status: 200 | 201;
  /** The `data` of a success, in v2 names. */
  data: (result: unknown) => unknown;
  dataSchema: TSchema;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const DateTime = Type.String({ format: 'date-time' });
const Jwt = Type.String({ description: 'an access token (JWT); send it as `jwt` (v2) or `authentication_token` (v1)' });

/** Binds an operation to its view while their types still match. */
function message<S extends TSchema, R>(name: string, operation: Operation<S, R>, dataSchema: TSchema, data: (result: R) => unknown, status: 200 | 201 = 200): MessageDefinition {
  return { name, operation: operation as unknown as Operation, status, dataSchema, data: data as (result: unknown) => unknown };
}

const nothing = () => null;
const accountData = (user: UserRecord) => ({
  username: user.username,
  user_email: user.email,
  role: user.role,
  last_login: iso(user.lastLogin),
  created_at: iso(user.createdAt),
  updated_at: iso(user.updatedAt),
});

export function messageTable(catalog: Catalog): ReadonlyMap<string, MessageDefinition> {
  const { tokens, administration: admin, passwords, moderation } = catalog;
  const definitions = [
    message('RequestLoginToken', tokens.login, Jwt, (issued) => issued.token),
    message('RequestInvalidateLoginToken', tokens.invalidate, Type.Object({ invalidated_at: DateTime }), (r) => ({ invalidated_at: iso(r.invalidatedAt) })),
    message('RequestAccountCreate', admin.create, Type.Object({ user_id: Type.String(), created_at: DateTime }), (user) => ({ user_id: user.id, created_at: iso(user.createdAt) }), 201),
    message('RequestAccountReset', passwords.requestReset, Type.Object({ reset_id: Type.String(), expires_at: DateTime }), (r) => ({ reset_id: r.resetId, expires_at: iso(r.expiresAt) })),
    message('RequestAccountPasswordUpdate', passwords.updatePassword, Type.Null(), nothing),
    message('RequestAccountDelete', admin.delete, Type.Null(), nothing),
    message('UpdateAccountPrivileges', admin.changeRole, Type.Null(), nothing),
    message('UpdateAccount', admin.rename, Type.Object({ username: Type.String(), user_email: Type.String(), updated_at: DateTime }), (user) => ({
      username: user.username,
      user_email: user.email,
      updated_at: iso(user.updatedAt),
    })),
    message(
      'RequestAccountData',
      admin.read,
      Type.Object({ username: Type.String(), user_email: Type.String(), role: Type.String(), last_login: Type.Union([DateTime, Type.Null()]), created_at: DateTime, updated_at: DateTime }),
      accountData,
    ),
    message('RequestBanUser', moderation.ban, Type.Null(), nothing),
    message('RequestUnbanUser', moderation.unban, Type.Null(), nothing),
    message('RequestFlagUser', moderation.flag, Type.Null(), nothing),
    message(
      'RequestAllFlagged',
      moderation.flagged,
      Type.Object({
        users: Type.Array(
          Type.Object({ user_id: Type.String(), username: Type.String(), flags: Type.Integer({ description: 'distinct reporters' }), reasons: Type.Array(Type.String()), last_flagged_at: DateTime }),
        ),
      }),
      (accounts) => ({
        users: accounts.map((a) => ({ user_id: a.userId, username: a.username, flags: a.flags, reasons: a.reasons, last_flagged_at: iso(a.lastFlaggedAt) })),
      }),
    ),
    message('RequestUsername', admin.username, Type.Object({ username: Type.String() }), (username) => ({ username })),
    message('RequestTokenRefresh', tokens.issue, Jwt, (issued) => issued.token),
  ];
  return new Map(definitions.map((definition) => [definition.name, definition]));
}
