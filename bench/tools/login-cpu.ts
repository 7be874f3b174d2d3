// Where a login's CPU goes, per thread: starts `gatehouse serve` on a fresh data directory,
// registers one account, drives password logins at it (8 connections) and reads every
// thread's CPU time from /proc/<pid>/task/*/stat around the measured window. The event
// loop (the main thread), the hashing threads (argon2id) and V8's helpers show apart,
// and so does the load generator's own CPU, which shares the machine's cores with them.
// A profile cannot show this: its "busy" time is wall time, inflated whenever the main
// thread waits for a core. Linux only.
// Usage: tsx bench/tools/login-cpu.ts [--seconds 8] [--warmup 3] [--login rest|token] [--connections 8] [--profile <dir>] [--client lean|autocannon]
//        [--rate <logins/s>] [--node-flags="<flags>"]
// (--profile writes the server's V8 CPU profile there, for tools/profile-summary.ts;
// --rate caps the logins per second, with autocannon, so builds or settings compare at the
// same load rather than each at its own ceiling; --node-flags go to the server's node,
// e.g. --perf-basic-prof-only-functions for `perf` with JavaScript names.)
// (PASSWORD_HASH and the other settings come from the environment, as for the server.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildServer } from '../lib/build.js';
import { freePort, repoRoot, untilHealthy } from '../lib/children.js';
import { runLeanLoad } from '../lib/lean-load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    login: { type: 'string', default: 'rest' },
    connections: { type: 'string', default: '8' },
    profile: { type: 'string' },
    client: { type: 'string', default: 'lean' },
    rate: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
  },
});
// The REST login, or the account message API's token login (a login plus a signed JWT).
const loginPaths: Record<string, string> = { rest: '/api/user/session/create', token: '/api/v2/RequestLoginToken' };
const loginPath = loginPaths[values.login];
if (loginPath === undefined) throw new Error(`--login takes ${Object.keys(loginPaths).join(' or ')}`);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = values.rate === undefined ? undefined : Number(values.rate);
if (rate !== undefined && values.client !== 'autocannon') throw new Error('--rate needs --client autocannon (the lean client sends as fast as answers come)');

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-login-cpu-'));
const port = await freePort();
const profileFlags = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
// The compiled build, as `npm start` runs it (see lib/build.ts).
const entry = buildServer(repoRoot, console.log);
const nodeFlags = values['node-flags'].split(' ').filter((flag) => flag !== '');
const server = spawn(process.execPath, [...profileFlags, ...nodeFlags, entry, 'serve'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const url = `http://127.0.0.1:${port}`;

try {
  await untilHealthy(url, 30_000);
  const credentials = { username: 'login-cpu', password: 'correct horse battery staple' };
  const registered = await fetch(`${url}/api/user/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...credentials, email: 'login-cpu@example.com' }) });
  if (registered.status !== 201) throw new Error(`registration answered ${registered.status}`);

  /** CPU milliseconds of every thread of the server, by "tid name". */
  const threadCpu = (): Map<string, number> => {
    const times = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
      const stat = readFileSync(`/proc/${server.pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(`${tid} ${name}`, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, in 10 ms ticks
    }
    return times;
  };
  const load = { url: `${url}${loginPath}`, method: 'POST' as const, connections, headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) };
  const drive = async (duration: number): Promise<number> => {
    if (values.client === 'autocannon') return (await autocannon({ ...load, duration, ...(rate === undefined ? {} : { overallRate: rate }) }))['2xx'];
    const request = { method: 'POST', path: loginPath, headers: load.headers, body: load.body };
    return (await runLeanLoad({ url, connections, durationS: duration, request: () => request })).ok;
  };
  await drive(Number(values.warmup)); // warm-up: JIT, statement cache, hashing threads

  /** The machine's idle and total CPU ticks (all cores), from /proc/stat. */
  const machineTicks = (): { idle: number; iowait: number; total: number } => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: fields[3]!, iowait: fields[4]!, total: fields.reduce((a, b) => a + b, 0) };
  };
  const machineBefore = machineTicks();
  const before = threadCpu();
  const ownBefore = process.cpuUsage();
  const logins = await drive(seconds);
  const own = process.cpuUsage(ownBefore);
  const after = threadCpu();
  const machineAfter = machineTicks();

  console.log(`${logins} successful logins in ${seconds} s (${(logins / seconds).toFixed(1)}/s), ${values.client} client, PASSWORD_HASH=${process.env.PASSWORD_HASH ?? 'default'}`);
  console.log('CPU ms per login, by thread (the first is the event loop):');
  for (const [thread, ms] of after) {
    const spent = ms - (before.get(thread) ?? 0);
    if (spent > 0) console.log(`  ${thread.padEnd(24)} ${(spent / logins).toFixed(3)}`);
  }
  console.log(`  ${'load generator'.padEnd(24)} ${((own.user + own.system) / 1000 / logins).toFixed(3)}`);
  const share = (key: 'idle' | 'iowait') => (((machineAfter[key] - machineBefore[key]) / (machineAfter.total - machineBefore.total)) * 100).toFixed(1);
  console.log(`machine idle during the window: ${share('idle')}% of all cores, waiting for I/O ${share('iowait')}%`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
