// `gatehouse serve`: migrate, start background work, listen, and shut down cleanly on
// SIGINT/SIGTERM (pending session activity is written before exit).
import type { Config } from '../config.js';
import { createCore } from '../app.js';
import { buildHttpServer } from '../server/http.js';
import { createLogger } from '../server/logger.js';

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const core = await createCore(config);
  const { app } = await buildHttpServer(core, logger);
  core.startBackground();
  await app.listen({ port: config.port, host: config.host });
  logger.info({ node_id: config.nodeId, store: config.databaseUrl ? 'postgres' : 'sqlite', data_dir: config.dataDir }, 'gatehouse ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await core.close();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
