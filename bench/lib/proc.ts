// Readings of a running server from outside the process: memory, CPU time, gauges.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident set size in MB, from /proc/<pid>/status (Linux). */
export function residentMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** One unlabelled gauge from the server's Prometheus endpoint. */
export async function gauge(url: string, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, all threads) a process has used so far, in seconds; Linux only.
 * Unlike throughput, CPU time per request hardly changes when other work on the machine
 * takes cores away, so it is the steadier way to compare two servers on a busy machine.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}
