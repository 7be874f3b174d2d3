// Baselines for validation: a bare Fastify route answering small JSON, with no hooks,
// plugins or surfaces. `plain` (the limit): Fastify's default options, no logger and its
// own request ids. `configured`: the same Fastify settings as src/server/http.ts (logger,
// request logging off, body limit, request ids, close behaviour), to show how much of the
// distance those settings alone cost. Usage: bare-fastify.ts plain|configured.
import './guard.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { correlationIdOf } from '../../src/server/correlation.js';
import { createLogger, lazyChildLogger } from '../../src/server/logger.js';

const config = loadConfig();
const kind = process.argv[2] ?? 'plain';
if (kind !== 'plain' && kind !== 'configured') throw new Error(`unknown baseline ${kind}`);
const app: FastifyInstance =
  kind === 'plain'
    ? Fastify()
    : Fastify({
        loggerInstance: createLogger(config.logLevel) as FastifyBaseLogger,
        logController: new LogController({ disableRequestLogging: true }),
        childLoggerFactory: (parent, bindings, options) => lazyChildLogger(parent, bindings, options),
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
