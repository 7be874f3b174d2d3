// Configuration: every environment variable is parsed and validated once, at start-up, into
// one frozen object. A bad value stops start-up with a message naming the variable.
import { hostname } from 'node:os';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { environmentKeys } from './credentials/secret-box.js';

export type SessionLimitPolicy = 'replace' | 'reject';

export interface PasswordHashParams {
  algorithm: 'argon2id';
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel (and of the PostgreSQL NOTIFY channel) this node uses. */
  redisPrefix: string;
  amqpUrl: string | undefined;
  amqpQueue: string;
  /** Requests one node takes from the queue before it has answered them (AMQP basic.qos). */
  amqpPrefetch: number;
  nodeId: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  session: {
    absoluteTtlMs: number;
    idleTtlMs: number;
    limitPerUser: number; // 0 = unlimited
    limitPolicy: SessionLimitPolicy;
    cacheSize: number;
    /** Bytes the validation cache may hold, estimated per entry. */
    cacheBytes: number;
    /** Users the per-request read of the signed-in user keeps in memory. */
    userCacheSize: number;
    activityFlushMs: number;
    sweepIntervalMs: number;
    dataLimitBytes: number;
  };
  token: {
    defaultTtlMs: number;
    maxTtlMs: number;
    /** Verified access tokens remembered so a repeated one skips the signature check. */
    cacheSize: number;
  };
  /** GATEHOUSE_SECRET_KEY: keys (current first) sealing secrets at rest; unset → a key file. */
  secretKey: string | undefined;
  /** How long closed sessions and audit events are kept; 0 = forever. */
  retention: { sessionsMs: number; auditMs: number; purgeIntervalMs: number };
  /** PostgreSQL: the longest a statement may run, and the longest to wait for a connection. */
  databaseTimeouts: { statementMs: number; connectMs: number };
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  shutdownGraceMs: number;
  passwordHash: PasswordHashParams;
  /** Hashes that may run at once whatever else the node is doing. */
  passwordHashConcurrency: number;
  /** Hashes that may run at once while the event loop is quiet (no validation load). */
  passwordHashIdleConcurrency: number;
  cookieSecure: 'auto' | boolean;
  trustProxy: boolean;
  allowedOrigins: readonly string[];
  bodyLimitBytes: number;
  /** Deepest nesting of arrays and objects accepted in any JSON input. */
  bodyMaxDepth: number;
  rpc: {
    /** Open WebSocket connections at most; more are refused (503) at the upgrade. */
    maxConnections: number;
    /** Requests one connection may have in progress; further frames wait unread. */
    maxInFlight: number;
    /** How often idle connections are pinged; one that missed the previous ping is dropped. */
    pingIntervalMs: number;
  };
  http: {
    /** Time to receive a request's headers. */
    headersTimeoutMs: number;
    /** Time to receive a whole request, headers and body. */
    requestTimeoutMs: number;
    /** How long an idle keep-alive connection is kept open. */
    keepAliveTimeoutMs: number;
  };
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

// Node's timers treat a longer delay as 1 ms, so timer periods are capped here (about 24 days).
const maxTimerMs = 2 ** 31 - 1;

/** `90s`, `30m`, `3h`: a bare number is refused because its unit would be a guess. */
export function parseDuration(variable: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new ConfigError(variable, `"${text}" is not a duration (a whole number with ms, s, m, h or d, e.g. 30m)`);
  const ms = Number(match[1]) * durationUnits[match[2]!]!;
  if (ms <= 0) throw new ConfigError(variable, 'must be greater than zero');
  // Times are epoch milliseconds in integer columns: an unsafe integer would be stored wrong.
  if (!Number.isSafeInteger(ms) || ms > max) throw new ConfigError(variable, `must be at most ${max} ms`);
  return ms;
}

/** A duration, or `0` for "keep forever". */
export function parseRetention(variable: string, text: string): number {
  return text.trim() === '0' ? 0 : parseDuration(variable, text);
}

/** `1mb`, `64kb`, or a plain number of bytes. */
export function parseSize(variable: string, text: string): number {
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!match) throw new ConfigError(variable, `"${text}" is not a size (e.g. 1mb, 64kb, 1048576)`);
  const bytes = Number(match[1]) * sizeUnits[(match[2] ?? 'b').toLowerCase()]!;
  if (bytes <= 0 || !Number.isSafeInteger(bytes)) throw new ConfigError(variable, 'must be a positive size');
  return bytes;
}

function parseInteger(variable: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(variable, `"${text}" is not a whole number`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(variable, `must be between ${min} and ${max}`);
  return value;
}

function parseBoolean(variable: string, text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(variable, `"${text}" is not true or false`);
}

function parseUrl(variable: string, text: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(variable, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(variable, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return text;
}

/** `argon2id:m=19456,t=2,p=1` */
export function parsePasswordHash(variable: string, text: string): PasswordHashParams {
  const match = /^argon2id:m=(\d+),t=(\d+),p=(\d+)$/.exec(text.trim());
  if (!match) throw new ConfigError(variable, `"${text}" is not of the form argon2id:m=<KiB>,t=<passes>,p=<lanes>`);
  const [memoryCost, timeCost, parallelism] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (parallelism < 1 || parallelism > 16) throw new ConfigError(variable, 'p must be between 1 and 16');
  if (memoryCost < 8 * parallelism || memoryCost > 4 * 1024 * 1024) throw new ConfigError(variable, 'm must be at least 8×p KiB and at most 4 GiB');
  if (timeCost < 1 || timeCost > 100) throw new ConfigError(variable, 't must be between 1 and 100');
  return { algorithm: 'argon2id', memoryCost, timeCost, parallelism };
}

function parseOrigins(variable: string, text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      try {
        const url = new URL(part);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
        return url.origin;
      } catch {
        throw new ConfigError(variable, `"${part}" is not an origin such as https://app.example.com`);
      }
    });
}

/** One or more comma-separated keys, each 32 bytes in base64url; checked here, used by the secret box. */
function parseSecretKeys(text: string): string {
  try {
    environmentKeys(text);
  } catch (err) {
    throw new ConfigError('GATEHOUSE_SECRET_KEY', (err as Error).message.replace(/^GATEHOUSE_SECRET_KEY: /, ''));
  }
  return text;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const port = parseInteger('PORT', get('PORT') ?? '8080', 0, 65535);
  const host = get('HOST') ?? '127.0.0.1';
  const limitPolicy = get('SESSION_LIMIT_POLICY') ?? 'replace';
  if (limitPolicy !== 'replace' && limitPolicy !== 'reject') {
    throw new ConfigError('SESSION_LIMIT_POLICY', 'must be replace or reject');
  }
  const cookieSecureText = (get('COOKIE_SECURE') ?? 'auto').toLowerCase();
  const cookieSecure = cookieSecureText === 'auto' ? 'auto' : parseBoolean('COOKIE_SECURE', cookieSecureText);
  const amqpQueue = get('AMQP_QUEUE') ?? 'gatehouse.v2';
  if (amqpQueue.length > 255) throw new ConfigError('AMQP_QUEUE', 'must be at most 255 characters');
  const redisPrefix = get('REDIS_PREFIX') ?? 'gatehouse:';
  // PostgreSQL channel names are identifiers of at most 63 bytes; the bus adds `bus`.
  if (!/^[A-Za-z0-9_:.-]{1,48}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'must be 1-48 letters, digits, _ : . or -');
  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!logLevels.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${logLevels.join(', ')}`);

  // Hashes always allowed leave a core to validation (cores - 1); while the event loop is
  // quiet (no validation waiting) logins may use every core.
  const hashConcurrency = parseInteger('PASSWORD_HASH_CONCURRENCY', get('PASSWORD_HASH_CONCURRENCY') ?? String(Math.max(1, availableParallelism() - 1)), 1, 256);
  const hashIdleConcurrency = parseInteger(
    'PASSWORD_HASH_IDLE_CONCURRENCY',
    get('PASSWORD_HASH_IDLE_CONCURRENCY') ?? String(Math.max(hashConcurrency, availableParallelism())),
    1,
    256,
  );
  if (hashIdleConcurrency < hashConcurrency) throw new ConfigError('PASSWORD_HASH_IDLE_CONCURRENCY', 'must not be below PASSWORD_HASH_CONCURRENCY');

  const tokenDefault = parseDuration('TOKEN_TTL_DEFAULT', get('TOKEN_TTL_DEFAULT') ?? '15m');
  const tokenMax = parseDuration('TOKEN_TTL_MAX', get('TOKEN_TTL_MAX') ?? '3h');
  if (tokenDefault > tokenMax) throw new ConfigError('TOKEN_TTL_DEFAULT', 'must not exceed TOKEN_TTL_MAX');

  const config: Config = {
    port,
    host,
    dataDir: resolve(get('GATEHOUSE_DATA_DIR') ?? './data'),
    databaseUrl: get('DATABASE_URL') && parseUrl('DATABASE_URL', get('DATABASE_URL')!, ['postgres:', 'postgresql:']),
    redisUrl: get('REDIS_URL') && parseUrl('REDIS_URL', get('REDIS_URL')!, ['redis:', 'rediss:']),
    redisPrefix,
    amqpUrl: get('AMQP_URL') && parseUrl('AMQP_URL', get('AMQP_URL')!, ['amqp:', 'amqps:']),
    amqpQueue,
    nodeId: get('NODE_ID') ?? `${hostname()}:${port}`,
    smtpUrl: get('SMTP_URL') && parseUrl('SMTP_URL', get('SMTP_URL')!, ['smtp:', 'smtps:']),
    amqpPrefetch: parseInteger('AMQP_PREFETCH', get('AMQP_PREFETCH') ?? '32', 1, 65535),
    mailFrom: get('MAIL_FROM') ?? 'Gatehouse <no-reply@localhost>',
    session: {
      absoluteTtlMs: parseDuration('SESSION_ABSOLUTE_TTL', get('SESSION_ABSOLUTE_TTL') ?? '3h'),
      idleTtlMs: parseDuration('SESSION_IDLE_TTL', get('SESSION_IDLE_TTL') ?? '30m'),
      limitPerUser: parseInteger('SESSION_LIMIT_PER_USER', get('SESSION_LIMIT_PER_USER') ?? '1', 0, 1_000_000),
      limitPolicy,
      cacheSize: parseInteger('SESSION_CACHE_SIZE', get('SESSION_CACHE_SIZE') ?? '100000', 0, 10_000_000),
      cacheBytes: parseSize('SESSION_CACHE_BYTES', get('SESSION_CACHE_BYTES') ?? '64mb'),
      userCacheSize: parseInteger('USER_CACHE_SIZE', get('USER_CACHE_SIZE') ?? '10000', 0, 10_000_000),
      activityFlushMs: parseDuration('SESSION_ACTIVITY_FLUSH', get('SESSION_ACTIVITY_FLUSH') ?? '1s', maxTimerMs),
      sweepIntervalMs: parseDuration('SESSION_SWEEP_INTERVAL', get('SESSION_SWEEP_INTERVAL') ?? '30s', maxTimerMs),
      dataLimitBytes: parseSize('SESSION_DATA_LIMIT', get('SESSION_DATA_LIMIT') ?? '64kb'),
    },
    token: { defaultTtlMs: tokenDefault, maxTtlMs: tokenMax, cacheSize: parseInteger('TOKEN_CACHE_SIZE', get('TOKEN_CACHE_SIZE') ?? '100000', 0, 10_000_000) },
    secretKey: get('GATEHOUSE_SECRET_KEY') && parseSecretKeys(get('GATEHOUSE_SECRET_KEY')!),
    retention: {
      sessionsMs: parseRetention('SESSION_RETENTION', get('SESSION_RETENTION') ?? '30d'),
      auditMs: parseRetention('AUDIT_RETENTION', get('AUDIT_RETENTION') ?? '365d'),
      purgeIntervalMs: parseDuration('RETENTION_PURGE_INTERVAL', get('RETENTION_PURGE_INTERVAL') ?? '10m', maxTimerMs),
    },
    databaseTimeouts: {
      statementMs: parseDuration('DATABASE_STATEMENT_TIMEOUT', get('DATABASE_STATEMENT_TIMEOUT') ?? '5s', maxTimerMs),
      connectMs: parseDuration('DATABASE_CONNECT_TIMEOUT', get('DATABASE_CONNECT_TIMEOUT') ?? '3s', maxTimerMs),
    },
    shutdownGraceMs: parseDuration('SHUTDOWN_GRACE', get('SHUTDOWN_GRACE') ?? '10s', maxTimerMs),
    passwordHash: parsePasswordHash('PASSWORD_HASH', get('PASSWORD_HASH') ?? 'argon2id:m=19456,t=2,p=1'),
    passwordHashConcurrency: hashConcurrency,
    passwordHashIdleConcurrency: hashIdleConcurrency,
    cookieSecure,
    trustProxy: parseBoolean('TRUST_PROXY', get('TRUST_PROXY') ?? 'false'),
    allowedOrigins: Object.freeze(parseOrigins('ALLOWED_ORIGINS', get('ALLOWED_ORIGINS') ?? '')),
    bodyLimitBytes: parseSize('BODY_LIMIT', get('BODY_LIMIT') ?? '1mb'),
    bodyMaxDepth: parseInteger('BODY_MAX_DEPTH', get('BODY_MAX_DEPTH') ?? '64', 1, 1000),
    rpc: {
      maxConnections: parseInteger('RPC_MAX_CONNECTIONS', get('RPC_MAX_CONNECTIONS') ?? '1000', 1, 1_000_000),
      maxInFlight: parseInteger('RPC_MAX_IN_FLIGHT', get('RPC_MAX_IN_FLIGHT') ?? '64', 1, 10_000),
      pingIntervalMs: parseDuration('RPC_PING_INTERVAL', get('RPC_PING_INTERVAL') ?? '30s', maxTimerMs),
    },
    http: {
      headersTimeoutMs: parseDuration('HTTP_HEADERS_TIMEOUT', get('HTTP_HEADERS_TIMEOUT') ?? '10s', maxTimerMs),
      requestTimeoutMs: parseDuration('HTTP_REQUEST_TIMEOUT', get('HTTP_REQUEST_TIMEOUT') ?? '30s', maxTimerMs),
      keepAliveTimeoutMs: parseDuration('HTTP_KEEP_ALIVE_TIMEOUT', get('HTTP_KEEP_ALIVE_TIMEOUT') ?? '5s', maxTimerMs),
    },
    logLevel,
  };
  // Node's HTTP server refuses a headers timeout longer than the request timeout.
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT', 'must not exceed HTTP_REQUEST_TIMEOUT');
  }
  if (config.session.idleTtlMs > config.session.absoluteTtlMs) {
    throw new ConfigError('SESSION_IDLE_TTL', 'must not exceed SESSION_ABSOLUTE_TTL');
  }
  Object.freeze(config.session);
  Object.freeze(config.token);
  Object.freeze(config.http);
  Object.freeze(config.rpc);
  Object.freeze(config.retention);
  Object.freeze(config.databaseTimeouts);
  Object.freeze(config.passwordHash);
  return Object.freeze(config);
}
