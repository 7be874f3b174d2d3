// `gatehouse serve`: migrate, start background work, listen, and shut down cleanly on
// SIGINT/SIGTERM: stop accepting, let in-flight requests finish (up to SHUTDOWN_GRACE),
// write pending session activity, close connections, exit.
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { createCore } from '../app.js';
import { buildHttpServer } from '../server/http.js';
import { createLogger } from '../server/logger.js';

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const core = await createCore(config, { logger });
  const { app } = await buildHttpServer(core, logger);
  core.startBackground();
  await app.listen({ port: config.port, host: config.host });
  const { address, port } = app.server.address() as AddressInfo;
  logger.info({ node_id: config.nodeId, address, port, store: config.databaseUrl ? 'postgres' : 'sqlite', bus: config.redisUrl ? 'redis' : config.databaseUrl ? 'postgres' : 'memory', data_dir: config.dataDir }, 'gatehouse ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // A request that never ends must not hold the node forever.
    const deadline = setTimeout(() => {
      logger.warn({ grace_ms: config.shutdownGraceMs }, 'shutdown grace ran out; closing anyway');
      app.server.closeAllConnections();
    }, config.shutdownGraceMs);
    deadline.unref();
    // A keep-alive connection whose request finishes after close() began would otherwise
    // stay open (and hold the process) until the client drops it: close each as it idles.
    const idleCloser = setInterval(() => app.server.closeIdleConnections(), 50);
    idleCloser.unref();
    try {
      // Fastify stops accepting, answers new requests on open connections with 503 and
      // waits for the ones in flight; the AMQP consumer stops taking messages and answers
      // the ones it holds, at the same time. Then the core (store, bus) closes.
      await Promise.all([app.close(), core.amqp?.close()]);
      await core.close();
      logger.info({}, 'stopped');
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
      process.exitCode = 1;
    } finally {
      clearTimeout(deadline);
      clearInterval(idleCloser);
      // Anything still holding the event loop (a stuck socket) must not keep a stopped node alive.
      setTimeout(() => process.exit(), 1000).unref();
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
