// `gatehouse migrate`: apply pending schema migrations and report them.
import type { Config } from '../config.js';
import { openStore } from '../store/open.js';

export async function migrate(config: Config, json: boolean): Promise<number> {
  const store = openStore(config);
  try {
    const applied = await store.migrate();
    console.log(json ? JSON.stringify({ applied }) : applied.length ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
    return 0;
  } finally {
    await store.close();
  }
}
