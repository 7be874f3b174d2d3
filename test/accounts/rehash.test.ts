// Changing PASSWORD_HASH takes effect for existing users at their next login: the stored
// hash is replaced with one made with the new parameters, and the password still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { anonymous, type RequestContext } from '../../src/core/context.js';
import { FakeClock } from '../../src/core/clock.js';

test('a login re-hashes a password stored with other parameters', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-rehash-'));
  const clock = new FakeClock(Date.now());
  const ctx: RequestContext = { database: 'main', caller: anonymous, correlationId: 't', address: '127.0.0.1', client: 'test', nodeId: 'n', clock };
  const coreWith = (hash: string) => createCore(loadConfig({ GATEHOUSE_DATA_DIR: dataDir, PASSWORD_HASH: hash }), { clock });
  try {
    const before = await coreWith('argon2id:m=1024,t=1,p=1');
    const user = await before.accounts.register(ctx, { username: 'rehash', email: 'rehash@example.com', password: 'first password' });
    assert.match(user.passwordHash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await before.close();

    const after = await coreWith('argon2id:m=2048,t=2,p=1');
    await after.accounts.login(ctx, { login: 'rehash', byEmail: false, password: 'first password' });
    const stored = await after.store.users.findById('main', user.id);
    assert.match(stored!.passwordHash, /^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);
    // The new hash verifies the same password, and only it.
    assert.equal((await after.passwords.verify(stored!.passwordHash, 'first password')).ok, true);
    assert.equal((await after.passwords.verify(stored!.passwordHash, 'other password')).ok, false);
    await after.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
