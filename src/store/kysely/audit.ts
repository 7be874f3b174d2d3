// Audit events and service keys on Kysely.
import type { Kysely } from 'kysely';
import type { AuditEvent, AuditRepository, ServiceKeyRecord, ServiceKeyRepository } from '../ports.js';
import type { AuditEventsTable, Schema } from './schema.js';
import { translateUnique } from './driver-errors.js';
import { fromJson, toJson } from './json.js';
import { prepared, type Statements } from './prepared.js';

type AuditRow = Omit<AuditEventsTable, 'id'>;
const appendEvent = prepared('audit event insert', (db, p: AuditRow) =>
  db.insertInto('audit_events').values({
    database: p.database,
    at: p.at,
    type: p.type,
    actor: p.actor,
    target: p.target,
    address: p.address,
    node_id: p.node_id,
    details: p.details,
  }),
);

export class KyselyAuditRepository implements AuditRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly statements: Statements,
  ) {}

  async append(event: AuditEvent): Promise<void> {
    await this.statements.rows(appendEvent, this.db, {
      database: event.database,
      at: event.at,
      type: event.type,
      actor: event.actor,
      target: event.target,
      address: event.address,
      node_id: event.nodeId,
      details: toJson(event.details),
    });
  }

  async listForTarget(database: string, target: string, limit: number): Promise<AuditEvent[]> {
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('database', '=', database)
      .where('target', '=', target)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      database: row.database,
      at: row.at,
      type: row.type,
      actor: row.actor,
      target: row.target,
      address: row.address,
      nodeId: row.node_id,
      details: fromJson(row.details) as Record<string, unknown> | null,
    }));
  }

  async deleteForUser(database: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('audit_events')
      .where('database', '=', database)
      .where((eb) => eb.or([eb('actor', '=', userId), eb('target', '=', userId)]))
      .execute();
  }

  async purgeBefore(cutoff: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('audit_events')
      .where('id', 'in', (eb) => eb.selectFrom('audit_events').select('id').where('at', '<', cutoff).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

export class KyselyServiceKeyRepository implements ServiceKeyRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async insert(key: ServiceKeyRecord): Promise<void> {
    await translateUnique(
      () =>
        this.db
          .insertInto('service_keys')
          .values({ name: key.name, database: key.database, key_digest: key.keyDigest, created_at: key.createdAt, revoked_at: key.revokedAt })
          .execute(),
      {},
    );
  }

  async findByDigest(keyDigest: string): Promise<ServiceKeyRecord | undefined> {
    const row = await this.db.selectFrom('service_keys').selectAll().where('key_digest', '=', keyDigest).executeTakeFirst();
    return row && { name: row.name, database: row.database, keyDigest: row.key_digest, createdAt: row.created_at, revokedAt: row.revoked_at };
  }

  async revoke(name: string, revokedAt: number): Promise<ServiceKeyRecord | undefined> {
    const row = await this.db
      .updateTable('service_keys')
      .set({ revoked_at: revokedAt })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && { name: row.name, database: row.database, keyDigest: row.key_digest, createdAt: row.created_at, revokedAt: row.revoked_at };
  }
}
