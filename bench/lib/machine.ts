// The machine a run measured on. Load averages before and after are recorded because other
// work on the machine skews absolute numbers (ratios to same-run baselines much less).
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  cpu_model: string;
  cores: number;
  memory_mb: number;
  node: string;
  platform: string;
  date: string;
  mode: string;
  load_average_start: number[];
  load_average_end?: number[];
  duration_s?: number;
  /** Set when the server under test ran from another source tree (--src). */
  server_source?: string;
}

export function describeMachine(mode: string): Machine {
  return {
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memory_mb: Math.round(totalmem() / 1024 ** 2),
    node: process.version,
    platform: `${process.platform} ${release()} ${process.arch}`,
    date: new Date().toISOString(),
    mode,
    load_average_start: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export function finishMachine(machine: Machine, startedMs: number): Machine {
  return { ...machine, load_average_end: loadavg().map((v) => Math.round(v * 100) / 100), duration_s: Math.round((Date.now() - startedMs) / 1000) };
}
