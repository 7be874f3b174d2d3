// `validation_scale_out`: the same cookie validation on the scale-out shape (PostgreSQL and
// Redis) and on the embedded one (SQLite), interleaved in one run. The hot path is the
// session cache, not the store, so the shapes should be within 10% of each other.
import { join } from 'node:path';
import { BenchContext } from '../lib/context.js';
import { failuresOf, loadDetails, makeFigure } from '../lib/figures.js';
import { roundRatios } from '../lib/load.js';
import { measureRounds } from '../lib/measure.js';
import { hotSetRequests } from '../lib/requests.js';
import { postgresRedisShape } from '../shapes/postgres-redis.js';
import { sqliteShape } from '../shapes/sqlite.js';
import type { Phase } from './phase.js';

export const scaleOutPhase: Phase = {
  name: 'validation_scale_out',
  figures: ['validation_scale_out'],
  async run(ctx) {
    const { mode } = ctx;
    // One context per shape; the run's own one is whichever --shape chose.
    const other = (shape: typeof sqliteShape) => new BenchContext(mode, shape, join(ctx.workDir, `shape-${shape.name.replace('+', '-')}`), false);
    const embedded = ctx.shape.name === sqliteShape.name ? ctx : other(sqliteShape);
    const scaled = ctx.shape.name === postgresRedisShape.name ? ctx : other(postgresRedisShape);
    try {
      const [lite, pg] = await Promise.all([embedded.gatehouse('small'), scaled.gatehouse('small')]);
      const hot = mode.smallSessions;
      const result = await measureRounds(ctx, {
        sqlite: { url: lite.url, serverPid: lite.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie') },
        scaled: { url: pg.url, serverPid: pg.pid, connections: mode.connections, requests: hotSetRequests(hot, 'cookie') },
      });
      return [
        makeFigure({
          name: 'validation_scale_out',
          shape: postgresRedisShape.name,
          value: result.scaled.rps,
          unit: 'req/s',
          baselineName: 'validation_sqlite',
          baselineValue: result.sqlite.rps,
          ratioRounds: roundRatios(result.scaled.roundsRps, result.sqlite.roundsRps),
          goal: '>= 0.9x the embedded (SQLite) shape in the same run',
          targets: { minRatio: 0.9 },
          p99Ms: result.scaled.p99,
          failures: failuresOf(result.scaled),
          details: { ...loadDetails(result.scaled), ...loadDetails(result.sqlite, 'baseline_') },
        }),
      ];
    } finally {
      for (const context of [embedded, scaled]) if (context !== ctx) await context.close();
    }
  },
};
