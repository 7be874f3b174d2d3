// The server under test: the real `gatehouse serve` entry point, configured only through
// environment variables, behind the benchmark's lifetime guard. It imports the compiled
// build that the runner made (BENCH_SERVER_ENTRY, see lib/build.ts): this checkout's, or
// that of another checkout given with `--src <dir>`, e.g. a worktree of the previous commit,
// to measure a change before and after in the same way.
import './guard.js';
import { pathToFileURL } from 'node:url';

const entry = process.env.BENCH_SERVER_ENTRY;
if (!entry) throw new Error('BENCH_SERVER_ENTRY is not set: start this server through bench/run.ts, which compiles it first');
process.argv.splice(2, process.argv.length, 'serve');
await import(pathToFileURL(entry).href);
