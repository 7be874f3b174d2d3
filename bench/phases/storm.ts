// `validation_during_login_storm`: validation (50 connections, hot set) while a login
// load keeps every hashing slot busy, against validation alone on the same server,
// interleaved. Hashing runs on libuv's pool, so the event loop should keep answering.
import { failuresOf, loadDetails, makeFigure } from '../lib/figures.js';
import { roundRatios, runLoad, summarize, type LoadRun } from '../lib/load.js';
import { hotSetRequests, loginRequests } from '../lib/requests.js';
import { round } from '../lib/stats.js';
import type { Phase } from './phase.js';

export const stormPhase: Phase = {
  name: 'validation_during_login_storm',
  figures: ['validation_during_login_storm'],
  async run(ctx) {
    const { mode } = ctx;
    const server = await ctx.gatehouse('small');
    const validation = { url: server.url, connections: mode.connections, requests: hotSetRequests(mode.smallSessions, 'cookie') };
    const logins = { url: server.url, connections: mode.loginConnections, requests: loginRequests(mode.loginUsers) };
    const alone: LoadRun[] = [];
    const during: LoadRun[] = [];
    const loginRps: number[] = [];
    await runLoad({ ...validation, durationS: ctx.warmupFor(server.url) });
    const withStorm = async () => {
      // The login load starts first and ends last, so hashing is saturated throughout.
      const storm = runLoad({ ...logins, durationS: mode.durationS + 2 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      during.push(await runLoad({ ...validation, durationS: mode.durationS }));
      loginRps.push((await storm).rps);
      // Queued logins finish after the load stops; they must not overlap the next run.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    };
    for (let r = 0; r < mode.rounds; r++) {
      // Alternating which goes first (see lib/measure.ts).
      if (r % 2 === 1) await withStorm();
      alone.push(await runLoad({ ...validation, durationS: mode.durationS }));
      if (r % 2 === 0) await withStorm();
      ctx.log(`  storm round ${r + 1}: alone ${alone.at(-1)!.rps.toFixed(0)}, during ${during.at(-1)!.rps.toFixed(0)} req/s, logins ${loginRps.at(-1)!.toFixed(1)}/s`);
    }
    const a = summarize(alone);
    const d = summarize(during);
    return [
      makeFigure({
        name: 'validation_during_login_storm',
        shape: ctx.shape.name,
        value: d.rps,
        unit: 'req/s',
        baselineName: 'validation_alone',
        baselineValue: a.rps,
        ratioRounds: roundRatios(d.roundsRps, a.roundsRps),
        goal: 'p99 <= 50 ms and >= 0.4x validation alone',
        targets: { minRatio: 0.4, maxP99Ms: 50 },
        p99Ms: d.p99,
        failures: failuresOf(d),
        details: { ...loadDetails(d), ...loadDetails(a, 'baseline_'), logins_per_s: loginRps.map((v) => round(v, 1)) },
      }),
    ];
  },
};
