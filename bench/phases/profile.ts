// `profile_read`: `GET /api/user` (the signed-in user's own record) by cookie on the hot
// set, against validation of the same sessions on the same server, interleaved. Both
// authenticate the same way; the distance is what reading and showing the user costs.
import { failuresOf, loadDetails, makeFigure } from '../lib/figures.js';
import { roundRatios } from '../lib/load.js';
import { measureRounds } from '../lib/measure.js';
import { hotSetRequests } from '../lib/requests.js';
import type { Phase } from './phase.js';

export const profilePhase: Phase = {
  name: 'profile_read',
  figures: ['profile_read'],
  async run(ctx) {
    const { mode } = ctx;
    const server = await ctx.gatehouse('small');
    const hot = mode.smallSessions;
    const load = { url: server.url, serverPid: server.pid, connections: mode.connections };
    const result = await measureRounds(ctx, {
      validation: { ...load, requests: hotSetRequests(hot, 'cookie') },
      profile: { ...load, requests: hotSetRequests(hot, 'cookie', '/api/user') },
    });
    return [
      makeFigure({
        name: 'profile_read',
        shape: ctx.shape.name,
        value: result.profile.rps,
        unit: 'req/s',
        baselineName: 'validation_cookie',
        baselineValue: result.validation.rps,
        ratioRounds: roundRatios(result.profile.roundsRps, result.validation.roundsRps),
        goal: '>= 0.7x validation req/s and p99 <= 10 ms',
        targets: { minRatio: 0.7, maxP99Ms: 10 },
        p99Ms: result.profile.p99,
        failures: failuresOf(result.profile),
        details: { connections: mode.connections, ...loadDetails(result.profile), ...loadDetails(result.validation, 'baseline_') },
      }),
    ];
  },
};
