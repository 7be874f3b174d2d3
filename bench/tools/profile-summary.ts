// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, written by each server
// child into bench/.work/profiles/): top functions by self time, and self time grouped by
// where the code lives (a src/ file, a package, or V8/runtime categories).
// Usage: tsx bench/tools/profile-summary.ts <file.cpuprofile> [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: Array<ProfileNode & { children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Each sample's time is the delta to the next sample, V8's own convention.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));

/** Where a frame's code lives: src/x.ts, a node_modules package, node: internals, or a V8 category. */
function place(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/work\/[^/]+\/((?:src|bench)\/.*)$/.exec(url) ?? /((?:src|bench)\/.*)$/.exec(url);
  if (src) return src[1]!;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  total += us;
  const where = place(url, functionName);
  const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  byPlace.set(where, (byPlace.get(where) ?? 0) + us);
}

// Inclusive time of the project's own functions (src/): what each one costs with
// everything it calls, which is where a fix has to be made.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url, lineNumber, columnNumber } = byId.get(at)!.callFrame;
    const where = place(url, functionName);
    if (!where.startsWith('src/')) continue;
    const key = `${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}:${columnNumber + 1}`;
    if (seen.has(key)) continue; // recursion counts once
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}

const top = Number(values.top);
const show = (title: string, table: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
  }
};
console.log(`${file}\nbusy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms (percentages are of busy time)`);
show('Top functions by self time', byFunction);
show('Self time by place', byPlace);
show('Project functions (src/) by inclusive time', inclusive);
