// The scale-out shape: each store is a PostgreSQL database of its own (created for the run,
// dropped at the end), and servers get Redis for the bus and the throttle counters. The
// server URLs come from BENCH_DATABASE_URL (any database on the server; default the local
// postgres) and BENCH_REDIS_URL (default the local Redis).
import { basename } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgresStore } from '../../src/store/kysely/postgres.js';
import type { Shape } from './shape.js';

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `postgres+redis-small` → `gatehouse_bench_small` (one database per seeded store). */
const databaseOf = (dataDir: string) => `gatehouse_bench_${basename(dataDir).replace(/[^a-z0-9]+/gi, '_').replace(/^postgres_redis_/, '').toLowerCase()}`;

function urlOf(dataDir: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${databaseOf(dataDir)}`;
  return url.toString();
}

async function asAdmin(statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

export const postgresRedisShape: Shape = {
  name: 'postgres+redis',
  multiNode: true,
  async prepare(dataDir) {
    await asAdmin(`drop database if exists ${databaseOf(dataDir)} with (force)`);
    await asAdmin(`create database ${databaseOf(dataDir)}`);
  },
  open: (dataDir) => openPostgresStore(urlOf(dataDir), 4),
  // Seeding may lose its last transactions in a crash: the run would start again anyway.
  tuneForBulkLoad: async (store) => {
    await sql`set synchronous_commit = off`.execute(store.kysely);
  },
  serverEnv: (dataDir) => ({
    GATEHOUSE_DATA_DIR: dataDir,
    DATABASE_URL: urlOf(dataDir),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `bench-${process.pid}-${basename(dataDir).replace(/[^a-z0-9-]+/gi, '-')}:`,
  }),
  async dispose(dataDir) {
    await asAdmin(`drop database if exists ${databaseOf(dataDir)} with (force)`);
  },
};
