// `gatehouse migrate`: apply pending schema migrations and report them; `--plan` reports
// what would run without running it. Both refuse (exit 1) a schema migrated by a newer
// release. Several nodes may migrate at once: the store serialises them.
import type { Config } from '../config.js';
import { openStore } from '../store/open.js';
import { UnknownMigrationsError } from '../store/migrations/status.js';

export async function migrate(config: Config, options: { json: boolean; plan: boolean }): Promise<number> {
  const store = openStore(config);
  try {
    if (options.plan) {
      const status = await store.migrationStatus();
      if (options.json) console.log(JSON.stringify(status));
      else {
        console.log(status.pending.length ? `Would apply: ${status.pending.join(', ')}` : 'The schema is up to date; nothing would run.');
        if (status.applied.length) console.log(`Already applied: ${status.applied.join(', ')}`);
        if (status.unknown.length) console.log(`Unknown to this release (refused): ${status.unknown.join(', ')}`);
      }
      return status.unknown.length ? 1 : 0;
    }
    const applied = await store.migrate();
    console.log(options.json ? JSON.stringify({ applied }) : applied.length ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
    return 0;
  } catch (err) {
    if (!(err instanceof UnknownMigrationsError)) throw err;
    console.error(options.json ? JSON.stringify({ error: { code: 'unknown_migrations', message: err.message, unknown: err.unknown } }) : err.message);
    return 1;
  } finally {
    await store.close();
  }
}
