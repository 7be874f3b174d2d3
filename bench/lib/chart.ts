// latest.svg: throughput as a ratio to each figure's same-run baseline (with the goal
// marked), and p99 latency next to the baseline's p99 and the goal. Vega-Lite compiles
// the spec, Vega renders it headless (renderer 'none' + toSVG needs no canvas).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Figure } from './figures.js';
import type { Machine } from './machine.js';

const label = (f: Figure): string => (f.variant ? `${f.name} (${f.variant})` : f.name);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const fmt = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: v < 100 ? 1 : 0 });

function throughputRows(figures: readonly Figure[]) {
  return figures
    .filter((f) => f.ratio !== null && f.unit.endsWith('/s'))
    .map((f) => ({
      figure: label(f),
      ratio: f.ratio,
      goal: num(f.details?.goal_min_ratio),
      verdict: f.met ? 'goal met' : 'goal missed',
      // The limit each bar is measured against, by name: plain Fastify, all-cores argon2id…
      text: `${fmt(f.value!)} vs ${fmt(f.baseline_value!)} ${f.unit} (${f.baseline_name})`,
    }));
}

function latencyRows(figures: readonly Figure[]) {
  const bars: Array<{ figure: string; series: string; p99: number }> = [];
  const goals: Array<{ figure: string; goal: number }> = [];
  for (const f of figures) {
    const p99 = num(f.details?.p99_ms);
    const base = num(f.details?.baseline_p99_ms);
    const goal = num(f.details?.goal_max_p99_ms);
    // Password phases queue by design (p99 is queue length x hash time): no latency goal, left out.
    if (p99 === undefined || (goal === undefined && base === undefined)) continue;
    bars.push({ figure: label(f), series: 'measured', p99 });
    if (base !== undefined) bars.push({ figure: label(f), series: 'same-run baseline', p99: base });
    if (goal !== undefined) goals.push({ figure: label(f), goal });
  }
  return { bars, goals };
}

export async function renderChart(machine: Machine, figures: readonly Figure[]): Promise<string> {
  const throughput = throughputRows(figures);
  const latency = latencyRows(figures);
  const y = { field: 'figure', type: 'nominal', title: null, sort: null } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Gatehouse benchmark', subtitle: `${machine.mode} mode · ${machine.cores} cores · ${machine.cpu_model} · Node ${machine.node} · ${machine.date}` },
    background: 'white',
    config: { view: { stroke: null }, axis: { labelLimit: 320 } },
    vconcat: [
      {
        title: 'Throughput relative to the same-run baseline (1.0 = baseline; black tick = goal)',
        width: 520,
        height: { step: 26 },
        data: { values: throughput },
        layer: [
          {
            mark: 'bar',
            encoding: {
              y,
              x: { field: 'ratio', type: 'quantitative', title: 'ratio to baseline' },
              color: { field: 'verdict', type: 'nominal', title: null, scale: { domain: ['goal met', 'goal missed'], range: ['#4c9f70', '#d1495b'] } },
            },
          },
          { mark: { type: 'tick', color: 'black', thickness: 3 }, encoding: { y, x: { field: 'goal', type: 'quantitative' } } },
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { x: { datum: 1 } } },
          { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, x: { field: 'ratio', type: 'quantitative' }, text: { field: 'text' } } },
        ],
      },
      {
        title: 'p99 latency, ms, against the same-run baseline (black tick = goal)',
        width: 520,
        height: { step: 30, for: 'position' },
        layer: [
          {
            data: { values: latency.bars },
            mark: 'bar',
            encoding: {
              y,
              yOffset: { field: 'series' },
              x: { field: 'p99', type: 'quantitative', title: 'p99 ms' },
              color: { field: 'series', type: 'nominal', title: null },
            },
          },
          {
            data: { values: latency.goals },
            mark: { type: 'tick', color: 'black', thickness: 3 },
            encoding: { y, x: { field: 'goal', type: 'quantitative' } },
          },
        ],
        resolve: { scale: { color: 'independent' } },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
