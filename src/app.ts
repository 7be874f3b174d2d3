// Composition root: the only place that turns configuration into objects. Everything
// else receives its dependencies. Tests build the same graph with a fake clock and a
// temporary data directory.
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { AuditLog } from './audit/log.js';
import { ModerationService } from './accounts/moderation.js';
import { PasswordReset } from './accounts/password-reset.js';
import { AccountService } from './accounts/service.js';
import { BackgroundMail, createMailer } from './mail/mailer.js';
import { MemoryBus } from './bus/memory.js';
import { PostgresBus } from './bus/postgres.js';
import type { Bus } from './bus/ports.js';
import { join } from 'node:path';
import { SecondFactor } from './accounts/second-factor.js';
import { AccessTokens } from './credentials/access-tokens.js';
import { connectRedis, RedisBus } from './bus/redis.js';
import { FallbackCounterStore, MemoryCounterStore, RedisCounterStore, type CounterStore } from './credentials/counters.js';
import { PasswordHasher } from './credentials/passwords.js';
import { environmentKeys, fileKeys, SecretBox } from './credentials/secret-box.js';
import { SigningKeys } from './credentials/signing-keys.js';
import { LoginThrottle, defaultThrottleRules, type ThrottleRules } from './credentials/throttle.js';
import { createCatalog, type Catalog } from './operations/catalog.js';
import { Authenticator } from './sessions/authenticator.js';
import { SessionService } from './sessions/service.js';
import { openStore } from './store/open.js';
import { RetentionPurge } from './store/retention.js';
import { DatabaseDirectory } from './tenancy/databases.js';
import { TenancyService } from './tenancy/service.js';
import type { KyselyStore } from './store/kysely/store.js';
import { createLogger, type Logger } from './server/logger.js';
import { WorkInProgress } from './core/work-in-progress.js';
import { AmqpConsumer } from './surfaces/amqp/consumer.js';

/** How often a node re-reads the signing keys, so a rotation made elsewhere reaches it. */
const signingKeyRefreshMs = 30_000;

/** Longest a mail may take to send (each SMTP step, and the whole send); then it is logged as failed. */
const mailTimeoutMs = 10_000;

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
  moderation: ModerationService;
  passwordReset: PasswordReset;
  mail: BackgroundMail;
  secrets: SecretBox;
  signingKeys: SigningKeys;
  tokens: AccessTokens;
  authenticator: Authenticator;
  catalog: Catalog;
  retention: RetentionPurge;
  directory: DatabaseDirectory;
  tenancy: TenancyService;
  /** The AMQP surface's consumer, when AMQP_URL is set (started with the background work). */
  amqp: AmqpConsumer | undefined;
  /** Callers' requests being handled (HTTP and WebSocket); `close` waits for them. */
  work: WorkInProgress;
  /** Starts the background work: activity flushing, the sweeper, the retention purge and the AMQP consumer. */
  startBackground(): void;
  /** Stops the AMQP consumer (answering what it holds) and background work, writes pending activity and closes connections. */
  close(): Promise<void>;
}

export interface CoreOptions {
  clock?: Clock;
  store?: KyselyStore;
  throttleRules?: ThrottleRules;
  /** A bus to use instead of the one the configuration names (tests link nodes this way). */
  bus?: Bus;
  /** Where the core's own warnings go (bus and counter outages); from LOG_LEVEL by default. */
  logger?: Logger;
}

/**
 * The bus that keeps other nodes' caches true: Redis when configured, else PostgreSQL's
 * LISTEN/NOTIFY when nodes share PostgreSQL, else (embedded SQLite, one node) in-process.
 */
async function openBus(config: Config, logger: Logger): Promise<Bus> {
  const channel = `${config.redisPrefix}bus`;
  const busLogger = logger.child({ component: 'bus' });
  if (config.redisUrl) return RedisBus.connect(config.redisUrl, channel, busLogger);
  if (config.databaseUrl) return PostgresBus.connect(config.databaseUrl, channel, busLogger);
  return new MemoryBus(busLogger);
}

/**
 * Login-throttle counters: shared in Redis when configured (falling back to this node's
 * memory while Redis does not answer), else in memory. Returns what to close at shutdown.
 */
async function openCounters(config: Config, rules: ThrottleRules, logger: Logger): Promise<{ counters: CounterStore; close(): Promise<void> }> {
  const memory = new MemoryCounterStore(rules.maxTracked);
  if (!config.redisUrl) return { counters: memory, close: async () => {} };
  const redis = await connectRedis(config.redisUrl); // outages are reported once by FallbackCounterStore
  const shared = new RedisCounterStore(redis, `${config.redisPrefix}throttle:`, LoginThrottle.longestWindowMs(rules));
  return {
    counters: new FallbackCounterStore(shared, memory, logger.child({ component: 'throttle' })),
    close: () => redis.quit().then(() => undefined, () => redis.disconnect()),
  };
}

export async function createCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? openStore(config);
  const logger = options.logger ?? createLogger(config.logLevel);
  await store.migrate();
  // Secrets first: a node given the wrong secret key stops here, before it holds any other
  // connection that would keep the process alive.
  const secrets = new SecretBox(config.secretKey ? environmentKeys(config.secretKey) : fileKeys(join(config.dataDir, 'secret.key')));
  const signingKeys = new SigningKeys(store.signingKeys, secrets, clock, { maxTokenTtlMs: config.token.maxTtlMs, refreshMs: signingKeyRefreshMs });
  try {
    await signingKeys.ensure();
  } catch (err) {
    await store.close();
    throw err;
  }
  const throttleRules = options.throttleRules ?? defaultThrottleRules;
  // Both wait briefly for their first connection; side by side, so a missing Redis costs one wait.
  const [bus, counters] = await Promise.all([options.bus ?? openBus(config, logger), openCounters(config, throttleRules, logger)]);
  const passwords = new PasswordHasher(config.passwordHash, config.passwordHashConcurrency, config.passwordHashIdleConcurrency);
  const throttle = new LoginThrottle(clock, throttleRules, counters.counters);
  const audit = new AuditLog(store.audit);
  const sessions = SessionService.fromConfig(store, bus, clock, config.session);
  const tokens = new AccessTokens(signingKeys, clock, config.token, config.token.cacheSize);
  const accounts = new AccountService(store, sessions, passwords, throttle, audit, new SecondFactor(store, secrets, audit));
  const authenticator = new Authenticator(store, sessions, tokens);
  const moderation = new ModerationService(store, sessions, audit);
  const directory = new DatabaseDirectory(store.databases);
  bus.onDatabaseDeleted(({ database }) => directory.forget(database));
  const tenancy = new TenancyService(store, directory, bus, audit, sessions);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir, timeoutMs: mailTimeoutMs }, logger.child({ component: 'mail' }));
  const mail = new BackgroundMail(mailer, logger.child({ component: 'mail' }), mailTimeoutMs);
  const passwordReset = new PasswordReset(store, sessions, passwords, audit, mail, throttle);
  const catalog = createCatalog({ accounts, sessions, audit, authenticator, tokens, throttle, moderation, passwordReset, tenancy, store });
  const retention = new RetentionPurge(store, clock, config.retention);

  const timers: NodeJS.Timeout[] = [];
  const core: Core = {
    config,
    clock,
    store,
    bus,
    passwords,
    throttle,
    audit,
    sessions,
    accounts,
    moderation,
    passwordReset,
    mail,
    secrets,
    signingKeys,
    tokens,
    authenticator,
    catalog,
    retention,
    directory,
    tenancy,
    amqp: undefined,
    work: new WorkInProgress(),
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
      every(config.retention.purgeIntervalMs, () => retention.run(), 'retention purge');
      core.amqp?.start();
    },
    async close() {
      // First, while the store is still open: the requests it holds are answered, not lost,
      // and handlers whose clients hung up finish their writes.
      await core.amqp?.close();
      if (!(await core.work.drained(config.shutdownGraceMs))) logger.warn({ running: core.work.size, grace_ms: config.shutdownGraceMs }, 'requests still running when the store closed');
      for (const timer of timers) clearInterval(timer);
      await sessions.activity.flush().catch(() => undefined);
      // Mails under way finish or time out (each is bounded) before their transport closes.
      await mail.drain();
      mail.close();
      await passwords.close();
      await bus.close();
      await counters.close();
      await store.close();
    },
  };
  // The one place that decides whether this node speaks AMQP.
  if (config.amqpUrl) {
    core.amqp = new AmqpConsumer(core, {
      url: config.amqpUrl,
      queue: config.amqpQueue,
      prefetch: config.amqpPrefetch,
      connectionName: `gatehouse ${config.nodeId}`,
      logger: logger.child({ component: 'amqp' }),
      drainMs: config.shutdownGraceMs,
    });
  }
  return core;
}
