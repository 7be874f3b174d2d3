// `validation_1m` and `rss_1m_sessions`: the same hot working set (tokens 0-999) served
// from a store of a million sessions and from one of a thousand, interleaved; then the
// resident memory of the large server. Quick mode seeds fewer sessions and says so.
import { failuresOf, loadDetails, makeFigure } from '../lib/figures.js';
import { roundRatios } from '../lib/load.js';
import { measureRounds } from '../lib/measure.js';
import { formatCount } from '../lib/modes.js';
import { hotSetRequests } from '../lib/requests.js';
import { gauge, residentMb } from '../lib/proc.js';
import type { Phase } from './phase.js';

export const validation1mPhase: Phase = {
  name: 'validation_1m',
  figures: ['validation_1m', 'rss_1m_sessions'],
  async run(ctx) {
    const { mode } = ctx;
    const hot = mode.smallSessions;
    const large = await ctx.gatehouse('large');
    const small = await ctx.gatehouse('small');
    const stored = ctx.sessionsIn('large');
    const note = stored === 1_000_000 ? undefined : `${mode.name} mode: ${formatCount(stored)} sessions stored, not 1,000,000`;
    const result = await measureRounds(ctx, {
      small: { url: small.url, serverPid: small.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie') },
      large: { url: large.url, serverPid: large.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie') },
    });
    const rss = residentMb(large.pid);
    const cached = await gauge(large.url, 'gatehouse_session_cache_entries');
    await ctx.release('large'); // idle, it would still run its sweeper during later phases
    return [
      makeFigure({
        name: 'validation_1m',
        shape: ctx.shape.name,
        value: result.large.rps,
        unit: 'req/s',
        baselineName: `validation_${formatCount(hot)}_stored`,
        baselineValue: result.small.rps,
        ratioRounds: roundRatios(result.large.roundsRps, result.small.roundsRps),
        goal: 'within 10% of the 1,000-session store (ratio >= 0.9)',
        targets: { minRatio: 0.9 },
        p99Ms: result.large.p99,
        failures: failuresOf(result.large),
        ...(note ? { note } : {}),
        details: { stored_sessions: stored, hot_tokens: hot, ...loadDetails(result.large), ...loadDetails(result.small, 'baseline_') },
      }),
      makeFigure({
        name: 'rss_1m_sessions',
        shape: ctx.shape.name,
        value: rss,
        unit: 'MB',
        goal: '<= 250 MB',
        targets: { maxValue: 250 },
        ...(note ? { note } : {}),
        details: { stored_sessions: stored, cache_entries: cached, read_after: 'validation_1m' },
      }),
    ];
  },
};
