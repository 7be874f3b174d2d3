// `revocation_propagation`: two Gatehouse servers on one shared store. Each round logs a
// seeded user in on A, validates on B (so B caches the session), logs out on A and polls B
// until it refuses the session. The figure is the time from A's logout answer to B's
// first refusal, over at least 200 closes; only multi-node shapes can measure it.
import { makeFigure, type Figure } from '../lib/figures.js';
import { percentile, round } from '../lib/stats.js';
import { loginPassword, loginUserName } from '../lib/tokens.js';
import type { Phase } from './phase.js';

const closes = 200;
const goal = 'p99 <= 1000 ms from close on A to refused on B';

async function status(url: string, init: RequestInit = {}): Promise<{ status: number; cookie: string | undefined }> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  const cookie = /(?:^|,\s*)sid=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  return { status: response.status, cookie };
}

export const propagationPhase: Phase = {
  name: 'revocation_propagation',
  figures: ['revocation_propagation'],
  async run(ctx): Promise<Figure[]> {
    if (!ctx.shape.multiNode) {
      return [makeFigure({ name: 'revocation_propagation', shape: ctx.shape.name, value: null, unit: 'ms', goal, targets: {}, note: 'needs a multi-node shape (--shape postgres+redis)' })];
    }
    const a = await ctx.startGatehouse('small', `gatehouse-${ctx.shape.name}-a`);
    const b = await ctx.startGatehouse('small', `gatehouse-${ctx.shape.name}-b`);
    const afterAnswer: number[] = [];
    const afterRequest: number[] = [];
    let polls = 0;
    try {
      for (let i = 0; i < closes; i++) {
        const login = await status(`${a.url}/api/user/session/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: loginUserName(i % ctx.mode.loginUsers), password: loginPassword }),
        });
        if (login.status !== 200 || login.cookie === undefined) throw new Error(`login on A answered ${login.status}`);
        const cookie = { headers: { cookie: `sid=${login.cookie}` } };
        if ((await status(`${b.url}/api/user/session/validate`, cookie)).status !== 200) throw new Error('B did not accept a live session');
        const sent = performance.now();
        await status(`${a.url}/api/user/session/delete`, { method: 'DELETE', ...cookie });
        const answered = performance.now();
        for (;;) {
          polls++;
          if ((await status(`${b.url}/api/user/session/validate`, cookie)).status === 401) break;
          if (performance.now() - answered > 5000) throw new Error('B still accepted a closed session after 5 s');
        }
        const refused = performance.now();
        afterAnswer.push(refused - answered);
        afterRequest.push(refused - sent);
      }
    } finally {
      await Promise.all([ctx.stop(a), ctx.stop(b)]);
    }
    const sorted = Float64Array.from(afterAnswer).sort();
    const fromRequest = Float64Array.from(afterRequest).sort();
    const p99 = round(percentile(sorted, 99));
    return [
      makeFigure({
        name: 'revocation_propagation',
        shape: ctx.shape.name,
        value: round(percentile(sorted, 50)),
        unit: 'ms',
        goal,
        targets: { maxP99Ms: 1000 },
        p99Ms: p99,
        details: {
          closes,
          p50_ms: round(percentile(sorted, 50)),
          p99_ms: p99,
          max_ms: round(sorted[sorted.length - 1]!),
          // Including the logout request itself: the upper bound a client could observe.
          from_logout_request_p50_ms: round(percentile(fromRequest, 50)),
          from_logout_request_p99_ms: round(percentile(fromRequest, 99)),
          polls_per_close: round(polls / closes),
        },
      }),
    ];
  },
};
