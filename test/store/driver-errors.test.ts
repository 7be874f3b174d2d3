// Which driver errors mean "the database is gone" (→ unavailable, 503) and which are bugs
// or data errors that must stay what they are. The fault tests show the same on a real
// PostgreSQL cut off and terminated; this pins the classification itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseError } from '../../src/core/errors.js';
import { isUnavailable, translateUnavailable } from '../../src/store/kysely/driver-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('lost connections, refused connections, shutdowns and timeouts are unavailable', () => {
  for (const err of [
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57014', 'canceling statement due to statement timeout'),
    withCode('08006'),
    withCode('53300', 'sorry, too many clients already'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Query read timeout'),
  ]) {
    assert.equal(isUnavailable(err), true, err.message);
  }
});

test('SQL and data errors are not unavailable', () => {
  for (const err of [withCode('23505', 'duplicate key'), withCode('42P01', 'relation does not exist'), withCode('22P02'), new Error('boom'), undefined, null, 'text']) {
    assert.equal(isUnavailable(err), false, String(err));
  }
});

test('translateUnavailable turns the first kind into the catalog error and lets the rest through', async () => {
  await assert.rejects(
    translateUnavailable(() => Promise.reject(withCode('ECONNREFUSED'))),
    (err: unknown) => err instanceof GatehouseError && err.code === 'unavailable' && err.status === 503,
  );
  const other = withCode('23505');
  await assert.rejects(translateUnavailable(() => Promise.reject(other)), (err: unknown) => err === other);
  assert.equal(await translateUnavailable(async () => 42), 42);
});
