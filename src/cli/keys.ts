// `gatehouse keys rotate` (a new token-signing key; old public keys stay published until
// their tokens expire) and `gatehouse secret-key rotate` (a new key for secrets at rest:
// every sealed secret is re-sealed with it, then the old key is dropped).
import { createCore } from '../app.js';
import type { Config } from '../config.js';
import { cliContext } from './context.js';

export async function keysCommand(config: Config, action: string | undefined, json: boolean): Promise<number> {
  if (action !== 'rotate') {
    console.error('Usage: gatehouse keys rotate [--json]');
    return 2;
  }
  const core = await createCore(config);
  try {
    const rotated = await core.signingKeys.rotate();
    await core.audit.record(cliContext(config), 'signing_key.rotated', { details: { kid: rotated.kid, retired: rotated.retired } });
    if (json) console.log(JSON.stringify(rotated));
    else {
      console.log(`New signing key ${rotated.kid}; tokens are signed with it from now on (other nodes within a minute).`);
      if (rotated.retired.length) console.log(`Retired: ${rotated.retired.join(', ')} (still published until their tokens expire).`);
    }
    return 0;
  } finally {
    await core.close();
  }
}

export async function secretKeyCommand(config: Config, action: string | undefined, json: boolean): Promise<number> {
  if (action !== 'rotate') {
    console.error('Usage: gatehouse secret-key rotate [--json]');
    return 2;
  }
  const core = await createCore(config);
  try {
    const { secrets } = core;
    // With a key file a new key is made here; with GATEHOUSE_SECRET_KEY the operator has put
    // the new key first already, and this re-seals everything with it.
    const fromFile = config.secretKey === undefined;
    if (fromFile) secrets.addKey();
    const resealed = (await core.signingKeys.reseal()) + (await core.accounts.secondFactor.reseal());
    const dropped = fromFile ? secrets.dropOldKeys() : [];
    await core.audit.record(cliContext(config), 'secret_key.rotated', { details: { key_id: secrets.currentKeyId, resealed } });
    if (json) console.log(JSON.stringify({ key_id: secrets.currentKeyId, resealed, dropped }));
    else {
      console.log(`Secrets are sealed with key ${secrets.currentKeyId}; ${resealed} re-sealed.`);
      if (!fromFile) console.log('Every secret now opens with the first key of GATEHOUSE_SECRET_KEY: the others can be removed from it.');
    }
    return 0;
  } finally {
    await core.close();
  }
}
