// `amqp_round_trip`: account messages over the AMQP surface, request-reply through the
// broker with a bounded number in flight, against a bare amqplib echo consumer on the same
// broker in interleaved rounds. The message is RequestAccountData with a seeded session's
// token in the jwt header: a credential check and an account read, the common case.
import amqp from 'amqplib';
import { startChild } from '../lib/children.js';
import { failuresOf, loadDetails, makeFigure } from '../lib/figures.js';
import { runAmqpLoad } from '../lib/amqp-load.js';
import { roundRatios, summarize, type LoadRun } from '../lib/load.js';
import { benchToken } from '../lib/tokens.js';
import { deadLetterName } from '../../src/surfaces/amqp/consumer.js';
import type { Phase } from './phase.js';

const goal = '>= 0.5x the bare amqplib echo consumer; p99 reported';
const inFlight = 64;
const prefetch = '32';
const brokerUrl = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function deleteQueues(queues: string[]): Promise<void> {
  const connection = await amqp.connect(brokerUrl);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  for (const queue of queues) {
    await channel.deleteQueue(queue);
    await channel.deleteQueue(deadLetterName(queue));
    await channel.deleteExchange(deadLetterName(queue));
  }
  await connection.close();
}

export const amqpPhase: Phase = {
  name: 'amqp',
  figures: ['amqp_round_trip'],
  async run(ctx) {
    const { mode } = ctx;
    const queues = { gatehouse: `gatehouse-bench-${process.pid}-gatehouse`, echo: `gatehouse-bench-${process.pid}-echo` };
    const server = await ctx.startGatehouse('small', `gatehouse-${ctx.shape.name}-amqp`, { AMQP_URL: brokerUrl, AMQP_QUEUE: queues.gatehouse, AMQP_PREFETCH: prefetch });
    const echo = startChild({
      name: 'amqp-echo',
      script: 'bench/baselines/amqp-echo.ts',
      env: { BENCH_AMQP_URL: brokerUrl, BENCH_AMQP_QUEUE: queues.echo, AMQP_PREFETCH: prefetch },
      logDir: ctx.logDir,
      lifetimeMs: mode.childLifetimeMs,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        echo.process.once('message', () => resolve());
        void echo.exited.then((code) => reject(new Error(`the echo consumer exited (${code}); see ${ctx.logDir}/amqp-echo.log`)));
      });
      const hot = mode.smallSessions;
      const message = (i: number) => ({ type: 'RequestAccountData', body: '{}', jwt: benchToken(i % hot) });
      const load = (key: 'gatehouse' | 'echo', durationS: number) =>
        runAmqpLoad({ url: brokerUrl, queue: queues[key], inFlight, durationS, message, serverPid: key === 'gatehouse' ? server.pid : echo.pid });
      const runs: { gatehouse: LoadRun[]; echo: LoadRun[] } = { gatehouse: [], echo: [] };
      for (let r = 0; r < mode.rounds; r++) {
        for (const key of r % 2 === 0 ? (['gatehouse', 'echo'] as const) : (['echo', 'gatehouse'] as const)) {
          if (r === 0) await load(key, key === 'gatehouse' ? ctx.warmupFor(server.url) : mode.warmupS);
          const run = await load(key, mode.durationS);
          ctx.log(`  ${key} round ${r + 1}: ${run.rps.toFixed(0)} round trips/s, ${run.rejected + run.errors} failed`);
          runs[key].push(run);
        }
      }
      const [gatehouse, baseline] = [summarize(runs.gatehouse), summarize(runs.echo)];
      return [
        makeFigure({
          name: 'amqp_round_trip',
          shape: ctx.shape.name,
          value: gatehouse.rps,
          unit: 'req/s',
          baselineName: 'amqplib_echo_consumer',
          baselineValue: baseline.rps,
          ratioRounds: roundRatios(gatehouse.roundsRps, baseline.roundsRps),
          goal,
          targets: { minRatio: 0.5 },
          p99Ms: gatehouse.p99,
          failures: failuresOf(gatehouse),
          details: { in_flight: inFlight, prefetch: Number(prefetch), message: 'RequestAccountData', ...loadDetails(gatehouse), ...loadDetails(baseline, 'baseline_') },
        }),
      ];
    } finally {
      await Promise.all([ctx.stop(server), echo.stop()]);
      await deleteQueues([queues.gatehouse, queues.echo]).catch((err: Error) => ctx.log(`could not delete the bench queues: ${err.message}`));
    }
  },
};
