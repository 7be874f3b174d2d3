// The server under test: the real `gatehouse serve` entry point, configured only through
// environment variables, behind the benchmark's lifetime guard. BENCH_SERVER_SRC (set by
// `--src <dir>`) points at another source tree, e.g. a worktree of the previous commit,
// to measure a change before and after in the same way.
import './guard.js';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

process.argv.splice(2, process.argv.length, 'serve');
const source = process.env.BENCH_SERVER_SRC;
await import(source ? pathToFileURL(join(resolve(source), 'cli/main.ts')).href : '../../src/cli/main.js');
