/**
 * Secrets at rest: the values the server must read back — webhook signing secrets (to sign) and
 * client secrets (the merchant's view answers them again) — are stored encrypted, AES-256-GCM with
 * a key from the environment (`encryption_key`, `CC_ENCRYPTION_KEY`), so that a copy of the
 * database alone (a backup, a dump, a stolen disk image of the PGlite folder) reveals none of them.
 * Secret API keys need only comparing and are stored as SHA-256 hashes (`keys/secret-key.ts`).
 *
 * A stored value reads `enc:v1:<key id>:<base64url(iv ‖ ciphertext ‖ tag)>`; the key id (the first
 * 8 bytes of the key's SHA-256) says which key sealed it, so that after a rotation the old key
 * (`previous_encryption_keys`) still opens older rows until start-up has re-sealed them. Each value
 * is bound to its row and column (GCM's additional data), so a sealed secret copied into another
 * row does not open there.
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key is missing, malformed or not the one the database's secrets were sealed with. */
export class EncryptionKeyError extends Error {
  override name = 'EncryptionKeyError';
}

/**
 * A 256-bit key from its text: 64 hex digits, or base64/base64url of 32 bytes; `null` when it is
 * neither. Make one with `openssl rand -base64 32`.
 */
export function parseEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : null;
}

/** The id stored beside a ciphertext: the first 8 bytes of the key's SHA-256, in hex. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Whether a stored value is sealed (else it is a plaintext row from before encryption). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** Seals and opens secrets with the current key; opens with older ones too. */
export class SecretBox {
  /** Id of the key new values are sealed with. */
  readonly currentKeyId: string;
  private readonly keys: Map<string, Buffer>;

  /** `keys[0]` seals; every key opens what it sealed. */
  constructor(keys: Buffer[]) {
    if (!keys.length) throw new EncryptionKeyError('no encryption key');
    this.keys = new Map(keys.map((key) => [keyId(key), key]));
    this.currentKeyId = keyId(keys[0]!);
  }

  /** Whether a key with this id is configured. */
  knows(id: string): boolean {
    return this.keys.has(id);
  }

  /**
   * Encrypts `plaintext` for the row and column `context` names (`sessions.client_secret:cs_…`).
   * @example box.seal(secret, `webhook_endpoints.secret:${id}`) // 'enc:v1:3f…:…'
   */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return `${PREFIX}${this.currentKeyId}:${sealed}`;
  }

  /**
   * The plaintext of a stored value. A value stored before encryption (no `enc:` prefix) is
   * returned as it is: start-up seals such rows, and until then they stay readable. Throws an
   * {@link EncryptionKeyError} when the key is unknown or the value does not open (altered, or
   * moved from another row): never garbage.
   */
  open(stored: string, context: string): string {
    if (!isSealed(stored)) return stored;
    const [id, sealed] = stored.slice(PREFIX.length).split(':');
    const key = id ? this.keys.get(id) : undefined;
    if (!key || !sealed) throw new EncryptionKeyError(`a secret is sealed with an unknown key (${id})`);
    const bytes = Buffer.from(sealed, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new EncryptionKeyError(`a secret does not open with key ${id} (${context.split(':')[0]})`);
    }
  }
}

/** A box with a fresh random key, for tests and in-memory databases (nothing outlives the process). */
export function ephemeralSecretBox(): SecretBox {
  return new SecretBox([randomBytes(32)]);
}

/** Where the key file of a configuration is, unless set: beside the PGlite folder, not in it. */
export function defaultKeyFile(dataDir: string): string {
  return join(dirname(dataDir), `${basename(dataDir)}.key`);
}

/**
 * The key file a configuration uses: `encryption_key_file` when set; otherwise, for PGlite in a
 * folder, `<data_dir>.key` beside it; `null` when there is no folder to put it beside — PostgreSQL
 * (`database_url`), or PGlite in memory — since a key file is then derived from nothing: for
 * `memory://` it was `./memory:.key` in the working directory, and beside PostgreSQL it would be beside
 * a `data_dir` that is not used.
 */
export function keyFileOf(config: {
  encryption_key_file?: string | undefined;
  data_dir: string;
  database_url?: string | undefined;
}): string | null {
  if (config.encryption_key_file) return config.encryption_key_file;
  if (config.database_url || config.data_dir.startsWith('memory://')) return null;
  return defaultKeyFile(config.data_dir);
}

/** How {@link loadSecretBox} found its key, for the start-up log. */
export type KeySource = 'configured' | 'key-file' | 'new-key-file' | 'ephemeral';

/**
 * The box of a configuration: `encryption_key` (and `previous_encryption_keys`) when set. Without
 * one — zero-setup development — the key comes from `encryption_key_file` (default for PGlite in a
 * folder: `<data_dir>.key`, beside the folder so that copying the folder does not copy the key),
 * written 0600 with a new random key on first start; with an in-memory PGlite, a random key that
 * lives as long as the database does. With PostgreSQL one of the two must be set
 * ({@link EncryptionKeyError} otherwise): no key file is derived for it (see {@link keyFileOf}).
 */
export async function loadSecretBox(config: {
  encryption_key?: string | undefined;
  previous_encryption_keys: string[];
  encryption_key_file?: string | undefined;
  data_dir: string;
  database_url?: string | undefined;
}): Promise<{
  box: SecretBox;
  source: KeySource;
  keyFile: string | null;
  /**
   * Writes a new key file (`new-key-file`; nothing otherwise). Call it once the database is known
   * to hold no secret sealed with another key, so that a failed start leaves no wrong key behind.
   */
  save(): Promise<void>;
}> {
  const nothing = async () => undefined;
  const previous = config.previous_encryption_keys.map((text) => parseEncryptionKey(text)!);
  if (config.encryption_key)
    return {
      box: new SecretBox([parseEncryptionKey(config.encryption_key)!, ...previous]),
      source: 'configured',
      keyFile: null,
      save: nothing,
    };
  const keyFile = keyFileOf(config);
  if (keyFile === null && config.database_url)
    // PostgreSQL outlives the process, and other instances share it: a key that dies with the
    // process would lock its secrets away at the next start, and a file derived from `data_dir` would
    // sit beside a folder PostgreSQL does not use (each instance making a key of its own).
    throw new EncryptionKeyError(
      'with database_url (PostgreSQL), set encryption_key (CC_ENCRYPTION_KEY, the same on every instance; ' +
        'openssl rand -base64 32) or encryption_key_file: the secrets in PostgreSQL are sealed with it',
    );
  if (keyFile === null)
    return {
      box: new SecretBox([randomBytes(32), ...previous]),
      source: 'ephemeral',
      keyFile: null,
      save: nothing,
    };
  if (existsSync(keyFile)) {
    const key = parseEncryptionKey(await readFile(keyFile, 'utf8'));
    if (!key)
      throw new EncryptionKeyError(`${keyFile} does not hold a 256-bit key (64 hex digits or base64)`);
    return { box: new SecretBox([key, ...previous]), source: 'key-file', keyFile, save: nothing };
  }
  const key = randomBytes(32);
  const save = async () => {
    await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
    // `wx`: never overwrite a key another process has just written; 0600: its user's only.
    await writeFile(keyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  };
  return { box: new SecretBox([key, ...previous]), source: 'new-key-file', keyFile, save };
}
