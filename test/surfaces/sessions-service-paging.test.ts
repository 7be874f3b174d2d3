// get_sessions over real HTTP: newest-first paging with its edge cases, every filter, the
// string forms the original protocol's clients send, and tenant isolation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymous } from '../../src/core/context.js';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { api, startApp, type TestApp } from '../support/harness.js';

async function serviceKey(app: TestApp, database = 'main'): Promise<string> {
  const ctx = { database, caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock };
  return (await new ServiceKeyService(app.core.store, app.core.audit).create(ctx, `key-${database}`)).key;
}

describe('get_sessions', () => {
  let app: TestApp;
  let key: string;
  /** Ids of the seeded sessions, oldest first; opened one minute apart. */
  const ids: string[] = [];
  let firstOpen: number;
  const minute = 60_000;

  const page = (body: unknown, headers?: Record<string, string>) => api(app.url, '/sessions/get_sessions', { body, bearer: key, headers });
  const idsOf = (response: { body: { data: Array<{ id: string }> } }) => response.body.data.map((s) => s.id);
  const newest = (n: number, skip = 0) => [...ids].reverse().slice(skip, skip + n);

  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0', SESSION_IDLE_TTL: '1d', SESSION_ABSOLUTE_TTL: '2d' });
    key = await serviceKey(app);
    firstOpen = app.clock.now();
    for (let i = 0; i < 6; i++) {
      const opened = await api(app.url, '/sessions/open_session', { body: { user_id: i % 2 === 0 ? 'even' : 'odd' }, bearer: key });
      ids.push(opened.body.id);
      app.clock.advance(minute);
    }
    // The second-oldest is closed: filters on `active` must see it.
    await api(app.url, '/sessions/close_session', { body: { session_id: ids[1] }, bearer: key });
  });
  after(() => app.close());

  test('defaults: every session, newest first, total null', async () => {
    const noBody = () => api(app.url, '/sessions/get_sessions', { method: 'POST', bearer: key });
    for (const body of [{}, { filter: {}, paging: {} }, { filter: null, paging: null }, undefined]) {
      const response = body === undefined ? await noBody() : await page(body);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['data', 'total']);
      assert.deepEqual(idsOf(response), newest(6), JSON.stringify(body));
      assert.equal(response.body.total, null);
    }
  });

  test('skip and take walk the list; total counts every match only when asked', async () => {
    assert.deepEqual(idsOf(await page({ paging: { skip: 0, take: 2 } })), newest(2));
    const second = await page({ paging: { skip: 2, take: 2, total: true } });
    assert.deepEqual(idsOf(second), newest(2, 2));
    assert.equal(second.body.total, 6);
    assert.equal((await page({ paging: { skip: 2, take: 2, total: false } })).body.total, null);
  });

  test('skip past the end gives an empty page, with the total when asked', async () => {
    const response = await page({ paging: { skip: 50, take: 10, total: true } });
    assert.deepEqual(response.body, { data: [], total: 6 });
  });

  test('take 0 gives an empty page, with the total when asked', async () => {
    assert.deepEqual((await page({ paging: { take: 0, total: true } })).body, { data: [], total: 6 });
    assert.deepEqual((await page({ paging: { take: 0 } })).body, { data: [], total: null });
  });

  test('a negative skip or take, or a fraction, is VALIDATION_FAILED', async () => {
    for (const paging of [{ skip: -1 }, { take: -1 }, { take: '-5' }, { skip: 1.5 }, { take: 'many' }, { total: 'yes' }]) {
      const response = await page({ paging });
      assert.equal(response.status, 400, JSON.stringify(paging));
      assert.equal(response.body.code, 'VALIDATION_FAILED');
      assert.match(response.body.details.errors[0].path, /^\/paging\//);
    }
  });

  test('filter by user_id', async () => {
    assert.deepEqual(idsOf(await page({ filter: { user_id: 'odd' } })), [ids[5], ids[3], ids[1]]);
    assert.deepEqual(idsOf(await page({ filter: { user_id: 'nobody' }, paging: { total: true } })), []);
  });

  test('filter by active, alone and with user_id', async () => {
    assert.deepEqual(idsOf(await page({ filter: { active: false } })), [ids[1]]);
    assert.deepEqual(idsOf(await page({ filter: { active: true } })), newest(6).filter((id) => id !== ids[1]));
    const both = await page({ filter: { user_id: 'odd', active: true }, paging: { total: true } });
    assert.deepEqual(idsOf(both), [ids[5], ids[3]]);
    assert.equal(both.body.total, 2);
  });

  test('from_time and to_time bound open_time, both ends included', async () => {
    const at = (i: number) => new Date(firstOpen + i * minute).toISOString();
    assert.deepEqual(idsOf(await page({ filter: { from_time: at(4) } })), [ids[5], ids[4]]);
    assert.deepEqual(idsOf(await page({ filter: { to_time: at(1) } })), [ids[1], ids[0]]);
    assert.deepEqual(idsOf(await page({ filter: { from_time: at(2), to_time: at(3) } })), [ids[3], ids[2]]);
    assert.deepEqual(idsOf(await page({ filter: { from_time: at(3), to_time: at(2) } })), []);
  });

  test('times may carry an offset, or none (read as UTC), or be a bare date', async () => {
    const from = new Date(firstOpen + 4 * minute);
    const iso = from.toISOString();
    const withOffset = new Date(from.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    const noOffset = iso.replace('Z', '');
    for (const from_time of [iso, withOffset, noOffset]) {
      assert.deepEqual(idsOf(await page({ filter: { from_time } })), [ids[5], ids[4]], from_time);
    }
    const dayBefore = new Date(firstOpen - 86_400_000).toISOString().slice(0, 10);
    assert.equal((await page({ filter: { from_time: dayBefore } })).body.data.length, 6);
  });

  test('an unparseable time is VALIDATION_FAILED naming the field', async () => {
    for (const to_time of ['yesterday', '2026-02-30', '2026-13-01', '2026-01-01T24:00:00Z', '2026-01-01 10:00', '1735689600000', '']) {
      const response = await page({ filter: { to_time } });
      assert.equal(response.status, 400, to_time);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
      assert.equal(response.body.details.errors[0].path, '/filter/to_time');
    }
    assert.equal((await page({ filter: { from_time: 1735689600000 } })).status, 400, 'a number is not a time');
  });

  test('string-map forms and nulls, as the original protocol’s clients send them', async () => {
    const response = await page({ filter: { user_id: 'even', active: 'true', to_time: null }, paging: { skip: '1', take: '1', total: 'true' } });
    assert.equal(response.status, 200);
    assert.deepEqual(idsOf(response), [ids[2]]);
    assert.equal(response.body.total, 3);
    assert.deepEqual(idsOf(await page({ paging: { skip: null, take: null, total: false } })), newest(6));
  });

  test('filter and paging fields the protocol does not name are ignored', async () => {
    const response = await page({ filter: { user_id: 'odd', search: 'x' }, paging: { take: 1, sort: 'asc' }, extra: true });
    assert.equal(response.status, 200);
    assert.deepEqual(idsOf(response), [ids[5]]);
  });

  test('a filter or paging that is not an object is VALIDATION_FAILED', async () => {
    for (const body of [{ filter: 'user_id=odd' }, { paging: [0, 10] }, { filter: { active: 1 } }, { filter: { user_id: 7 } }]) {
      const response = await page(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
  });

  test('sessions that ran out but are not swept yet are reported, and filtered, as inactive', async () => {
    const local = await startApp({ SESSION_LIMIT_PER_USER: '0', SESSION_IDLE_TTL: '10m' });
    try {
      const localKey = await serviceKey(local);
      const call = (operation: string, body: unknown) => api(local.url, `/sessions/${operation}`, { body, bearer: localKey });
      const stale = await call('open_session', { user_id: 'u' });
      local.clock.advance(11 * 60_000);
      const fresh = await call('open_session', { user_id: 'u' });
      const all = await call('get_sessions', {});
      assert.deepEqual(all.body.data.map((s: { id: string; active: boolean }) => [s.id, s.active]), [[fresh.body.id, true], [stale.body.id, false]]);
      const active = await call('get_sessions', { filter: { active: true }, paging: { total: true } });
      assert.deepEqual(active.body.data.map((s: { id: string }) => s.id), [fresh.body.id]);
      assert.equal(active.body.total, 1);
      assert.deepEqual((await call('get_sessions', { filter: { active: false } })).body.data.map((s: { id: string }) => s.id), [stale.body.id]);
    } finally {
      await local.close();
    }
  });

  test('only the sessions of the key’s own database are listed', async () => {
    await app.core.store.databases.create('tenant2', app.clock.now());
    const tenantKey = await serviceKey(app, 'tenant2');
    const headers = { 'x-database': 'tenant2' };
    const opened = await api(app.url, '/sessions/open_session', { body: { user_id: 'even' }, bearer: tenantKey, headers });
    const tenantPage = await api(app.url, '/sessions/get_sessions', { body: { paging: { total: true } }, bearer: tenantKey, headers });
    assert.deepEqual(tenantPage.body, { data: [opened.body], total: 1 });
    assert.equal((await page({ paging: { total: true } })).body.total, 6, 'main is unchanged');
    const byId = await api(app.url, '/sessions/get_session_by_id', { body: { session_id: ids[0] }, bearer: tenantKey, headers });
    assert.equal(byId.status, 204, 'a session of another database is unknown here');
  });
});

test('take above 1000 is clamped to 1000', async () => {
  const app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
  try {
    const key = await serviceKey(app);
    for (let i = 0; i < 1005; i++) {
      await app.core.sessions.open({ database: 'main', userId: `bulk-${i}`, userName: null, address: null, client: null });
    }
    const response = await api(app.url, '/sessions/get_sessions', { body: { paging: { take: 5000, total: true } }, bearer: key });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.length, 1000);
    assert.equal(response.body.total, 1005);
    assert.equal((await api(app.url, '/sessions/get_sessions', { body: { paging: { skip: 1000, take: 5000 } }, bearer: key })).body.data.length, 5);
  } finally {
    await app.close();
  }
});
