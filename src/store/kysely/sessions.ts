// Sessions on Kysely. Closing keeps the row (active 0, close time, user and data cleared)
// so that the sessions service can still report it; deleting removes it.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ActivityUpdate, ClosedSession, SessionContent, SessionFilter, SessionRecord, SessionRepository } from '../ports.js';
import type { Schema, SessionsTable } from './schema.js';
import { fromJson, toJson } from './json.js';
import type { Engine } from './engine.js';
import { prepared, preparedFamily, type Statements } from './prepared.js';

// Large id lists are split so no statement exceeds an engine's bound-parameter limit.
const idChunk = 500;

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    database: row.database,
    id: row.id,
    tokenDigest: row.token_digest,
    userId: row.user_id,
    userName: row.user_name,
    active: row.active === 1,
    openTime: row.open_time,
    requestTime: row.request_time,
    closeTime: row.close_time,
    expiresAt: row.expires_at,
    address: row.address,
    client: row.client,
    nodeId: row.node_id,
    user: fromJson(row.user_info),
    data: fromJson(row.data),
    mfa: row.mfa === 1,
  };
}

const closedColumns = ['database', 'id', 'token_digest', 'user_id'] as const;
const toClosed = (row: Pick<SessionsTable, (typeof closedColumns)[number]>): ClosedSession => ({
  database: row.database,
  id: row.id,
  tokenDigest: row.token_digest,
  userId: row.user_id,
});

// Every column, named once: the record type makes a missing one a compile error.
const sessionColumns = Object.keys({
  database: true,
  id: true,
  token_digest: true,
  user_id: true,
  user_name: true,
  active: true,
  open_time: true,
  request_time: true,
  close_time: true,
  expires_at: true,
  address: true,
  client: true,
  node_id: true,
  user_info: true,
  data: true,
  mfa: true,
} satisfies Record<keyof SessionsTable, true>) as Array<keyof SessionsTable>;
const insertSession = prepared('session insert', (db, p: SessionsTable) =>
  db.insertInto('sessions').values(Object.fromEntries(sessionColumns.map((column) => [column, p[column]])) as unknown as SessionsTable),
);
const byId = prepared('session by id', (db, p: { database: string; id: string }) =>
  db.selectFrom('sessions').selectAll().where('database', '=', p.database).where('id', '=', p.id),
);
const byTokenDigest = prepared('session by token digest', (db, p: { tokenDigest: string }) =>
  db.selectFrom('sessions').selectAll().where('token_digest', '=', p.tokenDigest),
);
const activeForUser = prepared('active sessions of a user', (db, p: { database: string; userId: string }) =>
  db
    .selectFrom('sessions')
    .selectAll()
    .where('database', '=', p.database)
    .where('user_id', '=', p.userId)
    .where('active', '=', 1)
    .orderBy('open_time', 'asc')
    .orderBy('id', 'asc'),
);

type CloseParams = { database: string; closeTime: number } & Record<`id${number}`, string>;
/**
 * One statement per number of ids, up to a chunk (so at most `idChunk` of them): a login
 * over the session limit closes one, the sweeper and a logout-everywhere close more.
 */
const closeOf = preparedFamily('session close, ids', (count: number) => (db, p: CloseParams) =>
  db
    .updateTable('sessions')
    .set({ active: 0, close_time: p.closeTime, user_info: null, data: null })
    .where('database', '=', p.database)
    .where(
      'id',
      'in',
      Array.from({ length: count }, (_, i) => p[`id${i}`]!),
    )
    .where('active', '=', 1)
    .returning(closedColumns),
);

export class KyselySessionRepository implements SessionRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly engine: Engine,
    private readonly statements: Statements,
  ) {}

  lockUser(database: string, userId: string): Promise<void> {
    return this.engine.lockUser(this.db, database, userId);
  }

  async insert(session: SessionRecord): Promise<void> {
    await this.statements.rows(insertSession, this.db, {
        database: session.database,
        id: session.id,
        token_digest: session.tokenDigest,
        user_id: session.userId,
        user_name: session.userName,
        active: session.active ? 1 : 0,
        open_time: session.openTime,
        request_time: session.requestTime,
        close_time: session.closeTime,
        expires_at: session.expiresAt,
        address: session.address,
        client: session.client,
        node_id: session.nodeId,
        user_info: toJson(session.user),
        data: toJson(session.data),
        mfa: session.mfa ? 1 : 0,
      });
  }

  async findById(database: string, id: string): Promise<SessionRecord | undefined> {
    const [row] = await this.statements.rows(byId, this.db, { database, id });
    return row && toRecord(row);
  }

  async findByTokenDigest(tokenDigest: string): Promise<SessionRecord | undefined> {
    const [row] = await this.statements.rows(byTokenDigest, this.db, { tokenDigest });
    return row && toRecord(row);
  }

  async listActiveForUser(database: string, userId: string): Promise<SessionRecord[]> {
    const rows = await this.statements.rows(activeForUser, this.db, { database, userId });
    return rows.map(toRecord);
  }

  async page(database: string, filter: SessionFilter, skip: number, take: number, withTotal: boolean) {
    let query = this.db.selectFrom('sessions').where('database', '=', database);
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
    if (filter.fromTime !== undefined) query = query.where('open_time', '>=', filter.fromTime);
    if (filter.toTime !== undefined) query = query.where('open_time', '<=', filter.toTime);
    const rows =
      take === 0
        ? []
        : await query.selectAll().orderBy('open_time', 'desc').orderBy('id', 'desc').limit(take).offset(skip).execute();
    let total: number | null = null;
    if (withTotal) {
      const counted = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      total = Number(counted.n);
    }
    return { items: rows.map(toRecord), total };
  }

  async close(database: string, ids: readonly string[], closeTime: number): Promise<ClosedSession[]> {
    const closed: ClosedSession[] = [];
    for (let i = 0; i < ids.length; i += idChunk) {
      const chunk = ids.slice(i, i + idChunk);
      const params: CloseParams = { database, closeTime };
      chunk.forEach((id, n) => (params[`id${n}`] = id));
      const rows = await this.statements.rows(closeOf(chunk.length), this.db, params);
      closed.push(...rows.map(toClosed));
    }
    return closed;
  }

  async closeAllForUser(database: string, userId: string, closeTime: number, exceptId?: string): Promise<ClosedSession[]> {
    let query = this.db
      .updateTable('sessions')
      .set({ active: 0, close_time: closeTime, user_info: null, data: null })
      .where('database', '=', database)
      .where('user_id', '=', userId)
      .where('active', '=', 1);
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
    const rows = await query.returning(closedColumns).execute();
    return rows.map(toClosed);
  }

  async closeStale(now: number, idleCutoff: number, limit: number): Promise<ClosedSession[]> {
    const stale = await this.db
      .selectFrom('sessions')
      .select(closedColumns)
      .where('active', '=', 1)
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('request_time', '<=', idleCutoff)]))
      .limit(limit)
      .execute();
    if (stale.length === 0) return [];
    // Recorded as closed when it actually ran out (its end, or its last use plus the idle
    // timeout), not when the sweep happened to notice: reports stay the same after a sweep.
    const idleMs = now - idleCutoff;
    const ranOut = sql<number>`case when expires_at < request_time + ${idleMs} then expires_at else request_time + ${idleMs} end`;
    const closed: ClosedSession[] = [];
    for (let i = 0; i < stale.length; i += idChunk) {
      const rows = await this.db
        .updateTable('sessions')
        .set({ active: 0, close_time: ranOut, user_info: null, data: null })
        .where('id', 'in', stale.slice(i, i + idChunk).map((row) => row.id))
        .where('active', '=', 1)
        .returning(closedColumns)
        .execute();
      closed.push(...rows.map(toClosed));
    }
    return closed;
  }

  recordActivity(updates: readonly ActivityUpdate[]): Promise<void> {
    return this.engine.recordActivity(this.db, updates, this.statements);
  }

  async updateContent(database: string, id: string, content: SessionContent, requestTime: number): Promise<SessionRecord | undefined> {
    await this.db
      .updateTable('sessions')
      .set({
        request_time: requestTime,
        ...(Object.hasOwn(content, 'data') ? { data: toJson(content.data) } : {}),
        ...(Object.hasOwn(content, 'user') ? { user_info: toJson(content.user) } : {}),
      })
      .where('database', '=', database)
      .where('id', '=', id)
      .execute();
    return this.findById(database, id);
  }

  async delete(database: string, id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.deleteFrom('sessions').where('database', '=', database).where('id', '=', id).returningAll().executeTakeFirst();
    return row && toRecord(row);
  }

  async purgeClosedBefore(cutoff: number, limit: number): Promise<number> {
    // Chosen by id in a subquery: neither engine takes LIMIT on DELETE portably.
    const result = await this.db
      .deleteFrom('sessions')
      .where('id', 'in', (eb) => eb.selectFrom('sessions').select('id').where('active', '=', 0).where('close_time', '<', cutoff).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteAllForUser(database: string, userId: string): Promise<ClosedSession[]> {
    const rows = await this.db.deleteFrom('sessions').where('database', '=', database).where('user_id', '=', userId).returning(closedColumns).execute();
    return rows.map(toClosed);
  }
}
