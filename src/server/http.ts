// Assembles the HTTP server: Fastify settings shared by every surface (body limit, JSON
// only, timeouts, correlation ids, X-Node-Id, Server-Timing, metrics), the operations
// endpoints, and each surface of `httpSurfaces` as an encapsulated plugin answering errors
// in its own envelope. Nothing here names a surface.
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Core } from '../app.js';
import { GatehouseError } from '../core/errors.js';
import type { DatabaseDirectory } from '../tenancy/databases.js';
import { parseJsonInput } from '../core/json-input.js';
import { httpSurfaces } from '../surfaces/index.js';
import { surfaceOf, type HttpSurface } from '../surfaces/surface.js';
import { overHttps } from './context.js';
import { correlationIdOf } from './correlation.js';
import { fromFastifyError } from './fastify-errors.js';
import { lazyChildLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { RouteRegistry } from './route-registry.js';
import { apiSecurityHeaders, documentSecurityHeaders, requestLimits, strictTransportSecurity, urlTooLong } from './request-limits.js';

// Bytes of a body are decoded strictly: invalid UTF-8 would otherwise become U+FFFD and be
// stored as something the client never sent.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Content codings a body may arrive in; Gatehouse reads bodies only as sent. */
const identityCoding = /^\s*identity\s*$/i;
const chunkedOnly = /^\s*chunked\s*$/i;

/** Where swagger-ui serves its pages: the only HTML, which gets the document headers. */
const docsPrefix = '/docs';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface HttpServer {
  app: FastifyInstance;
  registry: RouteRegistry;
  directory: DatabaseDirectory;
}

export async function buildHttpServer(core: Core, logger: Logger, surfaces: readonly HttpSurface[] = httpSurfaces): Promise<HttpServer> {
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
    // Slow senders cannot hold a connection: headers, then the whole request, must arrive
    // in time, and an idle keep-alive connection is closed. Node checks the first two
    // every `connectionsCheckingInterval` (30 s by default, far coarser than the limits).
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
      maxHeaderSize: requestLimits.maxHeaderSize,
    },
    // The router's own errors (a malformed %-escape, an over-long path parameter) skip every
    // hook and error handler: without this they would answer in Fastify's shape.
    frameworkErrors: (err, request, reply) => answerRouterError(err, request, reply),
  });
  app.server.maxHeadersCount = requestLimits.maxHeadersCount;
  // Only JSON bodies are accepted: anything else is 415 (Fastify would also take text/plain).
  app.removeContentTypeParser('text/plain');
  // Many HTTP clients send `Content-Type: application/json` on every request, also with no
  // body (a DELETE logout, say): an empty body is treated as no body rather than bad JSON.
  // Anything else is client JSON and goes through the one input check (depth, Unicode,
  // numbers, prototype keys) every surface shares.
  const jsonLimits = { maxDepth: config.bodyMaxDepth };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      const text = utf8.decode(body as Buffer);
      if (text.trim() === '') return done(null, undefined);
      return done(null, parseJsonInput(text, jsonLimits));
    } catch (err) {
      const refused = err instanceof GatehouseError ? err : new GatehouseError('validation_failed', { message: 'The body is not valid UTF-8.' });
      return done(refused, undefined);
    }
  });

  const registry = new RouteRegistry();
  const { directory } = core;
  const metrics = new Metrics(core);
  const logRequests = logger.isLevelEnabled('debug');
  const logInternal = (err: unknown, request: FastifyRequest) => request.log.error({ err, correlation_id: request.id }, 'internal error');

  /** The headers of every answer, router errors included (Server-Timing comes at send). */
  const stampAnswer = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    reply.headers(request.url.startsWith(docsPrefix) ? documentSecurityHeaders : apiSecurityHeaders);
    if (overHttps(request, config.trustProxy)) reply.header('strict-transport-security', strictTransportSecurity);
    return reply.header('x-node-id', config.nodeId).header('x-correlation-id', request.id);
  };
  // Hooks run on every request, validation included: callback style, so none of them
  // allocates a promise.
  app.addHook('onRequest', (request, reply, done) => {
    stampAnswer(request, reply);
    const longUrl = urlTooLong(request.url);
    if (longUrl !== undefined) return done(longUrl);
    // A body without a Content-Type is not JSON; Fastify would otherwise ignore it.
    const headers = request.headers;
    const transferEncoding = headers['transfer-encoding'];
    if (headers['content-type'] === undefined && (Number(headers['content-length'] ?? 0) > 0 || transferEncoding !== undefined)) {
      return done(new GatehouseError('unsupported_media_type'));
    }
    // A compressed body would be read as if its bytes were JSON: refused, never guessed at.
    const contentEncoding = headers['content-encoding'];
    if ((contentEncoding !== undefined && !identityCoding.test(contentEncoding)) || (transferEncoding !== undefined && !chunkedOnly.test(transferEncoding))) {
      return done(new GatehouseError('unsupported_media_type', { message: 'Compressed bodies are not accepted; send plain JSON.' }));
    }
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
    done(null, payload);
  });
  // Each answer is counted under its route's pattern. The pattern is bound when the route is
  // added (see onRoute below): `request.routeOptions` would build a dozen-field object per
  // request. Requests no route matched are counted by the app-wide hook.
  const finished =
    (route: string) =>
    (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      if (logRequests) {
        request.log.debug({ method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
      }
      done();
    };
  const finishedUnmatched = finished('unmatched');
  app.addHook('onResponse', (request, reply, done) => (request.is404 ? finishedUnmatched(request, reply, done) : done()));

  // Every route's handler is counted until it settles, also when its client hung up: the
  // core waits for them before it closes the store (see WorkInProgress). Its answers are
  // counted under its pattern.
  app.addHook('onRoute', (route) => {
    const onResponse = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
    route.onResponse = [...onResponse, finished(route.url)];
    const handler = route.handler as (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;
    route.handler = function countedHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const result = handler.call(this, request, reply);
      return result instanceof Promise ? core.work.track(result) : result;
    };
  });

  if (config.allowedOrigins.length > 0) {
    // The REST API updates with PATCH and deletes with DELETE: without them in the preflight
    // answer a browser would never send those requests.
    const methods = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];
    await app.register(cors, { origin: [...config.allowedOrigins], credentials: true, methods, exposedHeaders: ['x-correlation-id', 'x-node-id', 'retry-after', 'status_code', 'status_message', 'processing_time_ns'] });
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
    const error = badPath ? new GatehouseError('validation_failed', { message: 'The request path is not valid.', cause: err }) : fromFastifyError(err);
    if (error.code === 'internal') logInternal(err, request);
    stampAnswer(request, reply).header('server-timing', 'app;dur=0');
    metrics.observe(request.method, 'unmatched', error.status, 0);
    const surface = surfaceOf(surfaces, request.url);
    return surface ? surface.sendError(reply, error) : sendPlain(reply, error);
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await core.store.ping();
    } catch (err) {
      logger.warn({ err }, 'store not reachable');
      return sendPlain(reply, new GatehouseError('unavailable', { message: 'The store is not reachable.' }));
    }
    // A node that should consume the AMQP queue and does not is not ready either.
    if (core.amqp === undefined) return { status: 'ready' };
    const problem = core.amqp.problem;
    if (problem !== undefined) return sendPlain(reply, new GatehouseError('unavailable', { message: `The AMQP link is down: ${problem}.` }));
    return { status: 'ready', amqp: 'consuming' };
  });
  // Public keys for anyone verifying access tokens; a rotation shows here within a minute,
  // and the old key stays until its tokens have expired.
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return core.signingKeys.jwks();
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.exposition();
  });

  // Each surface in a scope of its own per prefix, where errors and unknown paths are
  // answered in its envelope.
  const surfaceDeps = { core, directory, registry, log: logInternal };
  for (const surface of surfaces) {
    for (const prefix of surface.prefixes) {
      await app.register(
        async (scope) => {
          scope.setErrorHandler((err, request, reply) => {
            const error = fromFastifyError(err);
            if (error.code === 'internal') logInternal(err, request);
            return surface.sendError(reply, error);
          });
          scope.setNotFoundHandler((_request, reply) => surface.sendError(reply, new GatehouseError('not_found', { message: surface.unknownRouteMessage(prefix) })));
          await scope.register(surface.plugin(surfaceDeps));
        },
        { prefix },
      );
    }
  }

  // Surfaces are registered: the document can be built from what they declared.
  const document = buildOpenApi(registry, packageVersion, surfaces);
  app.get('/openapi.json', async () => document);
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: docsPrefix });

  return { app, registry, directory };
}
