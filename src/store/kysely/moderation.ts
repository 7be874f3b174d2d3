// Flags (users' reports of accounts) and password-reset codes on Kysely. Both rows belong
// to a user of one database and are removed with that user by the schema's cascades.
import type { Kysely, Selectable } from 'kysely';
import type { FlaggedAccount, FlagRecord, FlagRepository, ResetCodeRecord, ResetCodeRepository } from '../ports.js';
import type { FlagsTable, ResetCodesTable, Schema } from './schema.js';

const toFlag = (row: Selectable<FlagsTable>): FlagRecord => ({
  database: row.database,
  userId: row.user_id,
  reporterId: row.reporter_id,
  reason: row.reason,
  flaggedAt: Number(row.flagged_at),
});

export class KyselyFlagRepository implements FlagRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async put(flag: FlagRecord): Promise<void> {
    // Primary key (database, user_id, reporter_id): a second report by the same user
    // replaces the first rather than counting twice.
    await this.db
      .insertInto('flags')
      .values({ database: flag.database, user_id: flag.userId, reporter_id: flag.reporterId, reason: flag.reason, flagged_at: flag.flaggedAt })
      .onConflict((oc) => oc.columns(['database', 'user_id', 'reporter_id']).doUpdateSet({ reason: flag.reason, flagged_at: flag.flaggedAt }))
      .execute();
  }

  async listForUser(database: string, userId: string): Promise<FlagRecord[]> {
    const rows = await this.db
      .selectFrom('flags')
      .selectAll()
      .where('database', '=', database)
      .where('user_id', '=', userId)
      .orderBy('flagged_at')
      .orderBy('reporter_id')
      .execute();
    return rows.map(toFlag);
  }

  async listFlagged(database: string): Promise<FlaggedAccount[]> {
    // One read of every report with its account's name; grouped here so the reasons keep
    // their order on both engines without engine-specific aggregate functions.
    const rows = await this.db
      .selectFrom('flags')
      .innerJoin('users', (join) => join.onRef('users.database', '=', 'flags.database').onRef('users.id', '=', 'flags.user_id'))
      .select(['flags.user_id', 'flags.reason', 'flags.flagged_at', 'users.username'])
      .where('flags.database', '=', database)
      .orderBy('flags.flagged_at')
      .orderBy('flags.reporter_id')
      .execute();
    const byUser = new Map<string, FlaggedAccount>();
    for (const row of rows) {
      const at = Number(row.flagged_at);
      let account = byUser.get(row.user_id);
      if (account === undefined) {
        account = { userId: row.user_id, username: row.username, flags: 0, reasons: [], lastFlaggedAt: at };
        byUser.set(row.user_id, account);
      }
      account.flags++;
      account.lastFlaggedAt = Math.max(account.lastFlaggedAt, at);
      if (row.reason !== null && !account.reasons.includes(row.reason)) account.reasons.push(row.reason);
    }
    return [...byUser.values()].sort((a, b) => b.lastFlaggedAt - a.lastFlaggedAt || a.userId.localeCompare(b.userId));
  }
}

const toResetCode = (row: Selectable<ResetCodesTable>): ResetCodeRecord => ({
  database: row.database,
  id: row.id,
  userId: row.user_id,
  codeDigest: row.code_digest,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  failedAttempts: Number(row.failed_attempts),
  usedAt: row.used_at === null ? null : Number(row.used_at),
});

export class KyselyResetCodeRepository implements ResetCodeRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async issue(record: ResetCodeRecord): Promise<void> {
    // Earlier codes are deleted, not kept: a code that can never be used is no record worth keeping.
    await this.db.deleteFrom('reset_codes').where('database', '=', record.database).where('user_id', '=', record.userId).execute();
    await this.db
      .insertInto('reset_codes')
      .values({
        database: record.database,
        id: record.id,
        user_id: record.userId,
        code_digest: record.codeDigest,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        failed_attempts: record.failedAttempts,
        used_at: record.usedAt,
      })
      .execute();
  }

  async findLive(database: string, userId: string, now: number, maxAttempts: number): Promise<ResetCodeRecord | undefined> {
    const row = await this.db
      .selectFrom('reset_codes')
      .selectAll()
      .where('database', '=', database)
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .where('failed_attempts', '<', maxAttempts)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row && toResetCode(row);
  }

  async recordFailure(database: string, id: string): Promise<number> {
    const row = await this.db
      .updateTable('reset_codes')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('database', '=', database)
      .where('id', '=', id)
      .returning('failed_attempts')
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.failed_attempts);
  }

  async consume(database: string, id: string, now: number, maxAttempts: number): Promise<boolean> {
    // Conditional, so two requests presenting the same code cannot both succeed.
    const result = await this.db
      .updateTable('reset_codes')
      .set({ used_at: now })
      .where('database', '=', database)
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .where('failed_attempts', '<', maxAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
