// `validation`: session validation on a small store (1,000 sessions, all hot), by cookie
// and by bearer header, against a bare Fastify route that receives the very same requests
// (same headers) in a separate process.
import { failuresOf, loadDetails, makeFigure, type Figure } from '../lib/figures.js';
import { roundRatios } from '../lib/load.js';
import { measureRounds } from '../lib/measure.js';
import { hotSetRequests } from '../lib/requests.js';
import type { Phase } from './phase.js';

const goal = '>= 0.6x baseline req/s and p99 <= 10 ms';
const targets = { minRatio: 0.6, maxP99Ms: 10 };

export const validationPhase: Phase = {
  name: 'validation',
  figures: ['validation'],
  async run(ctx) {
    const { mode } = ctx;
    const bare = await ctx.bareFastify();
    const server = await ctx.gatehouse('small');
    const hot = mode.smallSessions;
    const result = await measureRounds(ctx, {
      bare: { url: bare.url, serverPid: bare.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie', '/baseline') },
      cookie: { url: server.url, serverPid: server.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie') },
      bearer: { url: server.url, serverPid: server.pid, connections: mode.connections, requests: hotSetRequests(hot, 'bearer') },
    });
    return (['cookie', 'bearer'] as const).map(
      (variant): Figure =>
        makeFigure({
          name: 'validation',
          variant,
          shape: ctx.shape.name,
          value: result[variant].rps,
          unit: 'req/s',
          baselineName: 'bare_fastify',
          baselineValue: result.bare.rps,
          ratioRounds: roundRatios(result[variant].roundsRps, result.bare.roundsRps),
          goal,
          targets,
          p99Ms: result[variant].p99,
          failures: failuresOf(result[variant]),
          details: {
            connections: mode.connections,
            stored_sessions: hot,
            ...loadDetails(result[variant]),
            ...loadDetails(result.bare, 'baseline_'),
          },
        }),
    );
  },
};
