// Password hashing with argon2id. The native hash runs on threads of its own (never the
// event loop, see hash-threads.ts), which bound how many run at once, so a login storm
// queues instead of starving session validation: `concurrency` hashes may always run, up
// to `idleConcurrency` while the event loop is quiet (logins alone use every core).
// Unknown users are checked against a dummy hash so a failed login costs the same either way.
import type { PasswordHashParams } from '../config.js';
import { HashThreads } from './hash-threads.js';
import { EventLoopLoad } from './loop-load.js';

/**
 * Event-loop utilisation under which extra hashes may start. Logins alone keep the loop
 * about 10–20% busy on the 2-core benchmark machine; validation under load keeps it
 * above 90%.
 */
const quietLoop = 0.5;

/** Whether the node has room for more than the always-allowed hashes. */
export interface LoadSignal {
  readonly quiet: boolean;
  stop(): void;
}

// @node-rs/argon2's Algorithm.Argon2id; a const enum in its typings, so spelled out here.
const ARGON2ID = 2;

export interface PasswordCheck {
  ok: boolean;
  /** True when the stored hash was made with other parameters and should be replaced. */
  needsRehash: boolean;
}

export class PasswordHasher {
  private readonly options;
  private readonly paramsTag: string;
  private readonly dummyHash: Promise<string>;
  private readonly load: LoadSignal | undefined;
  private readonly threads: HashThreads;

  /** @param load for tests; by default the event loop's utilisation when idleConcurrency is higher */
  constructor(params: PasswordHashParams, concurrency: number, idleConcurrency = concurrency, load?: LoadSignal) {
    if (idleConcurrency > concurrency) {
      const signal = load ?? new EventLoopLoad(quietLoop, () => this.threads.admit());
      this.load = signal;
      this.threads = new HashThreads(idleConcurrency, { limit: () => (signal.quiet ? idleConcurrency : concurrency) });
    } else {
      this.threads = new HashThreads(concurrency);
    }
    this.options = { algorithm: ARGON2ID, memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: params.parallelism };
    this.paramsTag = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
    // Made up front so that the first unknown-user login costs the same as every later one.
    this.dummyHash = this.threads.hash('gatehouse dummy password', this.options);
    this.dummyHash.catch(() => undefined); // surfaced by verifyUnknownUser if it ever fails
  }

  /** Hashes not started yet; exposed for metrics. */
  get queued(): number {
    return this.threads.queued;
  }

  /** Hashes running now; exposed for metrics. */
  get running(): number {
    return this.threads.running;
  }

  /** Lets a waiting hash start once the load signal has turned quiet (tests call it). */
  admit(): void {
    this.threads.admit();
  }

  /** Stops sampling the event loop and ends the hashing threads. */
  close(): Promise<void> {
    this.load?.stop();
    return this.threads.close();
  }

  hash(password: string): Promise<string> {
    return this.threads.hash(password, this.options);
  }

  async verify(storedHash: string, password: string): Promise<PasswordCheck> {
    const ok = await this.threads.verify(storedHash, password).catch(() => false);
    return { ok, needsRehash: ok && !storedHash.startsWith(this.paramsTag) };
  }

  /** Spends the same work as a real verification and always fails. */
  async verifyUnknownUser(password: string): Promise<PasswordCheck> {
    await this.verify(await this.dummyHash, password);
    return { ok: false, needsRehash: false };
  }
}
