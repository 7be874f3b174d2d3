// `npm run bench [-- --quick] [--only a,b] [--profile] [--shape sqlite] [--out dir] [--src checkout]`
// Runs the phases of phases/index.ts against one shape and writes latest.json, latest.md
// and latest.svg. Servers and baselines are child processes on loopback ports; the runner
// itself only seeds stores and drives autocannon. See bench/README.md.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './lib/children.js';
import { buildServer } from './lib/build.js';
import { BenchContext } from './lib/context.js';
import { makeFigure, type Figure } from './lib/figures.js';
import { describeMachine, finishMachine } from './lib/machine.js';
import { modes } from './lib/modes.js';
import { writeResults } from './lib/report.js';
import { phases } from './phases/index.js';
import { shapes } from './shapes/index.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    shape: { type: 'string', default: 'sqlite' },
    out: { type: 'string' },
    src: { type: 'string' },
  },
});

const mode = modes[values.quick ? 'quick' : 'full'];
const shape = shapes[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape}; known: ${Object.keys(shapes).join(', ')}`);
const only = values.only?.split(',').map((s) => s.trim());
const selected = only ? phases.filter((p) => only.includes(p.name) || p.figures.some((f) => only.includes(f))) : phases;
if (selected.length === 0) throw new Error(`--only matched no phase; phases: ${phases.map((p) => p.name).join(', ')}`);
// A partial run, or one of another source tree, must not replace the committed report.
const outDir = values.out ?? join(repoRoot, only || values.src ? 'bench/.work/results' : 'bench/results');

const workDir = join(repoRoot, 'bench/.work');
mkdirSync(workDir, { recursive: true });
const started = Date.now();
const serverCheckout = values.src ? resolve(values.src) : repoRoot;
const machine = { ...describeMachine(mode.name), ...(values.src ? { server_source: serverCheckout } : {}) };
const ctx = new BenchContext(mode, shape, workDir, values.profile);
// Gatehouse children inherit it (servers/gatehouse.ts); baselines are unaffected.
process.env.BENCH_SERVER_ENTRY = buildServer(serverCheckout, ctx.log);
ctx.log(`${mode.name} mode, shape ${shape.name}, hashing concurrency ${ctx.hashConcurrency} (baseline ${ctx.baselineHashConcurrency}), phases: ${selected.map((p) => p.name).join(', ')}`);

const figures: Figure[] = [];
try {
  for (const phase of selected) {
    const phaseStart = Date.now();
    ctx.log(`phase ${phase.name}`);
    try {
      figures.push(...(await phase.run(ctx)));
    } catch (err) {
      // One broken phase must not cost the others' figures; it is reported as failed.
      console.error(err);
      for (const name of phase.figures) {
        figures.push({ ...makeFigure({ name, shape: shape.name, value: null, unit: '', goal: '', targets: {} }), met: false, note: `phase failed: ${(err as Error).message.split('\n')[0]}` });
      }
    }
    ctx.log(`phase ${phase.name} took ${((Date.now() - phaseStart) / 1000).toFixed(0)} s`);
  }
} finally {
  await ctx.close();
}

const finished = finishMachine(machine, started);
await writeResults(outDir, finished, figures);
for (const f of figures) {
  const variant = f.variant ? ` (${f.variant})` : '';
  const ratio = f.ratio === null ? '' : `, ${f.ratio}x ${f.baseline_name}`;
  const p99 = typeof f.details?.p99_ms === 'number' ? `, p99 ${f.details.p99_ms} ms` : '';
  ctx.log(`${f.name}${variant}: ${f.value ?? 'null'} ${f.unit}${ratio}${p99} -> ${f.met === null ? 'not judged' : f.met ? 'met' : 'MISSED'}`);
}
ctx.log(`wrote ${outDir}/latest.{json,md,svg} after ${finished.duration_s} s`);
