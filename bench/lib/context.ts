// What phases share during a run: the mode, the shape, seeded stores and the servers
// (started on first use, stopped at the end), and the raw argon2 baseline. Phases ask for
// what they need; the context makes sure each store is seeded once and each server is a
// separate process on a fresh loopback port.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { Shape } from '../shapes/shape.js';
import { freePort, startChild, waitReady, type Child } from './children.js';
import type { Mode } from './modes.js';
import { seedStore } from './seed.js';

export type StoreSize = 'small' | 'large';

export interface Server {
  name: string;
  url: string;
  pid: number;
  child: Child;
}

export interface Argon2Result {
  op: string;
  concurrency: number;
  done: number;
  seconds: number;
  perSecond: number;
}

export class BenchContext {
  private readonly stores = new Map<StoreSize, Promise<string>>();
  private readonly shared = new Map<string, Promise<Server>>();
  private readonly owned = new Set<Server>();
  private readonly warmed = new Set<string>();
  /** The hashing concurrency both the server and the raw baseline get. */
  readonly hashConcurrency = loadConfig().passwordHashConcurrency;
  /** The raw argon2id baseline keeps every core busy: the machine's real limit. */
  readonly baselineHashConcurrency = availableParallelism();
  readonly log: (line: string) => void = (line) => console.log(`[bench] ${line}`);

  constructor(
    readonly mode: Mode,
    readonly shape: Shape,
    readonly workDir: string,
    private readonly profile: boolean,
  ) {}

  get logDir(): string {
    return join(this.workDir, 'logs');
  }

  sessionsIn(size: StoreSize): number {
    return size === 'small' ? this.mode.smallSessions : this.mode.largeSessions;
  }

  /** Seconds of uncounted load to run before measuring on `url`: longer on a fresh server. */
  warmupFor(url: string): number {
    if (this.warmed.has(url)) return this.mode.warmupS;
    this.warmed.add(url);
    return Math.max(this.mode.warmupS, this.mode.serverWarmupS);
  }

  /** The data directory of a seeded store. */
  store(size: StoreSize): Promise<string> {
    let ready = this.stores.get(size);
    if (!ready) {
      const dir = join(this.workDir, 'data', `${this.shape.name}-${size}`);
      rmSync(dir, { recursive: true, force: true });
      const plan = { sessions: this.sessionsIn(size), loginUsers: this.mode.loginUsers };
      this.log(`seeding ${plan.sessions.toLocaleString('en-US')} sessions into ${dir}`);
      ready = seedStore(this.shape, dir, plan).then(({ seconds }) => {
        this.log(`seeded ${size} store in ${seconds.toFixed(1)} s`);
        return dir;
      });
      this.stores.set(size, ready);
    }
    return ready;
  }

  private async start(name: string, script: string, env: Record<string, string>, args: string[] = []): Promise<Server> {
    const port = await freePort();
    const child = startChild({
      name,
      script,
      args,
      env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
      logDir: this.logDir,
      ...(this.profile ? { profileDir: join(this.workDir, 'profiles') } : {}),
      lifetimeMs: this.mode.childLifetimeMs,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(child, url, this.logDir);
    this.log(`${name} ready at ${url} (pid ${child.pid})`);
    return { name, url, pid: child.pid, child };
  }

  /** A fresh Gatehouse server on a seeded store; the caller stops it (or close() does). `env` adds settings (AMQP_URL…). */
  async startGatehouse(size: StoreSize, name: string, env: Record<string, string> = {}): Promise<Server> {
    const dir = await this.store(size);
    const server = await this.start(name, 'bench/servers/gatehouse.ts', {
      ...this.shape.serverEnv(dir),
      ...env,
      // SESSION_LIMIT_PER_USER keeps its default (1), as in production: every login also
      // closes the account's previous session. (Unlimited, as before December 2026, hid a
      // look-up that read every session of the database on each login.)
      PASSWORD_HASH_CONCURRENCY: String(this.hashConcurrency),
      NODE_ID: name,
    });
    this.owned.add(server);
    return server;
  }

  /** The Gatehouse server of a store size, started once and shared by the phases. */
  gatehouse(size: StoreSize): Promise<Server> {
    return this.sharedServer(`gatehouse-${size}`, () => this.startGatehouse(size, `gatehouse-${this.shape.name}-${size}`));
  }

  /** A bare Fastify baseline server: default options (`plain`) or Gatehouse's settings. */
  bareFastify(kind: 'plain' | 'configured' = 'plain'): Promise<Server> {
    return this.sharedServer(`bare-fastify-${kind}`, async () => {
      const server = await this.start(`bare-fastify-${kind}`, 'bench/servers/bare-fastify.ts', {}, [kind]);
      this.owned.add(server);
      return server;
    });
  }

  private sharedServer(key: string, start: () => Promise<Server>): Promise<Server> {
    let server = this.shared.get(key);
    if (!server) this.shared.set(key, (server = start()));
    return server;
  }

  /** Stops a shared server early so it does not compete with later phases. */
  async release(size: StoreSize): Promise<void> {
    const server = this.shared.get(`gatehouse-${size}`);
    this.shared.delete(`gatehouse-${size}`);
    if (server) await this.stop(await server);
  }

  async stop(server: Server): Promise<void> {
    this.owned.delete(server);
    await server.child.stop();
  }

  /** Raw argon2id operations per second in a process of its own. */
  argon2(op: 'verify' | 'hash', seconds: number): Promise<Argon2Result> {
    const child = startChild({
      name: `argon2-${op}`,
      script: 'bench/baselines/argon2.ts',
      args: [op, String(seconds)],
      env: { PASSWORD_HASH_CONCURRENCY: String(this.baselineHashConcurrency) },
      logDir: this.logDir,
      lifetimeMs: seconds * 1000 + 60_000,
    });
    return new Promise((resolve, reject) => {
      child.process.once('message', (message) => resolve(message as Argon2Result));
      void child.exited.then((code) => reject(new Error(`argon2 baseline exited (${code}) without a result`)));
    });
  }

  /** Stops every server and removes the seeded stores (the large one is hundreds of MB). */
  async close(): Promise<void> {
    await Promise.all([...this.owned].map((server) => this.stop(server)));
    for (const [size, ready] of this.stores) {
      const dir = await ready.catch(() => undefined);
      if (dir !== undefined) await this.shape.dispose?.(dir).catch((err: Error) => this.log(`could not remove the ${size} store: ${err.message}`));
    }
    rmSync(join(this.workDir, 'data'), { recursive: true, force: true });
  }
}
