// `login`, `login_token` and `registration`: request throughput where every request spends
// one argon2id operation, against raw argon2id throughput with the same parameters and every
// core busy (the machine's limit) in a separate process, measured in alternation with the server.
import type { AutocannonRequest } from 'autocannon';
import type { BenchContext } from '../lib/context.js';
import { failuresOf, loadDetails, makeFigure, type Figure } from '../lib/figures.js';
import { cycleOf, runLeanLoad } from '../lib/lean-load.js';
import { roundRatios, summarize, type LoadRun } from '../lib/load.js';
import { loginRequests, loginTokenRequests, registrationRequests } from '../lib/requests.js';
import { median, round } from '../lib/stats.js';
import type { Phase } from './phase.js';

interface PasswordFigure {
  name: string;
  op: 'verify' | 'hash';
  requests: AutocannonRequest[];
  minRatio: number;
}

async function measure(ctx: BenchContext, spec: PasswordFigure): Promise<Figure> {
  const { mode } = ctx;
  const server = await ctx.gatehouse('small');
  // The lean generator: on two cores, the CPU a load generator spends is taken from the
  // hashing threads the raw baseline has to itself (see lib/lean-load.ts).
  const load = { url: server.url, connections: mode.loginConnections, request: cycleOf(spec.requests) };
  const raw: number[] = [];
  const runs: LoadRun[] = [];
  // Until the figure's own path is optimised (see Mode.passwordWarmupS).
  await runLeanLoad({ ...load, durationS: Math.max(ctx.warmupFor(server.url), mode.passwordWarmupS) });
  for (let r = 0; r < mode.hashRounds; r++) {
    // Alternating which goes first (see lib/measure.ts).
    if (r % 2 === 1) runs.push(await runLeanLoad({ ...load, durationS: mode.durationS }));
    raw.push((await ctx.argon2(spec.op, mode.durationS)).perSecond);
    if (r % 2 === 0) runs.push(await runLeanLoad({ ...load, durationS: mode.durationS }));
    ctx.log(`  ${spec.name} round ${r + 1}: raw ${raw.at(-1)!.toFixed(1)}/s, server ${runs.at(-1)!.rps.toFixed(1)} req/s`);
  }
  const summary = summarize(runs);
  return makeFigure({
    name: spec.name,
    shape: ctx.shape.name,
    value: summary.rps,
    unit: 'req/s',
    baselineName: `argon2id_${spec.op}_raw`,
    baselineValue: median(raw),
    ratioRounds: roundRatios(summary.roundsRps, raw),
    goal: `>= ${spec.minRatio}x raw argon2id ${spec.op}s/s, all cores busy`,
    targets: { minRatio: spec.minRatio },
    failures: failuresOf(summary),
    details: {
      hash_concurrency: ctx.hashConcurrency,
      baseline_hash_concurrency: ctx.baselineHashConcurrency,
      connections: mode.loginConnections,
      baseline_rounds_per_s: raw.map((v) => round(v, 1)),
      ...loadDetails(summary),
    },
  });
}

export const loginPhase: Phase = {
  name: 'login',
  figures: ['login'],
  run: async (ctx) => [await measure(ctx, { name: 'login', op: 'verify', requests: loginRequests(ctx.mode.loginUsers), minRatio: 0.85 })],
};

/** RequestLoginToken over v2: a login that also signs an access token (EdDSA). */
export const loginTokenPhase: Phase = {
  name: 'login_token',
  figures: ['login_token'],
  run: async (ctx) => [await measure(ctx, { name: 'login_token', op: 'verify', requests: loginTokenRequests(ctx.mode.loginUsers), minRatio: 0.85 })],
};

export const registrationPhase: Phase = {
  name: 'registration',
  figures: ['registration'],
  run: async (ctx) => [
    await measure(ctx, { name: 'registration', op: 'hash', requests: registrationRequests(Date.now().toString(36)), minRatio: 0.85 }),
  ],
};
