// Configuration: defaults from SPEC §1, every variable's parsing, errors that name the
// variable, and a frozen result.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Asserts that loading `env` fails with a ConfigError naming `variable`. */
function assertRejected(env: Record<string, string>, variable: string) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.includes(variable),
    `${JSON.stringify(env)} should be refused as ${variable}`,
  );
}

describe('defaults (SPEC §1)', () => {
  test('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, resolve('./data'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.amqpUrl, undefined);
    assert.equal(config.amqpQueue, 'gatehouse.v2');
    assert.equal(config.amqpPrefetch, 32);
    assert.equal(config.nodeId, `${hostname()}:8080`);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.mailFrom, 'Gatehouse <no-reply@localhost>');
    assert.equal(config.session.absoluteTtlMs, 3 * HOUR);
    assert.equal(config.session.idleTtlMs, 30 * MIN);
    assert.equal(config.session.limitPerUser, 1);
    assert.equal(config.session.limitPolicy, 'replace');
    assert.deepEqual(config.token, { defaultTtlMs: 15 * MIN, maxTtlMs: 3 * HOUR, cacheSize: 100_000 });
    assert.equal(config.secretKey, undefined);
    assert.equal(config.bodyMaxDepth, 64);
    assert.deepEqual(config.http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
    assert.equal(config.session.cacheBytes, 64 * 1024 * 1024);
    assert.deepEqual(config.passwordHash, { algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.equal(config.cookieSecure, 'auto');
    assert.equal(config.trustProxy, false);
    assert.deepEqual(config.allowedOrigins, []);
    assert.equal(config.bodyLimitBytes, 1024 * 1024);
  });

  test('GATEHOUSE_SECRET_KEY takes one or more 32-byte base64url keys', () => {
    const key = Buffer.alloc(32, 7).toString('base64url');
    assert.equal(loadConfig({ GATEHOUSE_SECRET_KEY: key }).secretKey, key);
    assert.equal(loadConfig({ GATEHOUSE_SECRET_KEY: `${key},${Buffer.alloc(32, 8).toString('base64url')}` }).secretKey?.split(',').length, 2);
  });

  test('an empty or blank value counts as unset', () => {
    const config = loadConfig({ PORT: '', SESSION_IDLE_TTL: '  ', DATABASE_URL: '' });
    assert.equal(config.port, 8080);
    assert.equal(config.session.idleTtlMs, 30 * MIN);
    assert.equal(config.databaseUrl, undefined);
  });
});

describe('parsing', () => {
  test('plain values are taken as given; the node id defaults to host name and port', () => {
    const config = loadConfig({ PORT: '9090', HOST: '0.0.0.0', GATEHOUSE_DATA_DIR: 'var/gh', AMQP_QUEUE: 'q.custom', MAIL_FROM: 'Ops <ops@example.com>', LOG_LEVEL: 'WARN' });
    assert.equal(config.port, 9090);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.dataDir, resolve('var/gh'));
    assert.equal(config.amqpQueue, 'q.custom');
    assert.equal(config.mailFrom, 'Ops <ops@example.com>');
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.nodeId, `${hostname()}:9090`);
    assert.equal(loadConfig({ NODE_ID: 'node-7' }).nodeId, 'node-7');
  });

  test('durations accept ms, s, m, h and d', () => {
    const cases: Array<[string, number]> = [['1500ms', 1500], ['90s', 90_000], ['45m', 45 * MIN], ['2h', 2 * HOUR], ['1d', 24 * HOUR]];
    for (const [text, ms] of cases) {
      assert.equal(loadConfig({ SESSION_ABSOLUTE_TTL: text, SESSION_IDLE_TTL: '1s' }).session.absoluteTtlMs, ms, text);
    }
    const config = loadConfig({ SESSION_IDLE_TTL: '10m', TOKEN_TTL_DEFAULT: '5m', TOKEN_TTL_MAX: '1h', SESSION_ACTIVITY_FLUSH: '250ms', SESSION_SWEEP_INTERVAL: '1m' });
    assert.equal(config.session.idleTtlMs, 10 * MIN);
    assert.deepEqual(config.token, { defaultTtlMs: 5 * MIN, maxTtlMs: HOUR, cacheSize: 100_000 });
    assert.equal(config.session.activityFlushMs, 250);
    assert.equal(config.session.sweepIntervalMs, MIN);
    // Timer periods may go up to Node's limit for a timer (2^31 - 1 ms, about 24.8 days).
    assert.equal(loadConfig({ SESSION_SWEEP_INTERVAL: '24d' }).session.sweepIntervalMs, 24 * 24 * HOUR);
    assert.equal(loadConfig({ SESSION_ACTIVITY_FLUSH: '2147483647ms' }).session.activityFlushMs, 2 ** 31 - 1);
  });

  test('sizes accept b, kb, mb, gb (any case) and plain bytes', () => {
    const cases: Array<[string, number]> = [['512', 512], ['100b', 100], ['64kb', 65536], ['2MB', 2 * 1024 ** 2], ['1gb', 1024 ** 3]];
    for (const [text, bytes] of cases) assert.equal(loadConfig({ BODY_LIMIT: text }).bodyLimitBytes, bytes, text);
    assert.equal(loadConfig({ SESSION_DATA_LIMIT: '16kb' }).session.dataLimitBytes, 16 * 1024);
  });

  test('booleans and COOKIE_SECURE', () => {
    for (const text of ['true', '1', 'yes', 'TRUE']) assert.equal(loadConfig({ TRUST_PROXY: text }).trustProxy, true, text);
    for (const text of ['false', '0', 'no']) assert.equal(loadConfig({ TRUST_PROXY: text }).trustProxy, false, text);
    assert.equal(loadConfig({ COOKIE_SECURE: 'true' }).cookieSecure, true);
    assert.equal(loadConfig({ COOKIE_SECURE: 'false' }).cookieSecure, false);
    assert.equal(loadConfig({ COOKIE_SECURE: 'AUTO' }).cookieSecure, 'auto');
  });

  test('session limit and policy', () => {
    const config = loadConfig({ SESSION_LIMIT_PER_USER: '0', SESSION_LIMIT_POLICY: 'reject', SESSION_CACHE_SIZE: '50' });
    assert.equal(config.session.limitPerUser, 0);
    assert.equal(config.session.limitPolicy, 'reject');
    assert.equal(config.session.cacheSize, 50);
    assert.equal(loadConfig({ PASSWORD_HASH_CONCURRENCY: '3' }).passwordHashConcurrency, 3);
  });

  test('URLs are accepted with their own schemes', () => {
    const cases: Array<[string, keyof ReturnType<typeof loadConfig>, string]> = [
      ['DATABASE_URL', 'databaseUrl', 'postgres://u:p@db:5432/gh'],
      ['DATABASE_URL', 'databaseUrl', 'postgresql://db/gh'],
      ['REDIS_URL', 'redisUrl', 'redis://cache:6379'],
      ['REDIS_URL', 'redisUrl', 'rediss://cache:6380'],
      ['AMQP_URL', 'amqpUrl', 'amqp://guest:guest@mq:5672'],
      ['AMQP_URL', 'amqpUrl', 'amqps://mq:5671/vhost'],
      ['SMTP_URL', 'smtpUrl', 'smtp://mail:25'],
      ['SMTP_URL', 'smtpUrl', 'smtps://user:pass@mail:465'],
    ];
    for (const [variable, field, url] of cases) assert.equal(loadConfig({ [variable]: url })[field], url, variable);
  });

  test('PASSWORD_HASH is parsed into argon2id parameters', () => {
    assert.deepEqual(loadConfig({ PASSWORD_HASH: 'argon2id:m=1024,t=1,p=1' }).passwordHash, { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1, parallelism: 1 });
    assert.deepEqual(loadConfig({ PASSWORD_HASH: 'argon2id:m=65536,t=3,p=4' }).passwordHash, { algorithm: 'argon2id', memoryCost: 65536, timeCost: 3, parallelism: 4 });
  });

  test('ALLOWED_ORIGINS is split, trimmed and normalised to origins', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: ' https://App.Example.com/ ,, http://localhost:3000/some/path,https://x.example.com:443' });
    assert.deepEqual(config.allowedOrigins, ['https://app.example.com', 'http://localhost:3000', 'https://x.example.com']);
  });
});

describe('scale-out and retention settings', () => {
  test('retention defaults to 30 d for sessions and 365 d for audit; 0 keeps forever', () => {
    const DAY = 24 * HOUR;
    assert.deepEqual(loadConfig({}).retention, { sessionsMs: 30 * DAY, auditMs: 365 * DAY, purgeIntervalMs: 10 * MIN });
    const forever = loadConfig({ SESSION_RETENTION: '0', AUDIT_RETENTION: '0', RETENTION_PURGE_INTERVAL: '1h' });
    assert.deepEqual(forever.retention, { sessionsMs: 0, auditMs: 0, purgeIntervalMs: HOUR });
    assert.equal(loadConfig({ SESSION_RETENTION: '12h' }).retention.sessionsMs, 12 * HOUR);
    assertRejected({ SESSION_RETENTION: '30' }, 'SESSION_RETENTION');
    assertRejected({ AUDIT_RETENTION: 'a year' }, 'AUDIT_RETENTION');
    assertRejected({ RETENTION_PURGE_INTERVAL: '0' }, 'RETENTION_PURGE_INTERVAL');
  });

  test('REDIS_PREFIX, database timeouts and the shutdown grace', () => {
    const config = loadConfig({});
    assert.equal(config.redisPrefix, 'gatehouse:');
    assert.deepEqual(config.databaseTimeouts, { statementMs: 5000, connectMs: 3000 });
    assert.equal(config.shutdownGraceMs, 10_000);
    assert.equal(loadConfig({ REDIS_PREFIX: 'staging:' }).redisPrefix, 'staging:');
    assertRejected({ REDIS_PREFIX: 'has space' }, 'REDIS_PREFIX');
    assertRejected({ REDIS_PREFIX: 'x'.repeat(49) }, 'REDIS_PREFIX');
    assertRejected({ DATABASE_STATEMENT_TIMEOUT: '5' }, 'DATABASE_STATEMENT_TIMEOUT');
    assertRejected({ SHUTDOWN_GRACE: 'soon' }, 'SHUTDOWN_GRACE');
  });
});

describe('bad values', () => {
  test('each bad value stops loading with a ConfigError naming its variable', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ PORT: '-1' }, 'PORT'],
      [{ SESSION_ABSOLUTE_TTL: '3' }, 'SESSION_ABSOLUTE_TTL'],
      [{ SESSION_IDLE_TTL: '0s' }, 'SESSION_IDLE_TTL'],
      [{ SESSION_IDLE_TTL: '10 minutes' }, 'SESSION_IDLE_TTL'],
      [{ SESSION_IDLE_TTL: '4h' }, 'SESSION_IDLE_TTL'],
      [{ TOKEN_TTL_DEFAULT: '1.5h' }, 'TOKEN_TTL_DEFAULT'],
      [{ TOKEN_TTL_MAX: '-3h' }, 'TOKEN_TTL_MAX'],
      [{ TOKEN_TTL_DEFAULT: '4h' }, 'TOKEN_TTL_DEFAULT'],
      [{ SESSION_ABSOLUTE_TTL: '99999999999999999d' }, 'SESSION_ABSOLUTE_TTL'],
      [{ SESSION_SWEEP_INTERVAL: '25d' }, 'SESSION_SWEEP_INTERVAL'],
      [{ SESSION_ACTIVITY_FLUSH: '2147483648ms' }, 'SESSION_ACTIVITY_FLUSH'],
      [{ SESSION_LIMIT_PER_USER: 'many' }, 'SESSION_LIMIT_PER_USER'],
      [{ SESSION_LIMIT_POLICY: 'drop' }, 'SESSION_LIMIT_POLICY'],
      [{ BODY_LIMIT: '1tb' }, 'BODY_LIMIT'],
      [{ BODY_LIMIT: '0' }, 'BODY_LIMIT'],
      [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
      [{ COOKIE_SECURE: 'sometimes' }, 'COOKIE_SECURE'],
      [{ DATABASE_URL: 'mysql://db/gh' }, 'DATABASE_URL'],
      [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
      [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
      [{ AMQP_URL: 'redis://mq' }, 'AMQP_URL'],
      [{ SMTP_URL: 'mailto:ops@example.com' }, 'SMTP_URL'],
      [{ PASSWORD_HASH: 'bcrypt:12' }, 'PASSWORD_HASH'],
      [{ PASSWORD_HASH: 'argon2id:m=4,t=1,p=1' }, 'PASSWORD_HASH'],
      [{ PASSWORD_HASH: 'argon2id:m=1024,t=0,p=1' }, 'PASSWORD_HASH'],
      [{ PASSWORD_HASH: 'argon2id:m=1024,t=1,p=0' }, 'PASSWORD_HASH'],
      [{ ALLOWED_ORIGINS: 'https://ok.example.com,ftp://files.example.com' }, 'ALLOWED_ORIGINS'],
      [{ ALLOWED_ORIGINS: 'app.example.com' }, 'ALLOWED_ORIGINS'],
      [{ AMQP_QUEUE: 'q'.repeat(256) }, 'AMQP_QUEUE'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ PASSWORD_HASH_CONCURRENCY: '0' }, 'PASSWORD_HASH_CONCURRENCY'],
      [{ BODY_MAX_DEPTH: '0' }, 'BODY_MAX_DEPTH'],
      [{ BODY_MAX_DEPTH: 'deep' }, 'BODY_MAX_DEPTH'],
      [{ HTTP_REQUEST_TIMEOUT: '30' }, 'HTTP_REQUEST_TIMEOUT'],
      [{ HTTP_HEADERS_TIMEOUT: '1m' }, 'HTTP_HEADERS_TIMEOUT'],
      [{ HTTP_KEEP_ALIVE_TIMEOUT: 'forever' }, 'HTTP_KEEP_ALIVE_TIMEOUT'],
      [{ SESSION_CACHE_BYTES: 'lots' }, 'SESSION_CACHE_BYTES'],
      [{ TOKEN_CACHE_SIZE: '-1' }, 'TOKEN_CACHE_SIZE'],
      [{ GATEHOUSE_SECRET_KEY: 'short' }, 'GATEHOUSE_SECRET_KEY'],
      [{ GATEHOUSE_SECRET_KEY: `${'A'.repeat(43)},nope` }, 'GATEHOUSE_SECRET_KEY'],
    ];
    for (const [env, variable] of cases) assertRejected(env, variable);
  });
});

test('the result is frozen, nested objects included', () => {
  const config = loadConfig({ ALLOWED_ORIGINS: 'https://app.example.com' });
  for (const part of [config, config.session, config.token, config.passwordHash, config.allowedOrigins]) assert.ok(Object.isFrozen(part));
  assert.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (config.session as { limitPerUser: number }).limitPerUser = 99;
  }, TypeError);
  assert.throws(() => (config.allowedOrigins as string[]).push('https://evil.example.com'), TypeError);
  assert.equal(config.session.limitPerUser, 1);
});

describe('AMQP_PREFETCH', () => {
  test('a whole number from 1 to 65535; anything else is refused naming the variable', () => {
    assert.equal(loadConfig({ AMQP_PREFETCH: '1' }).amqpPrefetch, 1);
    assert.equal(loadConfig({ AMQP_PREFETCH: '65535' }).amqpPrefetch, 65535);
    for (const bad of ['0', '65536', '-3', 'lots', '2.5']) assertRejected({ AMQP_PREFETCH: bad }, 'AMQP_PREFETCH');
  });
});
