// Interleaved rounds: each round runs every load once, so a measurement and its baseline
// see nearly the same background noise (other work on the machine comes and goes). Odd
// rounds run the loads in reverse order (A B, B A, …) so a drift in that noise, or going
// first, favours neither. The first round of each load starts with an uncounted warm-up
// (a long one on a server's first use: see modes.ts).
import type { BenchContext } from './context.js';
import { runLoad, summarize, type LoadRun, type LoadSpec, type LoadSummary } from './load.js';

export async function measureRounds<K extends string>(
  ctx: BenchContext,
  loads: Record<K, Omit<LoadSpec, 'durationS'>>,
  rounds = ctx.mode.rounds,
): Promise<Record<K, LoadSummary>> {
  const keys = Object.keys(loads) as K[];
  const runs = Object.fromEntries(keys.map((k) => [k, [] as LoadRun[]])) as Record<K, LoadRun[]>;
  for (let r = 0; r < rounds; r++) {
    for (const key of r % 2 === 0 ? keys : [...keys].reverse()) {
      if (r === 0) await runLoad({ ...loads[key], durationS: ctx.warmupFor(loads[key].url) });
      const run = await runLoad({ ...loads[key], durationS: ctx.mode.durationS });
      ctx.log(`  ${key} round ${r + 1}: ${run.rps.toFixed(0)} req/s, ${run.rejected + run.errors} failed`);
      runs[key].push(run);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarize(runs[k])])) as Record<K, LoadSummary>;
}
