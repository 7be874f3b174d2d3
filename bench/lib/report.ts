// Writes a run's results: latest.json (machine + figures), latest.md (the same as a
// table) and latest.svg (chart.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import type { Figure } from './figures.js';
import type { Machine } from './machine.js';

const number = (v: unknown): string => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '—');
const verdict = (met: boolean | null): string => (met === null ? '—' : met ? 'yes' : '**no**');

export function markdown(machine: Machine, figures: readonly Figure[]): string {
  const lines = [
    '# Gatehouse benchmark — latest run',
    '',
    `${machine.date} · ${machine.mode} mode · ${machine.cpu_model}, ${machine.cores} cores, ${number(machine.memory_mb)} MB · Node ${machine.node} · ${machine.platform}`,
    `Load average at start ${machine.load_average_start.join(' / ')}, at end ${machine.load_average_end?.join(' / ') ?? '?'}; run took ${machine.duration_s ?? '?'} s.`,
    '',
    'Server CPU µs/req is the server process\'s CPU time per answered request (all threads, from /proc): it barely moves when other work on the machine takes cores away, so it is the steadier comparison on a busy machine.',
    '',
    'Every ratio is against a baseline measured in the same run on the same machine: the median of the ratios of interleaved rounds (so it can differ a little from value / baseline value, which are medians of the rounds). p99 is over the pooled latencies of all rounds.',
    '',
    '| figure | variant | shape | value | unit | baseline | baseline value | ratio | p99 ms | server CPU µs/req (baseline) | goal | met |',
    '|---|---|---|---:|---|---|---:|---:|---:|---:|---|---|',
  ];
  for (const f of figures) {
    const p99 = f.details?.p99_ms;
    const cpu = f.details?.server_cpu_us_per_request;
    const baseCpu = f.details?.baseline_server_cpu_us_per_request;
    const cpuText = cpu === undefined ? '—' : `${number(cpu)}${baseCpu === undefined ? '' : ` (${number(baseCpu)})`}`;
    lines.push(
      `| ${f.name} | ${f.variant ?? ''} | ${f.shape} | ${number(f.value)} | ${f.unit} | ${f.baseline_name ?? '—'} | ${number(f.baseline_value)} | ${number(f.ratio)} | ${number(p99)} | ${cpuText} | ${f.goal} | ${verdict(f.met)} |`,
    );
  }
  const notes = figures.filter((f) => f.note);
  if (notes.length > 0) {
    lines.push('', 'Notes:', '');
    for (const f of notes) lines.push(`- ${f.name}${f.variant ? ` (${f.variant})` : ''}: ${f.note}`);
  }
  lines.push('', 'Per-round values, latency percentiles and baseline latencies are in latest.json (`details`).', '');
  return lines.join('\n');
}

export async function writeResults(dir: string, machine: Machine, figures: readonly Figure[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ machine, figures }, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdown(machine, figures));
  writeFileSync(join(dir, 'latest.svg'), await renderChart(machine, figures));
}
