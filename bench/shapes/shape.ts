// A deployment shape the benchmark can run against. Only `sqlite` exists today; a
// PostgreSQL shape would open its store from a DATABASE_URL and hand the same URL to the
// server. Seeding goes through the store's Kysely instance, so it works for any shape.
import type { KyselyStore } from '../../src/store/kysely/store.js';

export interface Shape {
  name: string;
  /** Opens (creating if needed) the store kept in `dataDir`, for seeding. */
  open(dataDir: string): KyselyStore;
  /** Connection settings that speed up seeding (this connection only), if any. */
  tuneForBulkLoad?(store: KyselyStore): Promise<void>;
  /** Environment that points a server at the same store. */
  serverEnv(dataDir: string): Record<string, string>;
}
