// Baseline for validation: a bare Fastify route answering small JSON, built with the
// same Fastify settings as src/server/http.ts (logger, request logging off, body limit,
// request ids, close behaviour) but with no hooks, plugins or surfaces. The distance to
// it is what Gatehouse's own request work costs.
import './guard.js';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { correlationIdOf } from '../../src/server/correlation.js';
import { createLogger } from '../../src/server/logger.js';

const config = loadConfig();
const app = Fastify({
  loggerInstance: createLogger(config.logLevel) as FastifyBaseLogger,
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: config.bodyLimitBytes,
  trustProxy: config.trustProxy,
  genReqId: correlationIdOf,
  return503OnClosing: true,
  forceCloseConnections: 'idle',
});

const body = { status: 'success', data: { valid: true } };
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/baseline', async () => body);

await app.listen({ port: config.port, host: config.host });
process.once('SIGTERM', () => void app.close());
process.once('SIGINT', () => void app.close());
