// Assembles the HTTP server: Fastify settings shared by every surface (body limit, JSON
// only, correlation ids, X-Node-Id, Server-Timing, metrics), the operations endpoints,
// and each surface as an encapsulated plugin with its own error envelope.
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Core } from '../app.js';
import { GatehouseError } from '../core/errors.js';
import { DatabaseDirectory } from '../tenancy/databases.js';
import { restUserPrefix, restUserSurface } from '../surfaces/rest-user/index.js';
import { sendError } from '../surfaces/rest-user/envelope.js';
import { sessionsServiceSurface } from '../surfaces/sessions-service/index.js';
import { sendError as sendServiceError } from '../surfaces/sessions-service/errors.js';
import { correlationIdOf } from './correlation.js';
import { fromFastifyError } from './fastify-errors.js';
import { lazyChildLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { RouteRegistry } from './route-registry.js';

/** The sessions service answers under both paths its clients know. */
const sessionsServicePrefixes = ['/sessions', '/v1/sessions'];

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface HttpServer {
  app: FastifyInstance;
  registry: RouteRegistry;
  directory: DatabaseDirectory;
}

export async function buildHttpServer(core: Core, logger: Logger): Promise<HttpServer> {
  const { config } = core;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own per-request lines are off; one debug line per request is logged below.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, options) => lazyChildLogger(parent, bindings, options),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: correlationIdOf,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // The router's own errors (a malformed %-escape, an over-long path parameter) skip every
    // hook and error handler: without this they would answer in Fastify's shape.
    frameworkErrors: (err, request, reply) => answerRouterError(err, request, reply),
  });
  // Only JSON bodies are accepted: anything else is 415 (Fastify would also take text/plain).
  app.removeContentTypeParser('text/plain');
  // Many HTTP clients send `Content-Type: application/json` on every request, also with no
  // body (a DELETE logout, say): an empty body is treated as no body rather than bad JSON.
  // Anything non-empty goes through Fastify's parser with its prototype-poisoning guards.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return parseJson(request, text, done);
  });

  const registry = new RouteRegistry();
  const directory = new DatabaseDirectory(core.store.databases);
  core.bus.onDatabaseDeleted(({ database }) => directory.forget(database));
  const metrics = new Metrics(core);
  const logRequests = logger.isLevelEnabled('debug');
  const logInternal = (err: unknown, request: FastifyRequest) => request.log.error({ err, correlation_id: request.id }, 'internal error');

  // Hooks run on every request, validation included: callback style, so none of them
  // allocates a promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-node-id', config.nodeId);
    reply.header('x-correlation-id', request.id);
    // A body without a Content-Type is not JSON; Fastify would otherwise ignore it.
    const headers = request.headers;
    if (headers['content-type'] === undefined && (Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined)) {
      return done(new GatehouseError('unsupported_media_type'));
    }
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (logRequests) {
      request.log.debug({ method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    }
    done();
  });

  if (config.allowedOrigins.length > 0) {
    await app.register(cors, { origin: [...config.allowedOrigins], credentials: true, exposedHeaders: ['x-correlation-id', 'x-node-id', 'retry-after'] });
  }

  // Errors outside any surface (unknown paths, hooks above): a plain catalog body.
  const sendPlain = (reply: FastifyReply, error: GatehouseError) => {
    if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
    return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
  };
  app.setErrorHandler((err, request, reply) => {
    const error = fromFastifyError(err);
    if (error.code === 'internal') logInternal(err, request);
    return sendPlain(reply, error);
  });
  app.setNotFoundHandler((_request, reply) => sendPlain(reply, new GatehouseError('not_found', { message: 'No such route.' })));
  // Router errors (see frameworkErrors): no hook has run, so the headers they would add are
  // set here, and the answer takes the envelope of the surface the path is under.
  const answerRouterError = (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const code = (err as { code?: string }).code;
    const badPath = code === 'FST_ERR_BAD_URL' || code === 'FST_ERR_MAX_PARAM_LENGTH';
    const error = badPath ? new GatehouseError('validation_failed', { message: 'The request path is not valid.', cause: err }) : new GatehouseError('internal', { cause: err });
    if (error.code === 'internal') logInternal(err, request);
    reply.header('x-node-id', config.nodeId).header('x-correlation-id', request.id).header('server-timing', 'app;dur=0');
    metrics.observe(request.method, 'unmatched', error.status, 0);
    if (request.url.startsWith(`${restUserPrefix}/`)) return sendError(reply, error);
    if (sessionsServicePrefixes.some((prefix) => request.url.startsWith(`${prefix}/`))) return sendServiceError(reply, error);
    return sendPlain(reply, error);
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await core.store.ping();
      return { status: 'ready' };
    } catch (err) {
      logger.warn({ err }, 'store not reachable');
      return sendPlain(reply, new GatehouseError('unavailable', { message: 'The store is not reachable.' }));
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await app.register(restUserSurface({ core, directory, registry, log: logInternal }), { prefix: '/api/user' });
  for (const prefix of sessionsServicePrefixes) {
    await app.register(sessionsServiceSurface({ core, directory, registry, log: logInternal }), { prefix });
  }

  // Surfaces are registered: the document can be built from what they declared.
  const document = buildOpenApi(registry, packageVersion);
  app.get('/openapi.json', async () => document);
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  return { app, registry, directory };
}
