// Secrets at rest: sealed with AES-256-GCM under a keyring; tampering, a wrong context and
// an unknown key are refused; a key file is made once with mode 0600; rotation keeps every
// sealed value readable.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentKeys, fileKeys, newSecretKeyText, SecretBox, SecretKeyError } from '../../src/credentials/secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-box-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a sealed value opens with its context and nothing else; tampering is detected', () => {
  const box = new SecretBox(environmentKeys(newSecretKeyText()));
  const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:main:u1');
  assert.match(sealed, /^v1\.[0-9a-f]{8}\./);
  assert.doesNotMatch(sealed, /JBSWY3DPEHPK3PXP/);
  assert.equal(box.open(sealed, 'totp:main:u1'), 'JBSWY3DPEHPK3PXP');
  assert.notEqual(box.seal('JBSWY3DPEHPK3PXP', 'totp:main:u1'), sealed, 'a fresh IV every time');
  assert.throws(() => box.open(sealed, 'totp:main:u2'), 'bound to where it is stored');
  const parts = sealed.split('.');
  const body = Buffer.from(parts[3]!, 'base64url');
  body[0]! ^= 1;
  assert.throws(() => box.open([...parts.slice(0, 3), body.toString('base64url')].join('.'), 'totp:main:u1'));
  assert.throws(() => box.open('plain text', 'totp:main:u1'), SecretKeyError);
  assert.throws(() => new SecretBox(environmentKeys(newSecretKeyText())).open(sealed, 'totp:main:u1'), /no longer holds/);
});

test('several keys: the first seals, every one opens', () => {
  const [older, newer] = [newSecretKeyText(), newSecretKeyText()];
  const sealedOld = new SecretBox(environmentKeys(older)).seal('s', 'c');
  const both = new SecretBox(environmentKeys(`${newer},${older}`));
  assert.equal(both.open(sealedOld, 'c'), 's');
  assert.equal(both.isCurrent(sealedOld), false);
  assert.equal(both.isCurrent(both.seal('s', 'c')), true);
  assert.throws(() => environmentKeys('too-short'), SecretKeyError);
});

test('a key file is made on first use with mode 0600 and read back by the next process', () => {
  const file = join(dir, 'made', 'secret.key');
  const first = new SecretBox(fileKeys(file));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const sealed = first.seal('kept', 'c');
  assert.equal(new SecretBox(fileKeys(file)).open(sealed, 'c'), 'kept');
  writeFileSync(join(dir, 'bad.key'), 'not a key\n');
  assert.throws(() => new SecretBox(fileKeys(join(dir, 'bad.key'))), SecretKeyError);
});

test('rotating a key file: a new first key, values re-sealed, the old key dropped', () => {
  const file = join(dir, 'rotate.key');
  const box = new SecretBox(fileKeys(file));
  const before = box.seal('secret', 'c');
  const oldId = box.currentKeyId;
  const other = new SecretBox(fileKeys(file)); // a running service with the old key loaded
  const newId = box.addKey();
  assert.notEqual(newId, oldId);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 2);
  const resealed = box.seal(box.open(before, 'c'), 'c');
  assert.deepEqual(box.dropOldKeys(), [oldId]);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
  assert.equal(other.open(resealed, 'c'), 'secret', 'a process with the old key reloads the file for a key it does not know');
  assert.equal(other.isCurrent(other.seal('x', 'c')), true);
  assert.equal(other.currentKeyId, newId, 'sealing re-reads the file, so it uses the new key');
  assert.throws(() => box.open(before, 'c'), /no longer holds/);
  assert.throws(() => new SecretBox(environmentKeys(newSecretKeyText())).addKey(), /GATEHOUSE_SECRET_KEY/);
});
