// Request loggers are made on first use, carry their bindings, and redact secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, lazyChildLogger } from '../../src/server/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { lines, logger: createLogger('info', stream) };
}

test('the child logger is made only when used, then bound and redacting', () => {
  const { lines, logger } = capture();
  let made = 0;
  const counting = new Proxy(logger, {
    get: (target, property) => (property === 'child' ? (...args: Parameters<typeof logger.child>) => (made++, target.child(...args)) : Reflect.get(target, property)),
  });
  const requestLog = lazyChildLogger(counting, { reqId: 'corr-1' });
  // Fastify checks the level methods of every request logger it is given.
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'child'] as const) assert.equal(typeof requestLog[level], 'function');
  assert.equal(made, 0, 'looking at the logger makes no child');
  requestLog.error({ req: { headers: { cookie: 'sid=secret-token' } }, body: { password: 'hunter2hunter2' } }, 'boom');
  requestLog.warn('again');
  assert.equal(made, 1);
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]!);
  assert.equal(first.reqId, 'corr-1');
  assert.equal(first.msg, 'boom');
  assert.doesNotMatch(lines[0]!, /secret-token|hunter2/);
});

test('secret fields are censored at any depth and in every surface spelling; other fields stay', () => {
  const { lines, logger } = capture();
  logger.warn(
    {
      request: { body: { authentication: { user: 'alice', secret: 'deep-secret-1' }, 'old-password': 'deep-secret-2' } },
      batch: [{ authToken: 'deep-secret-3' }, { nested: { reset_code: 'DEEPSECRET4', totp: '123456' } }],
      route: '/rpc',
    },
    'nested',
  );
  const line = lines[0]!;
  assert.doesNotMatch(line, /deep-secret|DEEPSECRET4|123456/);
  const logged = JSON.parse(line);
  assert.equal(logged.request.body.authentication.user, 'alice');
  assert.equal(logged.route, '/rpc');
  assert.equal(logged.batch[0].authToken, '[redacted]');
});
