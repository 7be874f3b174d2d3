// The sessions service surface (SPEC §4) over real HTTP: every operation under both
// prefixes, unknown ids, limits, expiry, data size, and the one session model it shares
// with the REST user API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymous } from '../../src/core/context.js';
import { ServiceKeyService } from '../../src/credentials/service-keys.js';
import { api, signUp, startApp, type TestApp } from '../support/harness.js';

const sessionV1Fields = ['active', 'address', 'client', 'close_time', 'data', 'id', 'open_time', 'request_time', 'user', 'user_id', 'user_name'];

async function serviceKey(app: TestApp, name = 'backend'): Promise<string> {
  const ctx = { database: 'main', caller: anonymous, correlationId: 'test', address: '127.0.0.1', client: 'test', nodeId: 'test-node', clock: app.clock };
  return (await new ServiceKeyService(app.core.store, app.core.audit).create(ctx, name)).key;
}

const call = (app: TestApp, key: string, operation: string, body: unknown, prefix = '/sessions') => api(app.url, `${prefix}/${operation}`, { body, bearer: key });

for (const prefix of ['/sessions', '/v1/sessions']) {
  describe(`every operation under ${prefix}`, () => {
    let app: TestApp;
    let key: string;
    before(async () => {
      app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
      key = await serviceKey(app);
    });
    after(() => app.close());
    const op = (operation: string, body: unknown) => call(app, key, operation, body, prefix);

    test('open, read, store, close, delete: the record through its life', async () => {
      const opened = await op('open_session', { user_id: 'ext-42', user_name: 'Ext User', address: '10.0.0.7', client: 'portal', user: { roles: ['a'] }, data: { cart: 3 } });
      assert.equal(opened.status, 200);
      assert.deepEqual(Object.keys(opened.body).sort(), sessionV1Fields);
      const session = opened.body;
      assert.equal(session.user_id, 'ext-42');
      assert.equal(session.user_name, 'Ext User');
      assert.equal(session.active, true);
      assert.equal(session.open_time, new Date(app.clock.now()).toISOString());
      assert.equal(session.request_time, session.open_time);
      assert.equal(session.close_time, null);
      assert.deepEqual([session.address, session.client, session.user, session.data], ['10.0.0.7', 'portal', { roles: ['a'] }, { cart: 3 }]);

      assert.deepEqual((await op('get_session_by_id', { session_id: session.id })).body, session);

      app.clock.advance(60_000);
      const stored = await op('store_session_data', { session_id: session.id, data: { cart: 4, items: ['x', 'ü'] } });
      assert.equal(stored.status, 200);
      assert.deepEqual(stored.body.data, { cart: 4, items: ['x', 'ü'] });
      assert.deepEqual(stored.body.user, { roles: ['a'] }, 'storing data leaves user alone');
      assert.equal(stored.body.request_time, new Date(app.clock.now()).toISOString());
      assert.equal(stored.body.open_time, session.open_time);

      app.clock.advance(60_000);
      const closed = await op('close_session', { session_id: session.id });
      assert.equal(closed.status, 200);
      assert.deepEqual(Object.keys(closed.body).sort(), sessionV1Fields);
      assert.equal(closed.body.active, false);
      assert.equal(closed.body.close_time, new Date(app.clock.now()).toISOString());
      assert.equal(closed.body.user, null);
      assert.equal(closed.body.data, null);
      assert.deepEqual((await op('get_session_by_id', { session_id: session.id })).body, closed.body, 'a closed session keeps its record');
      assert.deepEqual((await op('close_session', { session_id: session.id })).body, closed.body, 'closing again changes nothing');

      const deleted = await op('delete_session_by_id', { session_id: session.id });
      assert.equal(deleted.status, 200);
      assert.deepEqual(deleted.body, closed.body);
      const gone = await op('get_session_by_id', { session_id: session.id });
      assert.equal(gone.status, 204);
      assert.equal(gone.text, '');
    });

    test('unknown ids: null (204 No Content, no body) to read or delete, NOT_FOUND to store, update or close', async () => {
      for (const operation of ['get_session_by_id', 'delete_session_by_id']) {
        const response = await op(operation, { session_id: 'no-such-session' });
        assert.equal(response.status, 204, operation);
        assert.equal(response.headers.get('content-type'), null, `${operation}: a 204 has no body, so no content type`);
        assert.equal(response.headers.get('content-length') ?? '0', '0', operation);
        assert.equal(response.text, '', operation);
        assert.ok(response.headers.get('x-correlation-id'), `${operation}: the usual headers are still there`);
      }
      const unknownContent = [
        ['store_session_data', { session_id: 'no-such-session', data: {} }],
        ['update_session_user', { session_id: 'no-such-session', user: {} }],
        ['close_session', { session_id: 'no-such-session' }],
      ] as const;
      for (const [operation, body] of unknownContent) {
        const response = await op(operation, body);
        assert.equal(response.status, 404, operation);
        assert.equal(response.body.code, 'NOT_FOUND');
        assert.equal(response.body.category, 'NotFound');
      }
    });

    test('storing data in a closed session is CONFLICT and leaves the record as it was', async () => {
      const { body: session } = await op('open_session', { user_id: 'ext-closed', data: { a: 1 } });
      const closed = await op('close_session', { session_id: session.id });
      const refused = await op('store_session_data', { session_id: session.id, data: { a: 2 } });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'CONFLICT');
      assert.deepEqual((await op('get_session_by_id', { session_id: session.id })).body, closed.body);
    });

    test('update_session_user replaces user, leaves data, counts as activity; a closed session is CONFLICT', async () => {
      const { body: session } = await op('open_session', { user_id: 'ext-user', user: { name: 'first' }, data: { cart: 1 } });
      app.clock.advance(30_000);
      const updated = await op('update_session_user', { session_id: session.id, user: { name: 'second', roles: ['x'] } });
      assert.equal(updated.status, 200, updated.text);
      assert.deepEqual(Object.keys(updated.body).sort(), sessionV1Fields);
      assert.deepEqual(updated.body.user, { name: 'second', roles: ['x'] });
      assert.deepEqual(updated.body.data, { cart: 1 }, 'data stays as it was');
      assert.equal(updated.body.request_time, new Date(app.clock.now()).toISOString());
      assert.deepEqual((await op('get_session_by_id', { session_id: session.id })).body, updated.body);
      const missing = await op('update_session_user', { session_id: session.id });
      assert.equal(missing.status, 400, 'user is required (send null to clear it)');
      await op('close_session', { session_id: session.id });
      const refused = await op('update_session_user', { session_id: session.id, user: 'late' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'CONFLICT');
    });

    test('a string, a number and an object are kept unchanged as user and as data, through every operation that writes them', async () => {
      for (const value of ['xyz', 42, { nested: { list: [1, 'two', null, true] } }]) {
        const opened = await op('open_session', { user_id: 'ext-values', user: value, data: value });
        assert.equal(opened.status, 200);
        assert.deepEqual([opened.body.user, opened.body.data], [value, value], 'open_session');
        const read = async () => (await op('get_session_by_id', { session_id: opened.body.id })).body;
        assert.deepEqual([(await read()).user, (await read()).data], [value, value], 'read back after open_session');
        const other = typeof value === 'string' ? 7 : 'text';
        await op('store_session_data', { session_id: opened.body.id, data: other });
        await op('update_session_user', { session_id: opened.body.id, user: other });
        assert.deepEqual([(await read()).user, (await read()).data], [other, other], 'read back after a change');
        const data = await op('store_session_data', { session_id: opened.body.id, data: value });
        assert.deepEqual(data.body.data, value, 'store_session_data');
        const user = await op('update_session_user', { session_id: opened.body.id, user: value });
        assert.deepEqual(user.body.user, value, 'update_session_user');
        assert.deepEqual([(await read()).user, (await read()).data], [value, value], 'read back after store_session_data and update_session_user');
      }
    });

    test('a correlation_id header, as Pip clients send it, is echoed like X-Correlation-Id', async () => {
      const viaHeader = await api(app.url, `${prefix}/get_session_by_id`, { body: {}, bearer: key, headers: { correlation_id: 'pip-123' } });
      assert.equal(viaHeader.status, 400);
      assert.equal(viaHeader.headers.get('x-correlation-id'), 'pip-123');
      assert.equal(viaHeader.body.correlation_id, 'pip-123');
      const ok = await api(app.url, `${prefix}/get_sessions`, { body: {}, bearer: key, headers: { correlation_id: 'pip-124' } });
      assert.equal(ok.headers.get('x-correlation-id'), 'pip-124');
      const insane = await api(app.url, `${prefix}/get_sessions`, { body: {}, bearer: key, headers: { correlation_id: 'no spaces allowed' } });
      assert.match(insane.headers.get('x-correlation-id') ?? '', /^[0-9a-f-]{36}$/, 'an unusable id is replaced by a fresh one');
      const both = await api(app.url, `${prefix}/get_sessions?correlation_id=from-query`, { body: {}, bearer: key, headers: { correlation_id: 'from-header' } });
      assert.equal(both.headers.get('x-correlation-id'), 'from-query', 'the query parameter comes first');
      const order = await api(app.url, `${prefix}/get_sessions`, { body: {}, bearer: key, headers: { correlation_id: 'third', 'x-correlation-id': 'first' } });
      assert.equal(order.headers.get('x-correlation-id'), 'first', 'X-Correlation-Id comes before correlation_id');
    });
  });
}

describe('audit', () => {
  test('open, close and delete are recorded with the service key as actor', async () => {
    const app = await startApp();
    try {
      const key = await serviceKey(app, 'billing');
      const { body: session } = await call(app, key, 'open_session', { user_id: 'ext-audit' });
      await call(app, key, 'close_session', { session_id: session.id });
      await call(app, key, 'delete_session_by_id', { session_id: session.id });
      const events = await app.core.store.audit.listForTarget('main', 'ext-audit', 10);
      assert.deepEqual(events.map((e) => e.type).sort(), ['session.closed', 'session.deleted', 'session.opened']);
      for (const event of events) {
        assert.equal(event.actor, 'service:billing');
        assert.deepEqual(event.details, { session_id: session.id });
      }
    } finally {
      await app.close();
    }
  });
});

describe('session limits apply to sessions-service sessions', () => {
  test('replace: a second session for the same user closes the first', async () => {
    const app = await startApp({ SESSION_LIMIT_PER_USER: '1', SESSION_LIMIT_POLICY: 'replace' });
    try {
      const key = await serviceKey(app);
      const first = await call(app, key, 'open_session', { user_id: 'ext-1' });
      app.clock.advance(1000);
      const second = await call(app, key, 'open_session', { user_id: 'ext-1' });
      assert.equal(second.status, 200);
      assert.equal((await call(app, key, 'get_session_by_id', { session_id: first.body.id })).body.active, false);
      assert.equal((await call(app, key, 'get_session_by_id', { session_id: second.body.id })).body.active, true);
      const other = await call(app, key, 'open_session', { user_id: 'ext-2' });
      assert.equal(other.status, 200, 'the limit is per user');
      const [opened] = (await app.core.store.audit.listForTarget('main', 'ext-1', 10)).filter((e) => e.type === 'session.opened' && e.details?.session_id === second.body.id);
      assert.deepEqual(opened?.details?.replaced, [first.body.id]);
    } finally {
      await app.close();
    }
  });

  test('reject: a second session is SESSION_LIMIT (409) and the first stays open', async () => {
    const app = await startApp({ SESSION_LIMIT_PER_USER: '1', SESSION_LIMIT_POLICY: 'reject' });
    try {
      const key = await serviceKey(app);
      const first = await call(app, key, 'open_session', { user_id: 'ext-1' });
      const second = await call(app, key, 'open_session', { user_id: 'ext-1' });
      assert.equal(second.status, 409);
      assert.equal(second.body.code, 'SESSION_LIMIT');
      assert.equal(second.body.category, 'Conflict');
      assert.equal((await call(app, key, 'get_session_by_id', { session_id: first.body.id })).body.active, true);
    } finally {
      await app.close();
    }
  });

  test('a sessions-service session counts against a local user’s REST login', async () => {
    const app = await startApp({ SESSION_LIMIT_PER_USER: '1' });
    try {
      const key = await serviceKey(app);
      const alice = await signUp(app, 'alice');
      const opened = await call(app, key, 'open_session', { user_id: alice.userId });
      assert.equal(opened.status, 200);
      assert.equal((await api(app.url, '/api/user/session/validate', { cookie: alice.cookie })).status, 401, 'the cookie session was replaced');
      assert.equal((await call(app, key, 'get_session_by_id', { session_id: alice.sessionId })).body.active, false);
    } finally {
      await app.close();
    }
  });
});

describe('one session model with the REST user API', () => {
  let app: TestApp;
  let key: string;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '2' });
    key = await serviceKey(app);
  });
  after(() => app.close());

  test('a session opened for a local user is that user’s session, and revoking it there closes it', async () => {
    const bob = await signUp(app, 'bob');
    const opened = await call(app, key, 'open_session', { user_id: bob.userId, address: '192.0.2.1', client: 'kiosk' });
    assert.equal(opened.body.user_name, 'bob', 'a local user’s name is filled in when not given');
    const own = await api(app.url, '/api/user/sessions', { cookie: bob.cookie });
    const listed = own.body.data.find((s: { id: string }) => s.id === opened.body.id);
    assert.deepEqual(listed, { id: opened.body.id, open_time: opened.body.open_time, request_time: opened.body.request_time, address: '192.0.2.1', client: 'kiosk', current: false });

    const revoked = await api(app.url, `/api/user/sessions/${opened.body.id}`, { method: 'DELETE', cookie: bob.cookie });
    assert.equal(revoked.status, 200);
    const after = await call(app, key, 'get_session_by_id', { session_id: opened.body.id });
    assert.equal(after.body.active, false);
    assert.notEqual(after.body.close_time, null);
  });

  test('a cookie session from a REST login is listed by get_sessions', async () => {
    const carol = await signUp(app, 'carol');
    const page = await call(app, key, 'get_sessions', { filter: { user_id: carol.userId } });
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.data.map((s: { id: string }) => s.id), [carol.sessionId]);
    assert.equal(page.body.data[0].user_name, 'carol');
    assert.equal(page.body.data[0].active, true);
  });

  test('deleting a live cookie session makes the cookie stop working at once', async () => {
    const dave = await signUp(app, 'dave');
    assert.equal((await api(app.url, '/api/user/session/validate', { cookie: dave.cookie })).status, 200, 'the session is cached as live');
    await call(app, key, 'delete_session_by_id', { session_id: dave.sessionId });
    assert.equal((await api(app.url, '/api/user/session/validate', { cookie: dave.cookie })).status, 401);
  });

  test('a suspended local user gets no new session', async () => {
    const erin = await signUp(app, 'erin');
    await app.core.store.users.update('main', erin.userId, { status: 'suspended' });
    const refused = await call(app, key, 'open_session', { user_id: erin.userId });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'ACCOUNT_SUSPENDED');
  });
});

describe('expiry and idle time', () => {
  let app: TestApp;
  let key: string;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0', SESSION_ABSOLUTE_TTL: '2h', SESSION_IDLE_TTL: '30m' });
    key = await serviceKey(app);
  });
  after(() => app.close());

  test('an idle session is reported closed before the sweeper runs, and stays so after', async () => {
    const { body: session } = await call(app, key, 'open_session', { user_id: 'ext-idle', data: { a: 1 } });
    app.clock.advance(31 * 60_000);
    const reported = await call(app, key, 'get_session_by_id', { session_id: session.id });
    assert.equal(reported.body.active, false);
    assert.equal(reported.body.close_time, new Date(Date.parse(session.open_time) + 30 * 60_000).toISOString(), 'closed when it went idle');
    assert.equal(reported.body.data, null);
    assert.equal((await call(app, key, 'store_session_data', { session_id: session.id, data: {} })).status, 409);

    assert.ok((await app.core.sessions.sweep()) >= 1);
    const swept = await call(app, key, 'get_session_by_id', { session_id: session.id });
    assert.equal(swept.body.active, false);
    assert.notEqual(swept.body.close_time, null);
  });

  test('storing data counts as activity', async () => {
    const { body: session } = await call(app, key, 'open_session', { user_id: 'ext-busy' });
    app.clock.advance(20 * 60_000);
    await call(app, key, 'store_session_data', { session_id: session.id, data: { step: 2 } });
    app.clock.advance(20 * 60_000);
    await app.core.sessions.sweep();
    assert.equal((await call(app, key, 'get_session_by_id', { session_id: session.id })).body.active, true);
  });

  test('the absolute lifetime ends a session however busy it is', async () => {
    const { body: session } = await call(app, key, 'open_session', { user_id: 'ext-long' });
    for (let i = 0; i < 4; i++) {
      app.clock.advance(25 * 60_000);
      assert.equal((await call(app, key, 'store_session_data', { session_id: session.id, data: { i } })).status, 200);
    }
    app.clock.advance(21 * 60_000); // 121 minutes after opening, 21 since the last write
    const reported = await call(app, key, 'get_session_by_id', { session_id: session.id });
    assert.equal(reported.body.active, false);
    assert.equal(reported.body.close_time, new Date(Date.parse(session.open_time) + 2 * 3_600_000).toISOString());
  });
});

describe('the validation cache with large sessions', () => {
  test('stays within SESSION_CACHE_BYTES however large user and data are, and every session still works', async () => {
    const app = await startApp({ SESSION_LIMIT_PER_USER: '0', SESSION_CACHE_BYTES: '64kb' });
    try {
      const key = await serviceKey(app);
      const large = { blob: 'x'.repeat(60 * 1024) };
      const ids: string[] = [];
      for (let i = 0; i < 150; i++) {
        const opened = await call(app, key, 'open_session', { user_id: `ext-large-${i}`, user: large, data: large });
        assert.equal(opened.status, 200);
        ids.push(opened.body.id);
        assert.ok(app.core.sessions.cache.bytes <= 64 * 1024, `after ${i + 1} sessions: ${app.core.sessions.cache.bytes} bytes`);
      }
      assert.ok(app.core.sessions.cache.size >= 50, `small entries fill the bound (${app.core.sessions.cache.size})`);
      for (const id of [ids[0], ids[149]]) {
        const read = await call(app, key, 'get_session_by_id', { session_id: id });
        assert.deepEqual([read.body.user, read.body.data], [large, large], 'the values come from the store, not the cache');
      }
    } finally {
      await app.close();
    }
  });
});

describe('session data size', () => {
  // `{"s":"…"}` is 8 bytes of JSON around the string.
  const dataOfBytes = (bytes: number) => ({ s: 'x'.repeat(bytes - 8) });

  test('up to 64kb of JSON is kept; one byte more is PAYLOAD_TOO_LARGE', async () => {
    const app = await startApp();
    try {
      const key = await serviceKey(app);
      const { body: session } = await call(app, key, 'open_session', { user_id: 'ext-big' });
      const atLimit = await call(app, key, 'store_session_data', { session_id: session.id, data: dataOfBytes(64 * 1024) });
      assert.equal(atLimit.status, 200);
      assert.equal(JSON.stringify(atLimit.body.data).length, 64 * 1024);
      const over = await call(app, key, 'store_session_data', { session_id: session.id, data: dataOfBytes(64 * 1024 + 1) });
      assert.equal(over.status, 413);
      assert.equal(over.body.code, 'PAYLOAD_TOO_LARGE');
      assert.deepEqual(over.body.details, { field: 'data', limit_bytes: 65536 });
      assert.equal((await call(app, key, 'open_session', { user_id: 'ext-big2', data: dataOfBytes(64 * 1024 + 1) })).status, 413);
      assert.equal((await call(app, key, 'get_session_by_id', { session_id: session.id })).body.data.s.length, 64 * 1024 - 8, 'the refused write changed nothing');
    } finally {
      await app.close();
    }
  });

  test('the limit follows SESSION_DATA_LIMIT and counts UTF-8 bytes, not characters', async () => {
    const app = await startApp({ SESSION_DATA_LIMIT: '1kb' });
    try {
      const key = await serviceKey(app);
      const { body: session } = await call(app, key, 'open_session', { user_id: 'ext-small' });
      // 400 two-byte characters: 400 characters, 808 bytes of JSON.
      assert.equal((await call(app, key, 'store_session_data', { session_id: session.id, data: { s: 'é'.repeat(400) } })).status, 200);
      // 600 of them: still 600 characters, but 1208 bytes.
      assert.equal((await call(app, key, 'store_session_data', { session_id: session.id, data: { s: 'é'.repeat(600) } })).status, 413);
      for (const data of [null, 'text', 42, [1, { a: [true] }]]) {
        const stored = await call(app, key, 'store_session_data', { session_id: session.id, data });
        assert.equal(stored.status, 200);
        assert.deepEqual(stored.body.data, data, 'any JSON value is kept');
      }
    } finally {
      await app.close();
    }
  });
});
