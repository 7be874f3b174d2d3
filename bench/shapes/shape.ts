// A deployment shape the benchmark can run against: `sqlite` (embedded, one node) and
// `postgres+redis` (what several nodes share). Seeding goes through the store's Kysely
// instance, so it works for any shape.
import type { KyselyStore } from '../../src/store/kysely/store.js';

export interface Shape {
  name: string;
  /** Whether several servers may share one store (multi-node figures need it). */
  multiNode: boolean;
  /** Creates what the store in `dataDir` lives in (a database), before it is opened. */
  prepare?(dataDir: string): Promise<void>;
  /** Opens (creating if needed) the store kept in `dataDir`, for seeding. */
  open(dataDir: string): KyselyStore;
  /** Connection settings that speed up seeding (this connection only), if any. */
  tuneForBulkLoad?(store: KyselyStore): Promise<void>;
  /** Environment that points a server at the same store. */
  serverEnv(dataDir: string): Record<string, string>;
  /** Removes what `prepare` created. */
  dispose?(dataDir: string): Promise<void>;
}
