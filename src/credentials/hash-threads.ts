// Threads of their own for argon2id, instead of libuv's shared pool. On a node with two
// cores, two hashes running on libuv's four pool threads left the cores idle 7–10% of the
// time during a login storm: when a hash ends, the event loop queues the next one, and the
// pool thread that wakes for it is whichever has waited longest, usually one that last ran
// on the core the other hash holds. It waits there behind that hash while the core the
// loop frees sits idle, until the scheduler moves it (milliseconds later). Here each slot
// has a thread, and the next hash goes to the thread that finished last, whose core is
// the one just freed (bench/README.md, eighth pass: 183–191 against 156–176 logins/s).
// Other users of libuv's pool (WebCrypto for tokens, file reads, DNS) also no longer wait
// behind hashes.
//
// While every thread may hash (logins alone), a busy thread also holds the next hash in
// its port, so it starts that one the moment it posts its answer instead of sleeping until
// the event loop has read the answer and sent more work: with one hash per thread the
// 2-core machine sat 5–8% idle during logins, in those hand-overs (bench/README.md, tenth
// pass). Under a lowered limit (validation is busy) a thread holds nothing ahead: each
// hash then waits for the event loop, so hashing yields to the loop's backlog. How many
// threads may hash at once is this class's limit, so a hash held ahead never adds to the
// parallelism.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Options as Argon2Options } from '@node-rs/argon2';

type Job = { op: 'hash'; password: string; options: Argon2Options } | { op: 'verify'; stored: string; password: string };

interface Pending {
  readonly job: Job;
  resolve(value: string | boolean): void;
  reject(err: Error): void;
}

// Plain JavaScript for `eval: true`, so it runs the same from the compiled service and
// under tsx in tests; the binding's path comes from this module's resolution. A failure
// (a malformed stored hash, say) is answered, never thrown out of the thread.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
parentPort.on('message', (job) => {
  let answer;
  try {
    answer = { value: job.op === 'verify' ? argon2.verifySync(job.stored, job.password) : argon2.hashSync(job.password, job.options) };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  parentPort.postMessage(answer);
});
`;

class HashThread {
  readonly worker: Worker;
  /** Posted to the thread, in order: the first is hashing, a second waits in its port. */
  readonly jobs: Pending[] = [];
  /** When its current hash started, in dispatch order: the lowest finishes first. */
  startedAt = 0;
  private failure: Error | undefined;
  /** Set by `stop`: from then on only its exit lets the thread go. */
  private stopping = false;

  constructor(
    argon2: string,
    private readonly onAnswer: (thread: HashThread) => void,
    private readonly onGone: (thread: HashThread, lost: Pending[]) => void,
  ) {
    // No inherited flags: the source is CommonJS whatever the parent was started with
    // (`--input-type=module` would make it ESM), and needs no loader.
    this.worker = new Worker(workerSource, { eval: true, workerData: { argon2 }, execArgv: [] });
    this.worker.on('message', (answer: { value?: string | boolean; error?: string }) => {
      const done = this.jobs.shift();
      if (this.jobs.length === 0 && !this.stopping) this.worker.unref();
      if (done) {
        if (answer.error !== undefined) done.reject(new Error(answer.error));
        else done.resolve(answer.value!);
      }
      this.onAnswer(this);
    });
    // A thread that dies (it could not load the binding, ran out of memory) fails only the
    // hash it was running, with the error it died of; a hash it held ahead goes back to the
    // queue, and the next hash starts a new thread. 'exit' follows every 'error', so the
    // thread is let go there, once.
    this.worker.on('error', (err) => (this.failure = err));
    this.worker.on('exit', (code) => this.gone(this.failure ?? new Error(`hashing thread exited with code ${code}`)));
    // After the listeners, which would hold it again: an idle thread never keeps a process alive.
    this.worker.unref();
  }

  post(pending: Pending): void {
    this.jobs.push(pending);
    this.worker.ref(); // held open while a caller waits for its answer
    this.worker.postMessage(pending.job);
  }

  /**
   * Ends the thread. `terminate` holds the process open until the thread has exited, but an
   * answer posted just before and read after it would unref the worker again and let the
   * event loop end with this still pending (the rest of a shutdown skipped, a CLI command's
   * exit code lost), so an answer read while stopping leaves the worker held.
   */
  stop(): Promise<number> {
    this.stopping = true;
    return this.worker.terminate();
  }

  private gone(err: Error): void {
    const [running, ...ahead] = this.jobs.splice(0);
    this.onGone(this, ahead);
    running?.reject(err);
  }
}

export interface HashThreadsOptions {
  /**
   * Threads that may hash at once (1 to size), read at every dispatch, so it can follow
   * the node's load; call `admit()` after it went up. Size by default.
   */
  limit?: number | (() => number);
  /** The module that hashes (`hashSync`, `verifySync`); another only in tests. */
  argon2?: string;
}

export class HashThreads {
  private readonly threads = new Set<HashThread>();
  /** Idle threads, the one that finished last on top: its core is the one just freed. */
  private readonly free: HashThread[] = [];
  private readonly waiting: Pending[] = [];
  private readonly limit: () => number;
  private readonly argon2: string;
  private started = 0;
  private closed = false;

  /** @param size threads at most */
  constructor(
    private readonly size: number,
    options: HashThreadsOptions = {},
  ) {
    const { limit = size } = options;
    this.limit = typeof limit === 'number' ? () => limit : limit;
    this.argon2 = options.argon2 ?? createRequire(import.meta.url).resolve('@node-rs/argon2');
  }

  /** Hashes running now: one per busy thread. */
  get running(): number {
    return this.threads.size - this.free.length;
  }

  /** Hashes not started yet, in the queue or held ahead by a busy thread. */
  get queued(): number {
    let ahead = 0;
    for (const thread of this.threads) ahead += Math.max(0, thread.jobs.length - 1);
    return this.waiting.length + ahead;
  }

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.submit({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(stored: string, password: string): Promise<boolean> {
    return this.submit({ op: 'verify', stored, password }) as Promise<boolean>;
  }

  /**
   * Starts queued hashes the limit now has room for. A hash a busy thread already holds
   * ahead stays there: it starts when that thread's current hash ends.
   */
  admit(): void {
    this.dispatch();
  }

  /** Ends every thread; hashes not answered yet are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(stopped());
    await Promise.all([...this.threads].map((thread) => thread.stop()));
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(stopped());
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Below the limit, the next hash starts on an idle thread (or a new one). At the limit,
   * if the limit is every thread, it goes ahead to the busy thread that will finish first,
   * if that one holds none yet. Otherwise, and above the limit (it just dropped), nothing
   * is posted until a thread has finished.
   */
  private dispatch(): void {
    while (this.waiting.length > 0) {
      const allowed = Math.min(this.size, Math.max(1, this.limit()));
      const busy = this.running;
      let thread: HashThread | undefined;
      if (busy < allowed) {
        thread = this.free.pop() ?? this.spawn();
        thread.startedAt = ++this.started;
      } else if (busy === allowed && allowed === this.size) {
        thread = this.firstToFinish();
      }
      if (thread === undefined) return;
      thread.post(this.waiting.shift()!);
    }
  }

  private spawn(): HashThread {
    const thread = new HashThread(
      this.argon2,
      (answered) => this.answered(answered),
      (dead, ahead) => this.forget(dead, ahead),
    );
    this.threads.add(thread);
    return thread;
  }

  /** The busy thread holding nothing ahead whose hash started first, if any. */
  private firstToFinish(): HashThread | undefined {
    let first: HashThread | undefined;
    for (const thread of this.threads) {
      if (thread.jobs.length === 1 && (first === undefined || thread.startedAt < first.startedAt)) first = thread;
    }
    return first;
  }

  private answered(thread: HashThread): void {
    if (this.closed) return;
    if (thread.jobs.length === 0) this.free.push(thread);
    else thread.startedAt = ++this.started; // it went straight on to the hash it held ahead
    this.dispatch();
  }

  private forget(thread: HashThread, ahead: Pending[]): void {
    this.threads.delete(thread);
    const at = this.free.indexOf(thread);
    if (at !== -1) this.free.splice(at, 1);
    if (this.closed) {
      for (const pending of ahead) pending.reject(stopped());
      return;
    }
    this.waiting.unshift(...ahead);
    this.dispatch();
  }
}

const stopped = (): Error => new Error('password hashing has stopped');
