// One load run with autocannon, in this (the runner) process. Latencies are taken from
// autocannon's per-response event so they keep sub-millisecond precision; only 2xx
// answers count as served, anything else is reported so a broken setup cannot pass.
import autocannon, { type AutocannonRequest } from 'autocannon';
import { cpuSeconds } from './proc.js';
import { LatencyLog, median, percentile, pooled } from './stats.js';

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  /** Cycled in order by every connection; prebuilt unless they have setupRequest. */
  requests: AutocannonRequest[];
  /** Total requests per second across connections; unset means as fast as possible. */
  overallRate?: number;
  /** The server's process, to measure the CPU time it spends on this load. */
  serverPid?: number;
}

export interface LoadRun {
  ok: number;
  rejected: number; // non-2xx answers
  errors: number; // socket errors and timeouts
  seconds: number;
  rps: number;
  latencies: Float64Array; // ms, unsorted, 2xx only
  statusCodes: Record<string, number>;
  serverCpuS: number | null;
}

/**
 * Wall time and the server's CPU time of one run, from when it was made: the three load
 * generators (HTTP, WebSocket, AMQP) measure and report a run the same way.
 */
export class RunMeter {
  /** When the run began, in `performance.now()` time. */
  readonly startedAt = performance.now();
  private readonly cpuBefore: number | null;

  constructor(private readonly serverPid: number | undefined) {
    this.cpuBefore = serverPid === undefined ? null : cpuSeconds(serverPid);
  }

  /** The run as the figures read it, measured now. */
  finish(counts: Pick<LoadRun, 'ok' | 'rejected' | 'errors' | 'statusCodes'>, latencies: LatencyLog): LoadRun {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const cpuAfter = this.serverPid === undefined ? null : cpuSeconds(this.serverPid);
    const serverCpuS = this.cpuBefore === null || cpuAfter === null ? null : cpuAfter - this.cpuBefore;
    return { ...counts, seconds, rps: counts.ok / seconds, latencies: latencies.recorded, serverCpuS };
  }
}

export async function runLoad(spec: LoadSpec): Promise<LoadRun> {
  const latencies = new LatencyLog();
  let ok = 0;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 30,
    requests: spec.requests,
    ...(spec.overallRate !== undefined ? { overallRate: spec.overallRate } : {}),
  });
  const meter = new RunMeter(spec.serverPid);
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status < 200 || status >= 300) return;
    latencies.add(ms);
    ok++;
  });
  const result = await instance;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return meter.finish({ ok, rejected: result.non2xx, errors: result.errors + result.timeouts, statusCodes }, latencies);
}

/** What a figure reports about a set of rounds of the same load. */
export interface LoadSummary {
  rps: number; // median over rounds
  roundsRps: number[];
  p50: number;
  p99: number; // over the pooled latencies of every round
  max: number;
  ok: number;
  rejected: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Server CPU time per answered request, over all rounds (µs); null if not measured. */
  cpuUsPerRequest: number | null;
}

export function summarize(runs: readonly LoadRun[]): LoadSummary {
  const all = pooled(runs.map((r) => r.latencies));
  const roundsRps = runs.map((r) => r.rps);
  const statusCodes: Record<string, number> = {};
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    rps: median(roundsRps),
    roundsRps,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all.length > 0 ? all[all.length - 1]! : Number.NaN,
    ok: runs.reduce((n, r) => n + r.ok, 0),
    rejected: runs.reduce((n, r) => n + r.rejected, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    statusCodes,
    cpuUsPerRequest: runs.every((r) => r.serverCpuS !== null)
      ? (runs.reduce((s, r) => s + r.serverCpuS!, 0) * 1e6) / Math.max(1, runs.reduce((n, r) => n + r.ok, 0))
      : null,
  };
}

/**
 * Per-round ratios a/b of interleaved rounds; a figure's ratio is their median. Each pair
 * was measured back to back, so a round spoilt by a burst of outside work spoils one pair,
 * where a ratio of two medians could mix a quiet round with a busy one.
 */
export const roundRatios = (a: readonly number[], b: readonly number[]): number[] => a.map((value, i) => value / b[i]!);
