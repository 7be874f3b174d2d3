// Composition root: the only place that turns configuration into objects. Everything
// else receives its dependencies. Tests build the same graph with a fake clock and a
// temporary data directory.
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { AuditLog } from './audit/log.js';
import { AccountService } from './accounts/service.js';
import { MemoryBus } from './bus/memory.js';
import type { Bus } from './bus/ports.js';
import { join } from 'node:path';
import { SecondFactor } from './accounts/second-factor.js';
import { AccessTokens } from './credentials/access-tokens.js';
import { PasswordHasher } from './credentials/passwords.js';
import { environmentKeys, fileKeys, SecretBox } from './credentials/secret-box.js';
import { SigningKeys } from './credentials/signing-keys.js';
import { LoginThrottle, defaultThrottleRules, type ThrottleRules } from './credentials/throttle.js';
import { createCatalog, type Catalog } from './operations/catalog.js';
import { Authenticator } from './sessions/authenticator.js';
import { SessionService } from './sessions/service.js';
import { openStore } from './store/open.js';
import type { KyselyStore } from './store/kysely/store.js';

/** How often a node re-reads the signing keys, so a rotation made elsewhere reaches it. */
const signingKeyRefreshMs = 30_000;

export interface Core {
  config: Config;
  clock: Clock;
  store: KyselyStore;
  bus: Bus;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  audit: AuditLog;
  sessions: SessionService;
  accounts: AccountService;
  secrets: SecretBox;
  signingKeys: SigningKeys;
  tokens: AccessTokens;
  authenticator: Authenticator;
  catalog: Catalog;
  /** Starts the background work: activity flushing and the sweeper. */
  startBackground(): void;
  /** Stops background work, writes pending activity and closes connections. */
  close(): Promise<void>;
}

export interface CoreOptions {
  clock?: Clock;
  store?: KyselyStore;
  throttleRules?: ThrottleRules;
}

export async function createCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? openStore(config);
  await store.migrate();
  const bus = new MemoryBus();
  const passwords = new PasswordHasher(config.passwordHash, config.passwordHashConcurrency);
  const throttle = new LoginThrottle(clock, options.throttleRules ?? defaultThrottleRules);
  const audit = new AuditLog(store.audit);
  const sessions = SessionService.fromConfig(store, bus, clock, config.session);
  const secrets = new SecretBox(config.secretKey ? environmentKeys(config.secretKey) : fileKeys(join(config.dataDir, 'secret.key')));
  const signingKeys = new SigningKeys(store.signingKeys, secrets, clock, { maxTokenTtlMs: config.token.maxTtlMs, refreshMs: signingKeyRefreshMs });
  await signingKeys.ensure();
  const tokens = new AccessTokens(signingKeys, clock, config.token, config.token.cacheSize);
  const accounts = new AccountService(store, sessions, passwords, throttle, audit, new SecondFactor(store, secrets, audit));
  const authenticator = new Authenticator(store, sessions, tokens);
  const catalog = createCatalog({ accounts, sessions, audit, authenticator, tokens, throttle });

  const timers: NodeJS.Timeout[] = [];
  return {
    config,
    clock,
    store,
    bus,
    passwords,
    throttle,
    audit,
    sessions,
    accounts,
    secrets,
    signingKeys,
    tokens,
    authenticator,
    catalog,
    startBackground() {
      const every = (ms: number, work: () => Promise<unknown>, what: string) => {
        let running = false;
        const timer = setInterval(() => {
          if (running) return; // a slow run is never overlapped by the next
          running = true;
          work()
            .catch((err) => process.emitWarning(`${what} failed: ${(err as Error).message}`))
            .finally(() => (running = false));
        }, ms);
        timer.unref();
        timers.push(timer);
      };
      every(config.session.activityFlushMs, () => sessions.activity.flush(), 'session activity flush');
      every(config.session.sweepIntervalMs, () => sessions.sweep(), 'session sweep');
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      await sessions.activity.flush().catch(() => undefined);
      await bus.close();
      await store.close();
    },
  };
}
