// The scale-out store: PostgreSQL shared by every node. Connections time out instead of
// hanging, statements are bounded, and a lost database answers `unavailable` at once; the
// pool opens fresh connections when it is back, so a node recovers without a restart.
import pg from 'pg';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { postgresEngine } from './engine.js';
import type { Schema } from './schema.js';
import { KyselyStore } from './store.js';
import { isUnavailable, translateUnavailable } from './driver-errors.js';

// Times are epoch milliseconds in bigint columns; they fit a JS number exactly, so read
// them as numbers rather than pg's default strings. Counts (bigint too) benefit as well.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

export interface PostgresTimeouts {
  /** Longest a statement may run (server-side `statement_timeout`). */
  statementMs: number;
  /** Longest to wait for a connection, new or from the pool. */
  connectMs: number;
}

export const defaultPostgresTimeouts: PostgresTimeouts = { statementMs: 5000, connectMs: 3000 };

/**
 * The pool as Kysely sees it, with every driver error that means "the database is gone"
 * turned into `unavailable`; a connection that failed that way is discarded on release.
 */
function translatingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await translateUnavailable(() => pool.connect());
      let broken: Error | undefined;
      // While checked out a client has no 'error' listener of the pool's: a connection that
      // drops then (the server ends it, the network goes) would be an unhandled 'error' event
      // and stop the process. The query in flight fails on its own; the client is discarded.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      return {
        // A cursor (Kysely's stream(), unused by Gatehouse) goes straight through.
        query: ((text: unknown, values?: unknown[]) =>
          typeof text !== 'string'
            ? client.query(text as never)
            : translateUnavailable(() => client.query(text, values)).catch((err: unknown) => {
                if (isUnavailable((err as { cause?: unknown }).cause)) broken = err as Error;
                throw err;
              })) as unknown as PostgresPoolClient['query'],
        release: () => {
          client.removeListener('error', onError);
          client.release(broken);
        },
      };
    },
    end: () => pool.end(),
  };
}

export function openPostgresStore(url: string, poolSize = 10, timeouts: PostgresTimeouts = defaultPostgresTimeouts): KyselyStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    // The server's timeout cannot fire when the network to it is gone: this one can.
    query_timeout: timeouts.statementMs + 1000,
    keepAlive: true,
  });
  // An idle connection that the server ends (restart, failover, pg_terminate_backend) is
  // reported as a pool 'error' event; without a listener that crashes the process. pg has
  // already discarded the connection and the next query opens a new one, so nothing to do.
  pool.on('error', () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: translatingPool(pool) }) });
  return new KyselyStore(db, postgresEngine);
}
