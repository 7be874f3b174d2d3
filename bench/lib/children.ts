// Child processes of a run: the server under test, the baseline servers and the raw
// argon2 measurement. Each child has a lifetime limit and watches the runner's IPC
// channel (see servers/guard.ts), and every live child is killed when the runner exits,
// so nothing outlives a run even when it crashes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export interface ChildOptions {
  name: string;
  /** A TypeScript entry, relative to the repository root. */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  logDir: string;
  /** Directory for a V8 CPU profile written when the child exits; none if unset. */
  profileDir?: string;
  lifetimeMs: number;
}

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  exited: Promise<number | null>;
  /** SIGTERM (a clean shutdown, which also writes the profile), then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of live) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** An unused loopback port: bound with port 0, then released for the child to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function startChild(options: ChildOptions): Child {
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = openSync(logFile, 'a');
  const nodeArgs = ['--import', 'tsx'];
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${options.name}-${Date.now()}.cpuprofile`);
  }
  const child = spawn(process.execPath, [...nodeArgs, options.script, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env, BENCH_LIFETIME_MS: String(options.lifetimeMs) },
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  return {
    name: options.name,
    pid: child.pid!,
    process: child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function logTail(logDir: string, name: string, lines = 20): string {
  try {
    return readFileSync(join(logDir, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls GET /healthz until it answers 200, for the tools that start a server of their own. */
export async function untilHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch (err) {
      if (Date.now() > deadline) throw err; // not listening yet, and no more time to wait
    }
    if (Date.now() > deadline) throw new Error(`${url} was not healthy within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Polls GET /healthz until it answers 200; fails early if the child dies first. */
export async function waitReady(child: Child, url: string, logDir: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void child.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${child.name} exited before it was ready:\n${logTail(logDir, child.name)}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} was not ready within ${timeoutMs} ms:\n${logTail(logDir, child.name)}`);
}
