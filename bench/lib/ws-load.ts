// A pipelined RPC load over WebSockets: `connections` sockets, each keeping `inFlight`
// `validate_session` requests outstanding (a new one is sent as each reply arrives), for a
// fixed time. Reports the same LoadRun as an HTTP load, so rounds, ratios and CPU per
// request are computed alike.
import WebSocket from 'ws';
import { RunMeter, type LoadRun } from './load.js';
import { LatencyLog } from './stats.js';
import { benchToken } from './tokens.js';

export interface WsLoadSpec {
  url: string; // http://host:port of the server
  connections: number;
  inFlight: number;
  durationS: number;
  /** Sessions of the hot set (tokens 0 … count-1), cycled. */
  sessions: number;
  serverPid?: number;
}

export async function runWsLoad(spec: WsLoadSpec): Promise<LoadRun> {
  const latencies = new LatencyLog();
  let ok = 0;
  let rejected = 0;
  let errors = 0;
  const sockets = await Promise.all(
    Array.from({ length: spec.connections }, () => {
      const socket = new WebSocket(`${spec.url.replace('http', 'ws')}/rpc`);
      return new Promise<WebSocket>((resolve, reject) => {
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
    }),
  );
  const meter = new RunMeter(spec.serverPid);
  const deadline = meter.startedAt + spec.durationS * 1000;
  let next = 0;
  const frames = Array.from({ length: Math.max(1, spec.sessions) }, (_, i) => `{"method":"validate_session","sessionToken":"${benchToken(i)}","id":`);
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          const sentAt = new Map<number, number>();
          let open = 0;
          const send = () => {
            const id = next++;
            sentAt.set(id, performance.now());
            open++;
            socket.send(`${frames[id % frames.length]}${id}}`);
          };
          socket.on('message', (data) => {
            const now = performance.now();
            const reply = JSON.parse(data.toString()) as { id: number; status: string; sessionStatus?: string };
            open--;
            const at = sentAt.get(reply.id);
            sentAt.delete(reply.id);
            if (reply.status === 'ok' && reply.sessionStatus === 'True' && at !== undefined) {
              latencies.add(now - at);
              ok++;
            } else rejected++;
            if (now < deadline) send();
            else if (open === 0) resolve();
          });
          socket.on('error', () => {
            errors++;
            resolve();
          });
          for (let i = 0; i < spec.inFlight; i++) send();
        }),
    ),
  );
  const run = meter.finish({ ok, rejected, errors, statusCodes: { ok, rejected } }, latencies);
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => (socket.once('close', () => resolve()), socket.close()))));
  return run;
}
