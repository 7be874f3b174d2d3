import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSecret } from '../../src/core/ids.js';

test('secrets are 256 random bits in base64url, never repeated across refills of their pool', () => {
  // 1,000 secrets cross several refills of the 128-secret pool: an offset that failed to
  // advance, or a refill that did not happen, would repeat one.
  const secrets = Array.from({ length: 1000 }, () => newSecret());
  assert.equal(new Set(secrets).size, secrets.length);
  for (const secret of secrets) {
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
  }
  // Over 1,000 × 256 bits every bit position is set about half the time; a slice read
  // after it was zeroed, or never filled, would show as a position stuck at 0.
  const ones = new Array<number>(256).fill(0);
  for (const secret of secrets) {
    const bytes = Buffer.from(secret, 'base64url');
    for (let bit = 0; bit < 256; bit++) ones[bit]! += (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  assert.ok(ones.every((count) => count > 350 && count < 650), 'every bit varies');
});

test('a secret carries its readable prefix', () => {
  const key = newSecret('ghk_');
  assert.match(key, /^ghk_[A-Za-z0-9_-]{43}$/);
});
