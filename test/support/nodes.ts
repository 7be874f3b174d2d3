// Real Gatehouse nodes as child processes (`node --import tsx src/cli/main.ts serve`), as
// an operator runs them: each on an ephemeral port it reports in its "gatehouse ready" log
// line. For scale-out and fault tests; a node that outlives its test is killed on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { newSecretKeyText } from '../../src/credentials/secret-box.js';
import { testPasswordHash } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const live = new Set<ChildProcess>();
process.on('exit', () => live.forEach((child) => child.kill('SIGKILL')));

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** Every log line so far, parsed (pino JSON). */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Nodes of one cluster share the secret key that seals signing keys and TOTP secrets. */
export const clusterSecretKey = newSecretKeyText();

/** The settings every test node gets, before the test's own. Inherited service URLs are cleared. */
function nodeEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', REDIS_URL: '', AMQP_URL: '', NODE_OPTIONS: '' };
  return { ...base, PORT: '0', HOST: '127.0.0.1', PASSWORD_HASH: testPasswordHash, LOG_LEVEL: 'info', GATEHOUSE_SECRET_KEY: clusterSecretKey, ...env };
}

export async function startNode(env: Record<string, string>, startTimeoutMs = 30_000): Promise<NodeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-node-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    env: nodeEnv({ GATEHOUSE_DATA_DIR: dataDir, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      rmSync(dataDir, { recursive: true, force: true });
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start in ${startTimeoutMs} ms: ${stderr}`)), startTimeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'gatehouse ready') {
        clearTimeout(timer);
        resolve(entry.port as number);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    logs,
    exited,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
