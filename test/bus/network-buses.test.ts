// The Redis and the PostgreSQL bus against the real services, with one shared suite: two
// buses on one channel stand for two nodes. Every kind of message reaches every node (the
// sender included: eviction is idempotent), long eviction lists arrive whole, and a foreign
// payload on the channel is ignored without harm.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import { PostgresBus } from '../../src/bus/postgres.js';
import type { Bus, BusMessage } from '../../src/bus/ports.js';
import { RedisBus } from '../../src/bus/redis.js';
import { freshPostgresDatabase, sharedRedis } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const quiet = { warn: () => {}, info: () => {} };

function record(bus: Bus): BusMessage[] {
  const seen: BusMessage[] = [];
  bus.onSessionsClosed((m) => seen.push({ kind: 'sessions_closed', ...m }));
  bus.onUserChanged((m) => seen.push({ kind: 'user_changed', ...m }));
  bus.onDatabaseDeleted((m) => seen.push({ kind: 'database_deleted', ...m }));
  return seen;
}

function busSuite(name: string, skip: string | false, connect: () => Promise<Bus>, sendForeign: (payload: string) => Promise<void>) {
  describe(name, { skip }, () => {
    const buses: Bus[] = [];
    after(() => Promise.all(buses.map((bus) => bus.close())));
    const node = async () => {
      const bus = await connect();
      buses.push(bus);
      return { bus, seen: record(bus) };
    };

    test('every message kind reaches the other node and the sender', async () => {
      const a = await node();
      const b = await node();
      assert.equal(a.bus.healthy, true);
      assert.equal(b.bus.healthy, true);
      await a.bus.publishSessionsClosed({ tokenDigests: ['d1', 'd2'] });
      await a.bus.publishUserChanged({ database: 'main', userId: 'u1' });
      await b.bus.publishDatabaseDeleted({ database: 'shop' });
      const expected: BusMessage[] = [
        { kind: 'sessions_closed', tokenDigests: ['d1', 'd2'] },
        { kind: 'user_changed', database: 'main', userId: 'u1' },
        { kind: 'database_deleted', database: 'shop' },
      ];
      for (const n of [a, b]) {
        await waitFor('three messages', () => n.seen.length >= 3);
        assert.deepEqual(n.seen, expected);
      }
    });

    test('a long eviction list arrives whole', async () => {
      const a = await node();
      const b = await node();
      const digests = Array.from({ length: 1000 }, (_, i) => `${'x'.repeat(38)}${String(i).padStart(5, '0')}`);
      await a.bus.publishSessionsClosed({ tokenDigests: digests });
      const received = () => b.seen.flatMap((m) => (m.kind === 'sessions_closed' ? m.tokenDigests : []));
      await waitFor('1000 digests', () => received().length >= 1000);
      assert.deepEqual(received(), digests);
    });

    test('a foreign or malformed payload on the channel is ignored; later messages still arrive', async () => {
      const a = await node();
      for (const payload of ['not json', '{"kind":"sessions_closed","tokenDigests":[1]}', '[]', 'null', '{"kind":"reboot"}']) await sendForeign(payload);
      await a.bus.publishUserChanged({ database: 'main', userId: 'after' });
      await waitFor('the real message', () => a.seen.length >= 1);
      assert.deepEqual(a.seen, [{ kind: 'user_changed', database: 'main', userId: 'after' }]);
    });
  });
}

const redis = await sharedRedis();
const redisChannel = 'skip' in redis ? '' : `${redis.prefix}bus`;
let raw: Redis | undefined;
after(() => raw?.disconnect());
busSuite(
  'Redis bus',
  'skip' in redis ? redis.skip : false,
  () => RedisBus.connect((redis as { url: string }).url, redisChannel, quiet),
  async (payload) => {
    raw ??= new Redis((redis as { url: string }).url);
    await raw.publish(redisChannel, payload);
  },
);

const postgres = await freshPostgresDatabase();
const pgChannel = `gatehouse-test:${process.pid}:bus`;
let notifier: pg.Client | undefined;
after(async () => {
  await notifier?.end();
  if (!('skip' in postgres)) await postgres.drop();
});
busSuite(
  'PostgreSQL bus',
  'skip' in postgres ? postgres.skip : false,
  () => PostgresBus.connect((postgres as { url: string }).url, pgChannel, quiet),
  async (payload) => {
    if (notifier === undefined) {
      notifier = new pg.Client({ connectionString: (postgres as { url: string }).url });
      await notifier.connect();
    }
    await notifier.query('select pg_notify($1, $2)', [pgChannel, payload]);
  },
);
