// The keys that sign access tokens: Ed25519, kept in the store so that every node of a
// cluster signs and verifies with the same set, the private halves sealed with the secret
// key. The newest current key signs; a key retired by a rotation stays published (and
// trusted) until every token it may have signed has expired.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../core/clock.js';
import type { SigningKeyRecord, SigningKeyRepository } from '../store/ports.js';
import { SecretKeyError, type SecretBox } from './secret-box.js';

export const signingAlgorithm = 'EdDSA';

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: KeyObject;
}

export interface SigningKeyRules {
  /** The longest a token may live (TOKEN_TTL_MAX): how long a retired key stays trusted. */
  maxTokenTtlMs: number;
  /** How often a node re-reads the keys, to pick up a rotation made elsewhere. */
  refreshMs: number;
}

const sealContext = (kid: string) => `signing_key:${kid}`;

/** The keys are re-read for an unknown kid at most this often (tokens with made-up kids). */
const unknownKidRereadMs = 1000;

export class SigningKeys {
  private loaded = new Map<string, LoadedKey>();
  private signer: { kid: string; privateKey: KeyObject } | undefined;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;
  private unknownKidReread: Promise<void> | undefined;

  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly rules: SigningKeyRules,
  ) {}

  /** Loads the keys and makes the first one if the store has none (first start). */
  async ensure(): Promise<void> {
    await this.load();
    if (this.signer === undefined) {
      await this.repository.insert(await this.generate());
      await this.load();
    }
  }

  /**
   * A retired key is trusted while a token it signed may still be live: up to the longest
   * token lifetime after its retirement, plus one refresh period in which a node that had
   * not yet heard of the rotation may still have signed with it.
   */
  private trusted(record: SigningKeyRecord, now: number): boolean {
    return record.retiredAt === null || record.retiredAt + this.rules.maxTokenTtlMs + this.rules.refreshMs > now;
  }

  private async load(): Promise<void> {
    // Concurrent callers share one read.
    this.loading ??= (async () => {
      try {
        const records = await this.repository.list();
        const now = this.clock.now();
        const loaded = new Map<string, LoadedKey>();
        for (const record of records) {
          if (this.trusted(record, now)) loaded.set(record.kid, { record, publicKey: createPublicKey({ key: record.publicJwk as JWK & { kty: string }, format: 'jwk' }) });
        }
        const current = records.find((r) => r.retiredAt === null);
        let signer: SigningKeys['signer'];
        if (current !== undefined) {
          let pem: string;
          try {
            pem = this.box.open(current.sealedPrivateKey, sealContext(current.kid));
          } catch (err) {
            throw new SecretKeyError(
              `cannot open the private signing key ${current.kid} (${(err as Error).message}); every node of a cluster needs the same secret key: set GATEHOUSE_SECRET_KEY`,
            );
          }
          signer = { kid: current.kid, privateKey: createPrivateKey(pem) };
        }
        this.loaded = loaded;
        this.signer = signer;
        this.loadedAt = now;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async generate(): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(publicJwk);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return {
      kid,
      algorithm: signingAlgorithm,
      publicJwk: { ...publicJwk, kid, alg: signingAlgorithm, use: 'sig' },
      sealedPrivateKey: this.box.seal(pem, sealContext(kid)),
      createdAt: this.clock.now(),
      retiredAt: null,
    };
  }

  private async refreshIfDue(): Promise<void> {
    if (this.clock.now() - this.loadedAt >= this.rules.refreshMs) await this.load();
  }

  /** The key to sign with now. */
  async current(): Promise<{ kid: string; privateKey: KeyObject }> {
    await this.refreshIfDue();
    if (this.signer === undefined) await this.ensure();
    return this.signer!;
  }

  /**
   * The public key of `kid` if it is trusted. An unknown kid may come from a rotation on
   * another node, so it is looked up again in a fresh read of the keys, at most one read a
   * second. A kid seen less than a second after the last read waits for the next one
   * instead of being refused: its token may have been signed just after that read, and
   * refusing it would reject a valid token.
   */
  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    await this.refreshIfDue();
    let key = this.loaded.get(kid);
    if (key === undefined) {
      await this.rereadForUnknownKid();
      key = this.loaded.get(kid);
    }
    if (key === undefined || !this.trusted(key.record, this.clock.now())) return undefined;
    return key.publicKey;
  }

  /** One read shared by every unknown kid that arrives before it starts. */
  private rereadForUnknownKid(): Promise<void> {
    this.unknownKidReread ??= (async () => {
      const wait = Math.min(unknownKidRereadMs, this.loadedAt + unknownKidRereadMs - this.clock.now());
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Unknown kids seen from here on wait for the next read: this one may have started
      // before their keys were written. A read already under way may have too, so it is
      // not joined but waited out.
      this.unknownKidReread = undefined;
      await this.loading?.catch(() => undefined);
      await this.load();
    })();
    return this.unknownKidReread;
  }

  /** The JSON Web Key Set: every trusted public key. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    await this.refreshIfDue();
    const now = this.clock.now();
    return { keys: [...this.loaded.values()].filter((k) => this.trusted(k.record, now)).map((k) => k.record.publicJwk) };
  }

  /** Adds a new signing key and retires the others; keys whose tokens have all expired are removed. */
  async rotate(): Promise<{ kid: string; retired: string[]; removed: number }> {
    const fresh = await this.generate();
    await this.repository.insert(fresh);
    const retired = await this.repository.retireAllExcept(fresh.kid, fresh.createdAt);
    const removed = await this.repository.deleteRetiredBefore(fresh.createdAt - this.rules.maxTokenTtlMs - this.rules.refreshMs);
    await this.load();
    return { kid: fresh.kid, retired, removed };
  }

  /** Re-seals every private key with the current secret key (after a secret-key rotation). */
  async reseal(): Promise<number> {
    let count = 0;
    for (const record of await this.repository.list()) {
      if (this.box.isCurrent(record.sealedPrivateKey)) continue;
      const pem = this.box.open(record.sealedPrivateKey, sealContext(record.kid));
      await this.repository.replaceSealedPrivateKey(record.kid, this.box.seal(pem, sealContext(record.kid)));
      count++;
    }
    return count;
  }
}
