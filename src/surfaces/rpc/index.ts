// The JSON `method` RPC (SPEC §5): `POST /rpc` with one request per body, and a WebSocket
// at `GET /rpc` with one request per text frame. Both go through the same dispatcher; this
// file only wires them to Fastify and bounds the WebSocket side (connections, frames).
import { Type } from '@sinclair/typebox';
import websocket from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import { addRoute } from '../http-route.js';
import type { HttpSurface, SurfaceDeps } from '../surface.js';
import { dispatchRpc, type RpcTransport } from './dispatch.js';
import { RpcErrorBody, sendError } from './envelope.js';
import { rpcMethods } from './methods.js';
import { Heartbeat, serveConnection } from './websocket.js';

// A frame up to this multiple of BODY_LIMIT is read and answered `payload_too_large`; a larger
// one closes the connection (1009), since reading it at all would mean buffering it.
const hardFrameFactor = 4;

export const rpcSurface: HttpSurface = {
  tag: 'RPC',
  description: 'The JSON `method` RPC over HTTP and WebSocket: sessions, user administration and tenant databases (SPEC §5).',
  prefixes: ['/rpc'],
  plugin: rpcPlugin,
  sendError,
  unknownRouteMessage: () => 'No such route; send POST /rpc, or open a WebSocket at GET /rpc.',
};

function rpcPlugin(deps: SurfaceDeps): FastifyPluginAsync {
  const { core } = deps;
  const methods = rpcMethods(core.catalog);
  const { config } = core;

  return async (app) => {
    // UTF-8 is checked by the frame reader, which answers a bad frame instead of closing the
    // connection as ws would (RFC 6455 allows either for a text frame that is not UTF-8).
    await app.register(websocket, { options: { maxPayload: config.bodyLimitBytes * hardFrameFactor, skipUTF8Validation: true } });
    const heartbeat = new Heartbeat(config.rpc.pingIntervalMs);
    app.addHook('onClose', async () => heartbeat.stop());
    let connections = 0;

    addRoute(app, deps.registry, app.prefix, {
      method: 'POST',
      path: '',
      tag: rpcSurface.tag,
      summary: `One RPC request: {method, …fields, id?}. Methods: ${Object.keys(methods).join(', ')}. Over a WebSocket at GET /rpc, each text frame is one request and the replies echo id.`,
      body: Type.Object({ method: Type.Union(Object.keys(methods).map((name) => Type.Literal(name))), id: Type.Optional(Type.Unknown()) }, { additionalProperties: true }),
      responses: { 200: { description: '{status: "ok", …fields, id?}', schema: Type.Object({ status: Type.Literal('ok'), id: Type.Optional(Type.Unknown()) }, { additionalProperties: true }) } },
      errorSchema: RpcErrorBody,
      errorStatuses: [400, 401, 403, 404, 409, 413, 415, 429],
      headers: [{ name: 'X-Correlation-Id', description: 'Echoed in the response header' }],
      handler: async (request, reply) => {
        const transport = { correlationId: request.id, address: request.ip, client: (request.headers['user-agent'] ?? '').slice(0, 256) };
        const answer = await dispatchRpc(core, methods, request.body, transport, (err) => deps.log(err, request));
        return reply.code(answer.status).send(answer.body);
      },
    });

    app.route({
      method: 'GET',
      url: '',
      // Refused before the upgrade, as an HTTP answer in the RPC envelope.
      preValidation: async () => {
        if (connections >= config.rpc.maxConnections) throw new GatehouseError('unavailable', { message: 'Too many WebSocket connections; try again later.' });
      },
      handler: async () => {
        throw new GatehouseError('validation_failed', { message: 'GET /rpc is a WebSocket: send an Upgrade request, or POST a request instead.' });
      },
      wsHandler: (socket, request) => {
        connections++;
        socket.once('close', () => connections--);
        heartbeat.watch(socket);
        const address = request.ip;
        const client = (request.headers['user-agent'] ?? '').slice(0, 256);
        let frames = 0;
        serveConnection(
          socket,
          { maxInFlight: config.rpc.maxInFlight, frameLimitBytes: config.bodyLimitBytes, maxDepth: config.bodyMaxDepth },
          () => ({ correlationId: `${request.id}:${++frames}`, address, client }),
          (frame: unknown, transport: RpcTransport) => core.work.track(dispatchRpc(core, methods, frame, transport, (err) => deps.log(err, request))),
        );
      },
    });
  };
}
