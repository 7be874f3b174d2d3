// `validation`: session validation on a small store (1,000 sessions, all hot), by cookie,
// by the session token as bearer, and by a real access token (JWT) as bearer, against a
// plain Fastify route with default options (the limit) that receives the very same cookie
// requests in a separate process. A Fastify route with Gatehouse's own settings is
// measured alongside, to show how much of the distance those settings alone cost.
import { failuresOf, loadDetails, makeFigure, type Figure } from '../lib/figures.js';
import { roundRatios } from '../lib/load.js';
import { measureRounds } from '../lib/measure.js';
import { bearerJwtRequests, hotSetRequests, issueAccessTokens } from '../lib/requests.js';
import { median, round } from '../lib/stats.js';
import type { Phase } from './phase.js';

const goal = '>= 0.6x plain Fastify req/s and p99 <= 10 ms (bearer-jwt: >= 0.5x, within 15% of cookie)';
const variants = ['cookie', 'bearer', 'bearer-jwt'] as const;

export const validationPhase: Phase = {
  name: 'validation',
  figures: ['validation'],
  async run(ctx) {
    const { mode } = ctx;
    const plain = await ctx.bareFastify('plain');
    const configured = await ctx.bareFastify('configured');
    const server = await ctx.gatehouse('small');
    const hot = mode.smallSessions;
    const jwts = await issueAccessTokens(server.url, hot);
    const load = { url: server.url, serverPid: server.pid, connections: mode.connections };
    const result = await measureRounds(ctx, {
      plain: { url: plain.url, serverPid: plain.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie', '/baseline') },
      configured: { url: configured.url, serverPid: configured.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie', '/baseline') },
      cookie: { ...load, requests: hotSetRequests(hot, 'cookie') },
      bearer: { ...load, requests: hotSetRequests(hot, 'bearer') },
      'bearer-jwt': { ...load, requests: bearerJwtRequests(jwts) },
    });
    const toCookie = roundRatios(result['bearer-jwt'].roundsRps, result.cookie.roundsRps);
    return variants.map((variant): Figure => {
      const jwt = variant === 'bearer-jwt';
      const ofCookie = median(toCookie);
      return makeFigure({
        name: 'validation',
        variant,
        shape: ctx.shape.name,
        value: result[variant].rps,
        unit: 'req/s',
        baselineName: 'plain_fastify',
        baselineValue: result.plain.rps,
        ratioRounds: roundRatios(result[variant].roundsRps, result.plain.roundsRps),
        goal,
        targets: { minRatio: jwt ? 0.5 : 0.6, maxP99Ms: 10 },
        p99Ms: result[variant].p99,
        failures: failuresOf(result[variant]),
        ...(jwt && ofCookie < 0.85 ? { note: `bearer-jwt at ${round(ofCookie, 2)}x cookie, more than 15% below` } : {}),
        details: {
          connections: mode.connections,
          stored_sessions: hot,
          ...(jwt ? { ratio_to_cookie: round(ofCookie, 3), within_15_percent_of_cookie: ofCookie >= 0.85 } : {}),
          configured_fastify_per_s: round(result.configured.rps),
          ratio_to_configured_fastify: round(median(roundRatios(result[variant].roundsRps, result.configured.roundsRps)), 3),
          configured_fastify_server_cpu_us_per_request: result.configured.cpuUsPerRequest === null ? null : round(result.configured.cpuUsPerRequest, 1),
          ...loadDetails(result[variant]),
          ...loadDetails(result.plain, 'baseline_'),
        },
      });
    });
  },
};
