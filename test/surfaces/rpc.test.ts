// The RPC surface (SPEC §5) over real HTTP and a real WebSocket: every method, the
// administrator rules (no token, non-admin, admin without TOTP, replayed TOTP), pipelining
// matched by id, and bad frames that get an error reply while the connection goes on.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { digestSecret } from '../../src/core/ids.js';
import { signUpAdmin, totpCode } from '../support/admin.js';
import { api, password, signUp, startApp, type TestApp } from '../support/harness.js';
import { rpc, RpcSocket } from '../support/rpc.js';

function assertRpcError(reply: { status?: number; body?: Record<string, any> } | Record<string, any>, code: string, status?: number) {
  const body = ('body' in reply ? reply.body : reply) as Record<string, any>;
  assert.equal(body.status, 'error', JSON.stringify(body));
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  if (status !== undefined && 'status' in reply && typeof reply.status === 'number') assert.equal(reply.status, status);
}

describe('RPC over HTTP', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof signUpAdmin>>;
  let authToken: string;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0' });
    admin = await signUpAdmin(app, 'root');
    authToken = admin.cookie;
  });
  after(() => app.close());

  test('open_session, validate_session with nodeID, close_session; unknown tokens are "False", not errors', async () => {
    await signUp(app, 'alice');
    const opened = await rpc(app, { method: 'open_session', nodeID: 'machine-7', authentication: { user: 'alice', secret: password }, id: 1 });
    assert.equal(opened.status, 200);
    assert.deepEqual(Object.keys(opened.body).sort(), ['id', 'sessionToken', 'status']);
    assert.equal(opened.body.id, 1);
    const sessionToken = opened.body.sessionToken as string;
    assert.deepEqual((await rpc(app, { method: 'validate_session', sessionToken })).body, { status: 'ok', sessionToken, sessionStatus: 'True', nodeID: 'machine-7' });
    assert.deepEqual((await rpc(app, { method: 'close_session', sessionToken, id: 'c' })).body, { status: 'ok', sessionStatus: 'False', id: 'c' });
    assert.deepEqual((await rpc(app, { method: 'validate_session', sessionToken })).body, { status: 'ok', sessionToken, sessionStatus: 'False', nodeID: null });
    assert.equal((await rpc(app, { method: 'close_session', sessionToken })).body.sessionStatus, 'False', 'closing twice is the same answer');
    assert.equal((await rpc(app, { method: 'validate_session', sessionToken: 'no-such-token' })).body.sessionStatus, 'False');
    assertRpcError(await rpc(app, { method: 'open_session', authentication: { user: 'alice', secret: 'wrong password' } }), 'invalid_credentials', 401);
    assertRpcError(await rpc(app, { method: 'open_session', authentication: { user: 'alice' } }), 'validation_failed', 400);
    const missing = await rpc(app, { method: 'open_session', authentication: { user: 'alice' } });
    assert.match(missing.body.error.message, /authentication\/secret/, 'the message names the wire field');
  });

  test('validate_session of a session this node has not cached reads the store once', async () => {
    await signUp(app, 'cold');
    const opened = await rpc(app, { method: 'open_session', authentication: { user: 'cold', secret: password } });
    const sessionToken = opened.body.sessionToken as string;
    const sessions = app.core.store.sessions;
    const findByTokenDigest = sessions.findByTokenDigest;
    let reads = 0;
    sessions.findByTokenDigest = (digest) => {
      reads++;
      return findByTokenDigest.call(sessions, digest);
    };
    try {
      app.core.sessions.cache.clear();
      // The RPC names no database: the token's own is looked up first, then validated.
      assert.equal((await rpc(app, { method: 'validate_session', sessionToken })).body.sessionStatus, 'True');
      assert.equal(reads, 1, 'finding the database and validating share one read');
      assert.equal((await rpc(app, { method: 'validate_session', sessionToken })).body.sessionStatus, 'True');
      assert.equal(reads, 1, 'then the session is cached');
      // A closed session is not cached by the look-up: it stays an answer of the store.
      await rpc(app, { method: 'close_session', sessionToken });
      app.core.sessions.cache.clear();
      reads = 0;
      assert.equal((await rpc(app, { method: 'validate_session', sessionToken })).body.sessionStatus, 'False');
      assert.equal((await rpc(app, { method: 'validate_session', sessionToken })).body.sessionStatus, 'False');
      assert.equal(app.core.sessions.cache.get(digestSecret(sessionToken)), undefined);
    } finally {
      sessions.findByTokenDigest = findByTokenDigest;
    }
  });

  test('open_session takes authentication.totp for an account with TOTP; a replayed code is refused', async () => {
    const noCode = await rpc(app, { method: 'open_session', authentication: { user: 'root', secret: password } });
    assertRpcError(noCode, 'mfa_required', 401);
    const code = totpCode(admin.secret, app.clock.now());
    const opened = await rpc(app, { method: 'open_session', authentication: { user: 'root', secret: password, totp: code } });
    assert.equal(opened.body.status, 'ok');
    assertRpcError(await rpc(app, { method: 'open_session', authentication: { user: 'root', secret: password, totp: code } }), 'invalid_credentials', 401);
    app.clock.advance(30_000);
  });

  test('administration needs the token of an administrator whose session passed TOTP', async () => {
    const request = { method: 'list_databases' };
    assertRpcError(await rpc(app, request), 'unauthenticated', 401);
    assertRpcError(await rpc(app, { ...request, authToken: 'not-a-token' }), 'unauthenticated', 401);
    const user = await signUp(app, 'plainuser');
    assertRpcError(await rpc(app, { ...request, authToken: user.cookie }), 'forbidden', 403);
    const noTotp = await signUp(app, 'root2');
    await app.core.store.users.update('main', noTotp.userId, { role: 'admin' });
    assertRpcError(await rpc(app, { ...request, authToken: noTotp.cookie }), 'mfa_required', 401);
    assert.deepEqual((await rpc(app, { ...request, authToken })).body, { status: 'ok', databases: ['main'] });
    const { body } = await rpc(app, { method: 'list_databases', authToken: (await app.core.tokens.issue((await app.core.sessions.find('main', admin.sessionId))!, 'admin')).token });
    assert.equal(body.status, 'ok', 'an administrator’s access token works as authToken');
  });

  test('user administration: create, status, suspend, reinstate, unlock, export, delete', async () => {
    const created = await rpc(app, { method: 'create_user', authToken, user: 'bob', secret: 'bobs long password', email: 'bob@example.com' });
    assert.deepEqual(created.body, { status: 'ok', user: 'bob' });
    assert.equal((await rpc(app, { method: 'status_user', authToken, user: 'bob' })).body.userStatus, 'active');
    const bobSession = (await rpc(app, { method: 'open_session', authentication: { user: 'bob', secret: 'bobs long password' } })).body.sessionToken;
    assert.equal((await rpc(app, { method: 'status_user', sessionToken: bobSession, user: 'bob' })).body.userStatus, 'active', 'a user may ask for their own status');
    assertRpcError(await rpc(app, { method: 'status_user', sessionToken: bobSession, user: 'root' }), 'forbidden', 403);
    assertRpcError(await rpc(app, { method: 'status_user', user: 'bob' }), 'unauthenticated', 401);

    const self = await rpc(app, { method: 'suspend_user', authToken, user: 'root' });
    assert.deepEqual([self.status, self.body.error.code], [403, 'forbidden'], 'an administrator cannot lock themselves out');
    assert.deepEqual((await rpc(app, { method: 'suspend_user', authToken, user: 'bob' })).body, { status: 'ok', accountStatus: 'suspended' });
    assert.equal((await rpc(app, { method: 'validate_session', sessionToken: bobSession })).body.sessionStatus, 'False', 'suspension closed the session');
    assertRpcError(await rpc(app, { method: 'open_session', authentication: { user: 'bob', secret: 'bobs long password' } }), 'account_suspended', 403);
    assert.equal((await rpc(app, { method: 'status_user', authToken, user: 'bob' })).body.userStatus, 'suspended');
    assert.deepEqual((await rpc(app, { method: 'reinstate_user', authToken, user: 'bob' })).body, { status: 'ok', accountStatus: 'active' });

    for (let i = 0; i < 6; i++) await rpc(app, { method: 'open_session', authentication: { user: 'bob', secret: 'wrong password!' } });
    assertRpcError(await rpc(app, { method: 'open_session', authentication: { user: 'bob', secret: 'bobs long password' } }), 'rate_limited', 429);
    assert.deepEqual((await rpc(app, { method: 'unlock_user', authToken, user: 'bob' })).body, { status: 'ok', accountStatus: 'active' });
    assert.equal((await rpc(app, { method: 'open_session', authentication: { user: 'bob', secret: 'bobs long password' } })).body.status, 'ok');

    const bobUser = await app.core.accounts.findByUsername('main', 'bob');
    const reporter = await signUp(app, 'reporter');
    const flagged = await api(app.url, '/api/v2/RequestFlagUser', { body: { user_id: bobUser.id, reason: 'spam' }, headers: { jwt: reporter.cookie } });
    assert.equal(flagged.status, 200, flagged.text);
    const exported = (await rpc(app, { method: 'export_user', authToken, user: 'bob' })).body.userdata;
    assert.equal(exported.profile.username, 'bob');
    assert.deepEqual(exported.flags.map((f: { reporter_id: string; reason: string }) => [f.reporter_id, f.reason]), [[reporter.userId, 'spam']]);
    assert.ok(exported.sessions.length >= 2);
    assert.ok(exported.audit.some((event: { type: string }) => event.type === 'account.suspended'));
    const text = JSON.stringify(exported);
    assert.doesNotMatch(text, /argon2|password_hash|token_digest|secret/i, 'no hash, digest or secret');

    assert.deepEqual((await rpc(app, { method: 'delete_user', authToken, user: 'bob' })).body, { status: 'ok', accountStatus: 'deleted' });
    assertRpcError(await rpc(app, { method: 'status_user', authToken, user: 'bob' }), 'not_found', 404);
    assert.equal((await rpc(app, { method: 'create_user', authToken, user: 'bob', secret: 'bobs long password' })).body.status, 'ok', 'the name is free again');
  });

  test('create_user with a role needs roles power; validation names the wire fields', async () => {
    const made = await rpc(app, { method: 'create_user', authToken, user: 'mod1', secret: 'a long password', role: 'moderator' });
    assert.equal(made.body.status, 'ok');
    const bad = await rpc(app, { method: 'create_user', authToken, user: 'x1', secret: 5 });
    assertRpcError(bad, 'validation_failed', 400);
    assert.match(bad.body.error.message, /^secret/);
    assertRpcError(await rpc(app, { method: 'create_user', authToken, user: 'x2', secret: 'a long password', role: 'emperor' }), 'validation_failed', 400);
    assertRpcError(await rpc(app, { method: 'create_user', authToken, user: 'MOD1', secret: 'a long password', email: 'other@example.com' }), 'username_taken', 409);
  });

  test('bad requests are errors in the envelope with the catalog status, never 5xx', async () => {
    assertRpcError(await rpc(app, { method: 'no_such_method', id: 9 }), 'not_found', 404);
    assert.equal((await rpc(app, { method: 'no_such_method', id: 9 })).body.id, 9);
    assertRpcError(await rpc(app, { id: 1 }), 'validation_failed', 400);
    assertRpcError(await rpc(app, { method: 42 }), 'validation_failed', 400);
    assertRpcError(await rpc(app, { method: 'open_session', database: 'Not Valid!', authentication: { user: 'a', secret: 'b' } }), 'validation_failed', 400);
    assertRpcError(await rpc(app, { method: 'open_session', database: 'nowhere', authentication: { user: 'a', secret: 'b' } }), 'not_found', 404);
    for (const raw of ['{bad json', '[1,2]', '"text"', 'null', `${'['.repeat(100)}${']'.repeat(100)}`]) {
      const response = await fetch(`${app.url}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      assert.equal(response.status, 400, raw);
      const body = (await response.json()) as Record<string, any>;
      assert.deepEqual([body.status, body.error.code], ['error', 'validation_failed']);
    }
    const textPlain = await fetch(`${app.url}/rpc`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(textPlain.status, 415);
    assert.equal(((await textPlain.json()) as Record<string, any>).error.code, 'unsupported_media_type');
    const get = await fetch(`${app.url}/rpc`);
    assert.equal(get.status, 400, 'a plain GET is told to upgrade');
  });
});

describe('RPC over WebSocket', () => {
  let app: TestApp;
  let authToken: string;
  before(async () => {
    app = await startApp({ SESSION_LIMIT_PER_USER: '0', BODY_LIMIT: '16kb', RPC_MAX_IN_FLIGHT: '8' });
    authToken = (await signUpAdmin(app, 'root')).cookie;
    await signUp(app, 'carol');
  });
  after(() => app.close());

  test('pipelining: 200 requests sent at once, every reply matched by id', async () => {
    const socket = await RpcSocket.open(app);
    try {
      const opened = await socket.call({ method: 'open_session', nodeID: 'ws-node', authentication: { user: 'carol', secret: password } });
      const sessionToken = opened.sessionToken as string;
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => socket.call({ method: 'validate_session', sessionToken, id: `v${i}` })));
      replies.forEach((reply, i) => {
        assert.equal(reply.id, `v${i}`);
        assert.deepEqual([reply.status, reply.sessionStatus, reply.nodeID], ['ok', 'True', 'ws-node']);
      });
      const mixed = await Promise.all([socket.call({ method: 'list_databases', authToken }), socket.call({ method: 'nope' }), socket.call({ method: 'status_user', authToken, user: 'carol' })]);
      assert.deepEqual(mixed[0].databases, ['main']);
      assertRpcError(mixed[1], 'not_found');
      assert.equal(mixed[2].userStatus, 'active');
    } finally {
      await socket.close();
    }
  });

  test('replies made in one turn leave the server in one write, not one each', async () => {
    let serverSide: net.Socket | undefined;
    app.server.app.server.once('connection', (connection: net.Socket) => (serverSide = connection));
    const socket = await RpcSocket.open(app);
    try {
      const { sessionToken } = await socket.call({ method: 'open_session', authentication: { user: 'carol', secret: password } });
      let writes = 0;
      for (const method of ['_write', '_writev'] as const) {
        const original = serverSide![method]!.bind(serverSide);
        (serverSide as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          writes++;
          return (original as (...a: unknown[]) => void)(...args);
        };
      }
      // The 50 frames leave the client in one write, so the server reads them together (in
      // turns of RPC_MAX_IN_FLIGHT, 8 here): corked, that is 7 writes; uncorked, 50.
      const tcp = (socket.socket as unknown as { _socket: net.Socket })._socket;
      tcp.cork();
      const replies = Array.from({ length: 50 }, (_, i) => socket.call({ method: 'validate_session', sessionToken, id: `w${i}` }));
      tcp.uncork();
      for (const [i, reply] of (await Promise.all(replies)).entries()) assert.deepEqual([reply.id, reply.status], [`w${i}`, 'ok']);
      assert.ok(writes <= 20, `${writes} writes for 50 replies`);
    } finally {
      await socket.close();
    }
  });

  test('malformed, binary, oversized and too deep frames get an error reply; the connection goes on', async () => {
    const socket = await RpcSocket.open(app);
    try {
      assertRpcError(await socket.raw('{not json'), 'validation_failed');
      assertRpcError(await socket.raw('[]'), 'validation_failed');
      assertRpcError(await socket.raw(Buffer.from('{"method":"list_databases"}'), true), 'unsupported_media_type');
      assertRpcError(await socket.raw(JSON.stringify({ method: 'x', pad: 'y'.repeat(20 * 1024) })), 'payload_too_large');
      assertRpcError(await socket.raw(`{"method":"x","deep":${'['.repeat(200)}${']'.repeat(200)}}`), 'validation_failed');
      assertRpcError(await socket.raw(Buffer.from([0x7b, 0xff, 0x7d])), 'validation_failed');
      const poisoned = await socket.call({ method: 'list_databases', authToken, id: 'p1', ...JSON.parse('{"__proto__":{"admin":true}}') });
      assertRpcError(poisoned, 'validation_failed');
      assert.equal(poisoned.id, 'p1', 'a refused frame that is still JSON keeps its id, for pipelining clients');
      assert.deepEqual((await socket.call({ method: 'list_databases', authToken })).databases, ['main'], 'still serving');
      assert.equal(socket.anonymous.length, 0);
    } finally {
      await socket.close();
    }
  });

  test('a client that does not read its replies stops being read: the server holds bounded work for it', async () => {
    const socket = await RpcSocket.open(app);
    try {
      const { sessionToken } = await socket.call({ method: 'open_session', authentication: { user: 'carol', secret: password } });
      let handled = 0;
      const original = app.core.authenticator.databaseOf.bind(app.core.authenticator);
      app.core.authenticator.databaseOf = (credential: string) => {
        handled++;
        return original(credential);
      };
      const tcp = (socket.socket as unknown as { _socket: net.Socket })._socket;
      tcp.pause(); // stop reading replies, as a slow or stuck client would
      const total = 3000;
      const pad = 'p'.repeat(8 * 1024); // echoed in every reply, so replies fill buffers quickly
      const replies = Array.from({ length: total }, (_, i) => socket.call({ method: 'validate_session', sessionToken, id: `${pad}${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(handled < total, `the server stopped reading after ${handled} of ${total} requests`);
      tcp.resume();
      const all = await Promise.all(replies);
      assert.equal(all.length, total);
      assert.ok(all.every((reply, i) => reply.id === `${pad}${i}` && reply.sessionStatus === 'True'), 'every request was answered once the client read again');
      app.core.authenticator.databaseOf = original;
    } finally {
      await socket.close();
    }
  });

  test('a frame far over the limit closes the connection rather than being buffered; others are unaffected', async () => {
    const socket = await RpcSocket.open(app);
    const closed = new Promise<number>((resolve) => socket.socket.once('close', (code) => resolve(code)));
    socket.socket.send('x'.repeat(16 * 1024 * 5));
    assert.equal(await closed, 1009);
    const other = await RpcSocket.open(app);
    assert.deepEqual((await other.call({ method: 'list_databases', authToken })).databases, ['main']);
    await other.close();
  });
});

describe('RPC WebSocket limits', () => {
  test('connections beyond RPC_MAX_CONNECTIONS are refused at the upgrade, and a closed one frees its place', async () => {
    const app = await startApp({ RPC_MAX_CONNECTIONS: '2' });
    try {
      const first = await RpcSocket.open(app);
      const second = await RpcSocket.open(app);
      await assert.rejects(RpcSocket.open(app), /upgrade refused: 503/);
      await second.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const third = await RpcSocket.open(app);
      await Promise.all([first.close(), third.close()]);
    } finally {
      await app.close();
    }
  });

  test('a peer that never answers pings is dropped by the heartbeat; one that answers stays', async () => {
    const app = await startApp({ RPC_PING_INTERVAL: '100ms' });
    try {
      const live = await RpcSocket.open(app);
      // A peer that completes the handshake and then goes silent, as a vanished network would.
      const { port } = new URL(app.url);
      const silent = net.connect({ host: '127.0.0.1', port: Number(port) });
      silent.resume(); // reads (and ignores) the server's pings: a raw socket never answers them
      const key = randomBytes(16).toString('base64');
      silent.write(`GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      const started = Date.now();
      await new Promise<void>((resolve) => silent.once('close', () => resolve()));
      assert.ok(Date.now() - started < 2000, `dropped after ${Date.now() - started} ms`);
      assert.equal(live.socket.readyState, live.socket.OPEN, 'a live peer answers pings and stays');
      await live.close();
    } finally {
      await app.close();
    }
  });
});
