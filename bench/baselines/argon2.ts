// Baseline for login and registration: raw argon2id throughput in a process of its own,
// with the parameters (PASSWORD_HASH) the server gets and PASSWORD_HASH_CONCURRENCY threads
// (the runner gives every core), each calling @node-rs/argon2 back to back with nothing
// else around it. Each thread loops on its own: no event loop hands work over between two
// hashes, so no core waits for one. (Until December 2026 this ran @node-rs/argon2's async
// calls on libuv's pool, whose hand-overs left a 2-core machine idle enough to run 10%
// below this: 203–211 against 233–234 verifications/s. That was a softer limit.)
// Usage: argon2.ts verify|hash <seconds>; the result goes to the runner over IPC.
import '../servers/guard.js';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { hash } from '@node-rs/argon2';
import { loadConfig } from '../../src/config.js';

const ARGON2ID = 2; // Algorithm.Argon2id, a const enum in the package typings
const [op = 'verify', secondsText = '5'] = process.argv.slice(2);
if (op !== 'verify' && op !== 'hash') throw new Error(`unknown operation ${op}`);

const config = loadConfig();
const { memoryCost, timeCost, parallelism } = config.passwordHash;
const options = { algorithm: ARGON2ID, memoryCost, timeCost, parallelism };
const concurrency = config.passwordHashConcurrency;
const password = 'correct horse battery staple';
const stored = await hash(password, options);
const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');

// Plain CommonJS for `eval: true`. Each thread does one operation first (its start-up is
// not part of the figure), says it is ready, and at the signal loops until the deadline.
const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
const { op, stored, password, options } = workerData;
const once = op === 'verify' ? () => argon2.verifySync(stored, password) : () => argon2.hashSync(password, options);
once();
parentPort.postMessage('ready');
parentPort.once('message', (end) => {
  let done = 0;
  while (Date.now() < end) {
    once();
    done++;
  }
  parentPort.postMessage(done);
});
`;
const threads = Array.from({ length: concurrency }, () => new Worker(threadSource, { eval: true, execArgv: [], workerData: { argon2, op, stored, password, options } }));
const next = (worker: Worker) => new Promise<unknown>((resolve, reject) => worker.once('message', resolve).once('error', reject));
await Promise.all(threads.map(next));

const started = Date.now();
const counts = threads.map(next);
for (const thread of threads) thread.postMessage(started + Number(secondsText) * 1000);
const done = (await Promise.all(counts)).reduce((sum: number, count) => sum + (count as number), 0);
const seconds = (Date.now() - started) / 1000;
await Promise.all(threads.map((thread) => thread.terminate()));
const result = { op, concurrency, params: config.passwordHash, done, seconds, perSecond: done / seconds };
// Wait for the message to be written: the guard unrefs the channel.
if (process.send) await new Promise((resolve) => process.send!(result, undefined, {}, resolve));
else console.log(JSON.stringify(result));
