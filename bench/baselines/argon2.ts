// Baseline for login and registration: raw argon2id throughput in a process of its own,
// with the parameters (PASSWORD_HASH) and the concurrency (PASSWORD_HASH_CONCURRENCY) the
// server gets, calling @node-rs/argon2 directly with nothing else around it.
// Usage: argon2.ts verify|hash <seconds>; the result goes to the runner over IPC.
import '../servers/guard.js';
import { hash, verify } from '@node-rs/argon2';
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

const once = op === 'verify' ? () => verify(stored, password) : () => hash(password, options);
await once(); // the first call pays for thread start-up; not part of the figure

const started = performance.now();
const end = started + Number(secondsText) * 1000;
let done = 0;
// `concurrency` loops, each starting its next operation as soon as one finishes: the same
// shape as the server's limiter when a queue of logins is waiting.
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await once();
      done++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const result = { op, concurrency, params: config.passwordHash, done, seconds, perSecond: done / seconds };
// Wait for the message to be written: the guard unrefs the channel.
if (process.send) await new Promise((resolve) => process.send!(result, undefined, {}, resolve));
else console.log(JSON.stringify(result));
