// Encryption of secrets at rest (TOTP secrets, private signing keys) with AES-256-GCM under
// the service's secret key: GATEHOUSE_SECRET_KEY, else a key file in the data directory
// made on first start (mode 0600). The key is a keyring: the first key encrypts, every key
// decrypts, and each sealed value names the key that sealed it, so a key can be rotated
// (add a new first key, re-seal, drop the old one) while sealed values stay readable.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const sealedFormat = /^v1\.([0-9a-f]{8})\.([\w-]{16})\.([\w-]+)$/;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

interface Key {
  id: string;
  bytes: Buffer;
}

/** A key's public name: the first 8 hex digits of its SHA-256 (it reveals nothing of the key). */
const keyIdOf = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex').slice(0, 8);

/** `base64url` text of 32 bytes, one key; anything else is refused with a reason. */
export function parseKey(text: string, source: string): Buffer {
  const bytes = Buffer.from(text.trim(), 'base64url');
  if (bytes.length !== 32 || bytes.toString('base64url') !== text.trim().replace(/=+$/, '')) {
    throw new SecretKeyError(`${source}: each key must be 32 random bytes in base64url (43 characters); make one with: openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`);
  }
  return bytes;
}

export const newSecretKeyText = (): string => randomBytes(32).toString('base64url');

export interface KeySource {
  /** The keys, current first. */
  load(): Buffer[];
  /** Writes a new key list (file source only); undefined when the keys come from the environment. */
  save?(keys: Buffer[]): void;
  describe: string;
}

/** Keys from GATEHOUSE_SECRET_KEY: one key, or several separated by commas, current first. */
export function environmentKeys(value: string): KeySource {
  const keys = value.split(',').map((part) => parseKey(part, 'GATEHOUSE_SECRET_KEY'));
  return { load: () => keys, describe: 'GATEHOUSE_SECRET_KEY' };
}

/** Keys from a file, one per line, current first; the file is made with one key if missing. */
export function fileKeys(file: string): KeySource {
  const write = (keys: Buffer[]) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, keys.map((key) => key.toString('base64url')).join('\n') + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  };
  return {
    describe: file,
    load() {
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        try {
          writeFileSync(file, newSecretKeyText() + '\n', { mode: 0o600, flag: 'wx' });
        } catch (err) {
          // Another process made it first: read what it wrote.
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      if (lines.length === 0) throw new SecretKeyError(`${file}: holds no key`);
      return lines.map((line) => parseKey(line, file));
    },
    save: write,
  };
}

export class SecretBox {
  private keys: Key[] = [];

  constructor(private readonly source: KeySource) {
    this.reload();
  }

  /** Re-reads the keys (another process may have rotated the key file). */
  reload(): void {
    this.keys = this.source.load().map((bytes) => ({ id: keyIdOf(bytes), bytes }));
  }

  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  /** `v1.<key id>.<iv>.<ciphertext and tag>`; `context` binds the value to where it is stored. */
  seal(plaintext: string, context: string): string {
    // A key file may have been rotated by the CLI meanwhile: seal with its newest key.
    // Sealing is rare (enrolments, new signing keys), so the read costs nothing that matters.
    if (this.source.save !== undefined) this.reload();
    const key = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${key.id}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** Whether a sealed value was sealed by the current key (else it should be re-sealed). */
  isCurrent(sealed: string): boolean {
    return sealedFormat.exec(sealed)?.[1] === this.currentKeyId;
  }

  open(sealed: string, context: string): string {
    const match = sealedFormat.exec(sealed);
    if (match === null) throw new SecretKeyError('a stored secret is not in the sealed format');
    let key = this.keys.find((k) => k.id === match[1]);
    if (key === undefined) {
      this.reload();
      key = this.keys.find((k) => k.id === match[1]);
    }
    if (key === undefined) throw new SecretKeyError(`a stored secret was sealed with key ${match[1]}, which ${this.source.describe} no longer holds`);
    const body = Buffer.from(match[3]!, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(match[2]!, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  }

  /**
   * Starts a rotation of a key file: a new key goes first, the old ones stay for reading.
   * With keys from the environment the operator edits the variable instead.
   */
  addKey(): string {
    if (this.source.save === undefined) {
      throw new SecretKeyError(`the secret keys come from ${this.source.describe}: put the new key first in it (comma-separated), then run the rotation again`);
    }
    const fresh = Buffer.from(newSecretKeyText(), 'base64url');
    this.source.save([fresh, ...this.keys.map((k) => k.bytes)]);
    this.reload();
    return this.currentKeyId;
  }

  /** Ends a rotation: keeps only the current key (every value must be re-sealed first). */
  dropOldKeys(): string[] {
    const dropped = this.keys.slice(1).map((k) => k.id);
    if (this.source.save !== undefined && dropped.length > 0) {
      this.source.save([this.keys[0]!.bytes]);
      this.reload();
    }
    return dropped;
  }
}
