import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCatalog, GatehouseError, toCatalogError } from '../../src/core/errors.js';

test('every catalog code of SPEC §2 is present with its status', () => {
  const expected: Record<string, number> = {
    validation_failed: 400, unauthenticated: 401, invalid_credentials: 401, mfa_required: 401, forbidden: 403,
    account_suspended: 403, account_banned: 403, not_found: 404, username_taken: 409, email_taken: 409,
    session_limit: 409, conflict: 409, payload_too_large: 413, unsupported_media_type: 415, rate_limited: 429,
    unavailable: 503, internal: 500,
  };
  assert.deepEqual(Object.fromEntries(Object.entries(errorCatalog).map(([code, e]) => [code, e.status])), expected);
});

test('unknown errors become internal without exposing their message', () => {
  const error = toCatalogError(new Error('password=hunter2 at db.ts:42'));
  assert.equal(error.code, 'internal');
  assert.equal(error.status, 500);
  assert.doesNotMatch(error.message, /hunter2/);
  assert.ok(toCatalogError(new GatehouseError('not_found')) instanceof GatehouseError);
});
