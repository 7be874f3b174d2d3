// Token-signing keys and TOTP second factors on Kysely. Both hold only sealed secrets.
import type { Kysely, Selectable } from 'kysely';
import type { SigningKeyRecord, SigningKeyRepository, TotpRecord, TotpRepository } from '../ports.js';
import type { Schema, SigningKeysTable, TotpCredentialsTable } from './schema.js';
import { translateUnique } from './driver-errors.js';
import { prepared, type Statements } from './prepared.js';

const toSigningKey = (row: Selectable<SigningKeysTable>): SigningKeyRecord => ({
  kid: row.kid,
  algorithm: row.algorithm as SigningKeyRecord['algorithm'],
  publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
  sealedPrivateKey: row.sealed_private_key,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
});

export class KyselySigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async insert(key: SigningKeyRecord): Promise<void> {
    await translateUnique(
      () =>
        this.db
          .insertInto('signing_keys')
          .values({
            kid: key.kid,
            algorithm: key.algorithm,
            public_jwk: JSON.stringify(key.publicJwk),
            sealed_private_key: key.sealedPrivateKey,
            created_at: key.createdAt,
            retired_at: key.retiredAt,
          })
          .execute(),
      {},
    );
  }

  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
    return rows.map(toSigningKey);
  }

  async retireAllExcept(exceptKid: string, at: number): Promise<string[]> {
    const rows = await this.db.updateTable('signing_keys').set({ retired_at: at }).where('retired_at', 'is', null).where('kid', '!=', exceptKid).returning('kid').execute();
    return rows.map((row) => row.kid);
  }

  async deleteRetiredBefore(before: number): Promise<number> {
    const result = await this.db.deleteFrom('signing_keys').where('retired_at', 'is not', null).where('retired_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async replaceSealedPrivateKey(kid: string, sealed: string): Promise<void> {
    await this.db.updateTable('signing_keys').set({ sealed_private_key: sealed }).where('kid', '=', kid).execute();
  }
}

const toTotp = (row: Selectable<TotpCredentialsTable>): TotpRecord => ({
  database: row.database,
  userId: row.user_id,
  sealedSecret: row.sealed_secret,
  enabled: row.enabled === 1,
  lastStep: row.last_step,
  createdAt: row.created_at,
});

// Asked on every login, with or without a second factor.
const totpOfUser = prepared('TOTP credential of a user', (db, p: { database: string; userId: string }) =>
  db.selectFrom('totp_credentials').selectAll().where('database', '=', p.database).where('user_id', '=', p.userId),
);

export class KyselyTotpRepository implements TotpRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly statements: Statements,
  ) {}

  async find(database: string, userId: string): Promise<TotpRecord | undefined> {
    const [row] = await this.statements.rows(totpOfUser, this.db, { database, userId });
    return row && toTotp(row);
  }

  async put(record: TotpRecord): Promise<void> {
    const enabled = record.enabled ? 1 : 0;
    // Only a pending enrolment may be replaced; an enabled one must be disabled first.
    const replaced = await this.db
      .updateTable('totp_credentials')
      .set({ sealed_secret: record.sealedSecret, enabled, last_step: record.lastStep, created_at: record.createdAt })
      .where('database', '=', record.database)
      .where('user_id', '=', record.userId)
      .where('enabled', '=', 0)
      .executeTakeFirst();
    if (Number(replaced.numUpdatedRows) > 0) return;
    await translateUnique(
      () =>
        this.db
          .insertInto('totp_credentials')
          .values({ database: record.database, user_id: record.userId, sealed_secret: record.sealedSecret, enabled, last_step: record.lastStep, created_at: record.createdAt })
          .execute(),
      {},
    );
  }

  async consumeStep(database: string, userId: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('totp_credentials')
      .set({ last_step: step, enabled: 1 })
      .where('database', '=', database)
      .where('user_id', '=', userId)
      .where('last_step', '<', step)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(database: string, userId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('totp_credentials').where('database', '=', database).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listAll(): Promise<TotpRecord[]> {
    return (await this.db.selectFrom('totp_credentials').selectAll().execute()).map(toTotp);
  }

  async replaceSealedSecret(database: string, userId: string, sealed: string): Promise<void> {
    await this.db.updateTable('totp_credentials').set({ sealed_secret: sealed }).where('database', '=', database).where('user_id', '=', userId).execute();
  }
}
