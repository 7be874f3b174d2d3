// `rpc_ws_validation`: pipelined `validate_session` over a few WebSocket connections, against
// HTTP cookie validation of the same sessions on the same server, in interleaved rounds. A
// frame skips HTTP parsing, routing and headers, so it should cost a fraction of a request.
import { failuresOf, loadDetails, makeFigure } from '../lib/figures.js';
import { roundRatios, runLoad, summarize, type LoadRun } from '../lib/load.js';
import { hotSetRequests } from '../lib/requests.js';
import { runWsLoad } from '../lib/ws-load.js';
import type { Phase } from './phase.js';

const goal = '>= 2x HTTP cookie validation req/s; p99 reported';
const sockets = 4;
const inFlight = 64;

export const rpcPhase: Phase = {
  name: 'rpc',
  figures: ['rpc_ws_validation'],
  async run(ctx) {
    const { mode } = ctx;
    const server = await ctx.gatehouse('small');
    const hot = mode.smallSessions;
    const http = (durationS: number) => runLoad({ url: server.url, serverPid: server.pid, connections: mode.connections, durationS, requests: hotSetRequests(hot, 'cookie') });
    const ws = (durationS: number) => runWsLoad({ url: server.url, serverPid: server.pid, connections: sockets, inFlight, durationS, sessions: hot });
    const runs: { http: LoadRun[]; ws: LoadRun[] } = { http: [], ws: [] };
    for (let r = 0; r < mode.rounds; r++) {
      for (const key of r % 2 === 0 ? (['http', 'ws'] as const) : (['ws', 'http'] as const)) {
        const load = key === 'http' ? http : ws;
        if (r === 0) await load(ctx.warmupFor(server.url));
        const run = await load(mode.durationS);
        ctx.log(`  ${key} round ${r + 1}: ${run.rps.toFixed(0)} req/s, ${run.rejected + run.errors} failed`);
        runs[key].push(run);
      }
    }
    const [httpSummary, wsSummary] = [summarize(runs.http), summarize(runs.ws)];
    return [
      makeFigure({
        name: 'rpc_ws_validation',
        shape: ctx.shape.name,
        value: wsSummary.rps,
        unit: 'req/s',
        baselineName: 'http_cookie_validation',
        baselineValue: httpSummary.rps,
        ratioRounds: roundRatios(wsSummary.roundsRps, httpSummary.roundsRps),
        goal,
        targets: { minRatio: 2 },
        p99Ms: wsSummary.p99,
        failures: failuresOf(wsSummary),
        details: { sockets, in_flight_per_socket: inFlight, ...loadDetails(wsSummary), ...loadDetails(httpSummary, 'baseline_') },
      }),
    ];
  },
};
