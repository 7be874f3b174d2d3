// TOTP against the RFC 4226 test vectors and an independent authenticator (the otpauth
// package): drift of one step either way, nothing further, and the matched step reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { base32Decode, base32Encode, hotp, matchTotp, newTotpSecret, otpauthUrl, stepAt } from '../../src/credentials/totp.js';

test('HOTP gives the RFC 4226 appendix D values', () => {
  const secret = Buffer.from('12345678901234567890');
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  assert.deepEqual(expected.map((_, counter) => hotp(secret, counter)), expected);
});

test('base32 round-trips and matches the otpauth package', () => {
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal(base32Encode(base32Decode(secret)), secret);
  assert.deepEqual(base32Decode(secret), Buffer.from(OTPAuth.Secret.fromBase32(secret).bytes));
});

test('a code is accepted in its own step and one step either side, and the step is reported', () => {
  const secret = newTotpSecret();
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const now = Date.UTC(2026, 5, 1, 12, 0, 10);
  const code = totp.generate({ timestamp: now });
  assert.equal(matchTotp(secret, code, now), stepAt(now));
  assert.equal(matchTotp(secret, code, now + 30_000), stepAt(now), 'the server clock is one step ahead');
  assert.equal(matchTotp(secret, code, now - 30_000), stepAt(now), 'one step behind');
  assert.equal(matchTotp(secret, code, now + 60_000), undefined, 'two steps is too far');
  assert.equal(matchTotp(secret, code, now - 60_000), undefined);
  assert.equal(matchTotp(secret, String((Number(code) + 1) % 1_000_000).padStart(6, '0'), now), undefined);
  for (const bad of ['', '12345', '1234567', 'abcdef', ' 12345']) assert.equal(matchTotp(secret, bad, now), undefined, bad);
});

test('the provisioning URI is what authenticator apps parse', () => {
  const secret = newTotpSecret();
  const parsed = OTPAuth.URI.parse(otpauthUrl(secret, 'alice@shop', 'Gatehouse')) as OTPAuth.TOTP;
  assert.equal(parsed.issuer, 'Gatehouse');
  assert.equal(parsed.label, 'alice@shop');
  assert.equal(parsed.secret.base32, secret);
  assert.deepEqual([parsed.digits, parsed.period, parsed.algorithm], [6, 30, 'SHA1']);
});
