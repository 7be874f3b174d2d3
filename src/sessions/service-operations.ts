// Sessions-service operations (SPEC §4) for back-end callers holding `sessions.manage`: list,
// read, open, store data in, close and delete any session of the caller's database. They act
// on the same SessionService as logins, so limits, expiry and revocation are shared.
import { Type, type TSchema } from '@sinclair/typebox';
import type { AuditLog } from '../audit/log.js';
import { fail } from '../core/errors.js';
import { ensureMayOpenSession } from '../accounts/standing.js';
import { defineOperation } from '../operations/operation.js';
import type { SessionRecord } from '../store/ports.js';
import type { SessionService } from './service.js';

export const defaultTake = 100;
export const maxTake = 1000;

const access = 'sessions.manage';
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const SessionId = Type.String({ minLength: 1, maxLength: 128, description: 'the session id' });
const ShortText = Type.String({ maxLength: 256 });
const Time = Type.String({ maxLength: 64, description: 'ISO 8601, e.g. 2026-01-01T00:00:00Z; without an offset it is read as UTC' });
const AnyJson = Type.Unknown({ description: 'any JSON value' });
const byId = Type.Object({ session_id: SessionId }, { additionalProperties: false });

// A calendar date, or a date and time with an optional offset; nothing else Date.parse accepts.
const isoTime = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/** Milliseconds of an ISO 8601 time, or NaN. Date.parse alone would roll 02-30 over into March. */
function parseIsoTime(text: string): number {
  const match = isoTime.exec(text);
  if (match === null) return NaN;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return NaN;
  // A time without an offset would otherwise be read in the server's own time zone.
  const hasTime = match[4] !== undefined;
  return Date.parse(hasTime && match[7] === undefined ? `${text}Z` : text);
}

function timeOf(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoTime(text);
  if (Number.isNaN(ms)) {
    const message = 'Expected an ISO 8601 date or date-time';
    fail('validation_failed', { message: `filter/${field}: ${message}`, details: { errors: [{ path: `/filter/${field}`, message }] } });
  }
  return ms;
}

/** Refuses session content larger than the configured limit, measured as UTF-8 JSON. */
function checkSize(field: string, value: unknown, limitBytes: number): void {
  const bytes = value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > limitBytes) {
    fail('payload_too_large', { message: `${field}: is ${bytes} bytes of JSON; at most ${limitBytes} are kept.`, details: { field, limit_bytes: limitBytes } });
  }
}

export function sessionServiceOperations(sessions: SessionService, audit: AuditLog) {
  return {
    getSessions: defineOperation({
      name: 'sessions_service.get_sessions',
      summary: 'A page of the database’s sessions, newest first, filtered by user, state and opening time.',
      access,
      input: Type.Object(
        {
          filter: Type.Optional(
            Type.Object(
              {
                user_id: Type.Optional(Type.String({ maxLength: 128 })),
                active: Type.Optional(Type.Boolean()),
                from_time: Type.Optional(Time),
                to_time: Type.Optional(Time),
              },
              { additionalProperties: false, description: 'the time range (inclusive) applies to open_time' },
            ),
          ),
          paging: Type.Optional(
            Type.Object(
              {
                skip: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
                take: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: defaultTake, description: `clamped to ${maxTake}` })),
                total: Type.Optional(Type.Boolean({ default: false, description: 'count every match' })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        const filter = input.filter ?? {};
        const paging = input.paging ?? {};
        const page = await sessions.page(
          ctx.database,
          {
            userId: filter.user_id,
            active: filter.active,
            fromTime: timeOf('from_time', filter.from_time),
            toTime: timeOf('to_time', filter.to_time),
          },
          paging.skip ?? 0,
          Math.min(paging.take ?? defaultTake, maxTake),
          paging.total ?? false,
        );
        return { data: page.items, total: page.total };
      },
    }),

    getSessionById: defineOperation({
      name: 'sessions_service.get_session_by_id',
      summary: 'One session, open or closed; null when there is none with this id.',
      access,
      input: byId,
      handler: async (ctx, input): Promise<SessionRecord | null> => {
        const session = await sessions.find(ctx.database, input.session_id);
        return session === undefined ? null : sessions.reported(session);
      },
    }),

    openSession: defineOperation({
      name: 'sessions_service.open_session',
      summary: 'Open a session for a user of this database or an external user id; the per-user limit applies.',
      access,
      input: Type.Object(
        {
          user_id: Type.String({ minLength: 1, maxLength: 128, description: 'a user of this database, or any external id' }),
          user_name: Type.Optional(Nullable(ShortText)),
          address: Type.Optional(Nullable(ShortText)),
          client: Type.Optional(Nullable(ShortText)),
          user: Type.Optional(AnyJson),
          data: Type.Optional(AnyJson),
        },
        { additionalProperties: false },
      ),
      handler: async (ctx, input) => {
        checkSize('user', input.user, sessions.dataLimitBytes);
        checkSize('data', input.data, sessions.dataLimitBytes);
        const local = await sessions.localUser(ctx.database, input.user_id);
        // A local user who may not log in may not hold a session by this route either.
        if (local !== undefined) ensureMayOpenSession(local, ctx.clock.now());
        const opened = await sessions.open({
          database: ctx.database,
          userId: input.user_id,
          userName: input.user_name ?? local?.username ?? null,
          address: input.address ?? null,
          client: input.client ?? null,
          user: input.user ?? null,
          data: input.data ?? null,
        });
        const replaced = opened.replaced.map((s) => s.id);
        await audit.record(ctx, 'session.opened', { target: input.user_id, details: { session_id: opened.session.id, ...(replaced.length ? { replaced } : {}) } });
        return sessions.reported(opened.session);
      },
    }),

    storeSessionData: defineOperation({
      name: 'sessions_service.store_session_data',
      summary: 'Replace the data of a live session; a closed session is a conflict.',
      access,
      input: Type.Object({ session_id: SessionId, data: AnyJson }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        checkSize('data', input.data, sessions.dataLimitBytes);
        return sessions.storeContent(ctx.database, input.session_id, { data: input.data });
      },
    }),

    updateSessionUser: defineOperation({
      name: 'sessions_service.update_session_user',
      summary: 'Replace the user value of a live session; a closed session is a conflict.',
      access,
      input: Type.Object({ session_id: SessionId, user: AnyJson }, { additionalProperties: false }),
      handler: async (ctx, input) => {
        checkSize('user', input.user, sessions.dataLimitBytes);
        return sessions.storeContent(ctx.database, input.session_id, { user: input.user });
      },
    }),

    closeSession: defineOperation({
      name: 'sessions_service.close_session',
      summary: 'Close a session, keeping its record; closing a closed session changes nothing.',
      access,
      input: byId,
      handler: async (ctx, input) => {
        const id = input.session_id;
        if ((await sessions.find(ctx.database, id)) === undefined) fail('not_found', { message: 'No session with this id.' });
        const [closed] = await sessions.close(ctx.database, [id]);
        if (closed !== undefined) await audit.record(ctx, 'session.closed', { target: closed.userId, details: { session_id: id } });
        const after = (await sessions.find(ctx.database, id)) ?? fail('not_found', { message: 'No session with this id.' });
        return sessions.reported(after);
      },
    }),

    deleteSessionById: defineOperation({
      name: 'sessions_service.delete_session_by_id',
      summary: 'Delete a session record for good; null when there is none with this id.',
      access,
      input: byId,
      handler: async (ctx, input): Promise<SessionRecord | null> => {
        const session = await sessions.delete(ctx.database, input.session_id);
        if (session === undefined) return null;
        await audit.record(ctx, 'session.deleted', { target: session.userId, details: { session_id: session.id } });
        return session;
      },
    }),
  };
}
