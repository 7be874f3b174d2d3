// Chooses the store from configuration: PostgreSQL when DATABASE_URL is set, else the
// embedded SQLite file in the data directory.
import { join } from 'node:path';
import type { Config } from '../config.js';
import { openPostgresStore } from './kysely/postgres.js';
import { openSqliteStore } from './kysely/sqlite.js';
import type { KyselyStore } from './kysely/store.js';

export function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databaseTimeouts'>): KyselyStore {
  return config.databaseUrl ? openPostgresStore(config.databaseUrl, 10, config.databaseTimeouts) : openSqliteStore(join(config.dataDir, 'gatehouse.db'), { checkpointInBackground: true });
}
