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
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Options as Argon2Options } from '@node-rs/argon2';

type Job = { op: 'hash'; password: string; options: Argon2Options } | { op: 'verify'; stored: string; password: string };

interface Pending {
  job: Job;
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
  private current: Pending | undefined;
  private failure: Error | undefined;

  constructor(
    argon2: string,
    private readonly onFree: (thread: HashThread) => void,
    private readonly onGone: (thread: HashThread) => void,
  ) {
    // No inherited flags: the source is CommonJS whatever the parent was started with
    // (`--input-type=module` would make it ESM), and needs no loader.
    this.worker = new Worker(workerSource, { eval: true, workerData: { argon2 }, execArgv: [] });
    this.worker.on('message', (answer: { value?: string | boolean; error?: string }) => {
      const done = this.current;
      this.current = undefined;
      this.worker.unref();
      if (done) {
        if (answer.error !== undefined) done.reject(new Error(answer.error));
        else done.resolve(answer.value!);
      }
      this.onFree(this);
    });
    // A thread that dies (it could not load the binding, ran out of memory) fails only the
    // hash it held, with the error it died of; the next hash starts a new thread. 'exit'
    // follows every 'error', so the thread is let go there, once.
    this.worker.on('error', (err) => (this.failure = err));
    this.worker.on('exit', (code) => this.gone(this.failure ?? new Error(`hashing thread exited with code ${code}`)));
    // After the listeners, which would hold it again: an idle thread never keeps a process alive.
    this.worker.unref();
  }

  run(pending: Pending): void {
    this.current = pending;
    this.worker.ref(); // held open while a caller waits for its answer
    this.worker.postMessage(pending.job);
  }

  private gone(err: Error): void {
    const lost = this.current;
    this.current = undefined;
    this.onGone(this);
    lost?.reject(err);
  }
}

export class HashThreads {
  private readonly threads = new Set<HashThread>();
  /** Free threads, the one that finished last on top: its core is the one just freed. */
  private readonly free: HashThread[] = [];
  private readonly waiting: Pending[] = [];
  private closed = false;

  /**
   * @param size threads at most; callers keep at most this many hashes running
   * @param argon2 the module that hashes (`hashSync`, `verifySync`); another only in tests
   */
  constructor(
    private readonly size: number,
    private readonly argon2: string = createRequire(import.meta.url).resolve('@node-rs/argon2'),
  ) {}

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.submit({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(stored: string, password: string): Promise<boolean> {
    return this.submit({ op: 'verify', stored, password }) as Promise<boolean>;
  }

  /** Ends every thread; hashes still running are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new Error('password hashing has stopped'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('password hashing has stopped'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let thread = this.free.pop();
      if (thread === undefined) {
        if (this.threads.size >= this.size) return;
        thread = new HashThread(this.argon2, (done) => this.release(done), (dead) => this.forget(dead));
        this.threads.add(thread);
      }
      thread.run(this.waiting.shift()!);
    }
  }

  private release(thread: HashThread): void {
    if (this.closed) return;
    this.free.push(thread);
    this.dispatch();
  }

  private forget(thread: HashThread): void {
    this.threads.delete(thread);
    const at = this.free.indexOf(thread);
    if (at !== -1) this.free.splice(at, 1);
    if (!this.closed) this.dispatch();
  }
}
