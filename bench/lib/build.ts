// The server under test runs as it ships: `npm start` runs the compiled build
// (`dist/cli/main.js`), not the TypeScript sources through tsx. tsx compiles with esbuild's
// keepNames, which wraps every function made at run time in `Object.defineProperty(fn,
// 'name', …)`; on the validation route that is every closure of every request, and it cost
// about 1.8 µs of the 22 µs of server CPU per request (December 2026). So the runner compiles
// the tree it measures first, with this checkout's TypeScript, and the children import that.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './children.js';

/** Compiles a checkout (`tsconfig.build.json`, into its `dist/`) and returns the entry point to import. */
export function buildServer(checkout: string, log: (line: string) => void): string {
  const config = join(checkout, 'tsconfig.build.json');
  if (!existsSync(config)) throw new Error(`${checkout} has no tsconfig.build.json: --src takes a Gatehouse checkout`);
  const started = Date.now();
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', config], { stdio: 'inherit' });
  log(`compiled ${checkout} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(checkout, 'dist/cli/main.js');
}
