// Real backing services for integration tests (PostgreSQL, Redis, RabbitMQ). Outside CI a missing service skips the
// test with a reason; with CI=true it fails, because a skipped integration test in CI
// is a hole.
import pg from 'pg';

export const inCI = process.env.CI === 'true';
export const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, empty PostgreSQL database for one test file; dropped by the returned cleanup. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | { skip: string }> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  try {
    await admin.connect();
  } catch (err) {
    if (inCI) throw new Error(`PostgreSQL is required in CI (${postgresUrl}): ${(err as Error).message}`);
    return { skip: `PostgreSQL not reachable at ${postgresUrl}` };
  }
  const name = `gatehouse_test_${process.pid}_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The shared Redis for one test file, with a key and channel prefix of its own so files
 * running in parallel never see each other's keys or messages.
 */
export async function sharedRedis(): Promise<{ url: string; prefix: string } | { skip: string }> {
  const { Redis } = await import('ioredis');
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    if (inCI) throw new Error(`Redis is required in CI (${redisUrl}): ${(err as Error).message}`);
    return { skip: `Redis not reachable at ${redisUrl}` };
  } finally {
    probe.disconnect();
  }
  return { url: redisUrl, prefix: `gatehouse-test:${process.pid}:${Date.now()}:` };
}

export const rabbitUrl = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The shared RabbitMQ, checked by connecting once; each test file names its own queues. */
export async function sharedRabbit(): Promise<{ url: string } | { skip: string }> {
  const { default: amqp } = await import('amqplib');
  try {
    const connection = await amqp.connect(rabbitUrl);
    await connection.close();
  } catch (err) {
    if (inCI) throw new Error(`RabbitMQ is required in CI (${rabbitUrl}): ${(err as Error).message}`);
    return { skip: `RabbitMQ not reachable at ${rabbitUrl}` };
  }
  return { url: rabbitUrl };
}
