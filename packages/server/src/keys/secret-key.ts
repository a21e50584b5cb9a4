import type { KeyScope } from './key-scopes.js';
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../store/api-key-store.js';

/** Test keys see and create test sessions only; live keys live ones. */
export type KeyMode = 'test' | 'live';

/**
 * What every secret key starts with; the mode follows (`sk_test_…`, `sk_live_…`). The one place the
 * format is spelled: the patterns, the mode, listings and new keys are all derived from it.
 */
export const SECRET_KEY_PREFIX = 'sk_';

/** The prefix of a mode's keys: `sk_test_` or `sk_live_`. */
export function secretKeyPrefix(mode: KeyMode): string {
  return `${SECRET_KEY_PREFIX}${mode}_`;
}

/** A secret API key: `sk_test_…` or `sk_live_…` and at least 24 letters or digits. */
export const SECRET_KEY_PATTERN = new RegExp(`^${SECRET_KEY_PREFIX}(test|live)_[A-Za-z0-9]{24,}$`);

/**
 * Whether a bearer token claims to be a secret key (rather than a client secret); it may still be
 * wrong or malformed.
 */
export function looksLikeSecretKey(token: string): boolean {
  return token.startsWith(SECRET_KEY_PREFIX);
}

/** A non-secret id for a secret key: a short hash, safe to log. */
export function keyIdOf(secretKey: string): string {
  return `key_${hashSecretKey(secretKey).slice(0, 16)}`;
}

/**
 * A secret key given in the configuration by its SHA-256 instead of in clear, so that the
 * configuration (environment, files, process listings) holds nothing that can call the API.
 */
export const HASHED_KEY_PATTERN = /^sha256:(test|live):([0-9a-fA-F]{64})$/;

/** Characters of a key shown after `sk_<mode>_` in listings: enough to tell keys apart, too few to matter. */
const VISIBLE_CHARS = 4;

/**
 * SHA-256 of a secret key, hex. A fast hash is enough here, unlike for passwords: a key has 192
 * random bits, so there is nothing to brute-force, and a slow hash would cost every request.
 */
export function hashSecretKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The mode a key's prefix names, or `null` when it is not a secret key. */
export function modeOfSecretKey(key: string): KeyMode | null {
  const modes: KeyMode[] = ['live', 'test'];
  return modes.find((mode) => key.startsWith(secretKeyPrefix(mode))) ?? null;
}

/** What listings show of a key: `sk_live_3f9a…`. */
export function displayPrefix(key: string): string {
  const mode = modeOfSecretKey(key);
  return mode ? `${key.slice(0, secretKeyPrefix(mode).length + VISIBLE_CHARS)}…` : '…';
}

/**
 * A new random secret key of `mode`: 48 hex digits (192 bits) from the CSPRNG.
 * @example generateSecretKey('live') // 'sk_live_3f9a…'
 */
export function generateSecretKey(mode: KeyMode): string {
  return `${secretKeyPrefix(mode)}${randomBytes(24).toString('hex')}`;
}

/** A key of the configuration, as the authenticator keeps it: no plaintext. */
export interface ConfiguredKey {
  /** `key_` and the first 16 hex digits of the key's hash: the same id whichever way it is configured. */
  id: string;
  mode: KeyMode;
  /** SHA-256 of the key. */
  hash: Buffer;
}

/**
 * Reads one `secret_keys` entry: a key in clear (`sk_live_…`) or its hash (`sha256:live:<64 hex>`).
 * @example parseConfiguredKey(`sha256:live:${hashSecretKey(key)}`).mode // 'live'
 */
export function parseConfiguredKey(entry: string): ConfiguredKey {
  const hashed = HASHED_KEY_PATTERN.exec(entry);
  if (hashed) {
    const hex = hashed[2]!.toLowerCase();
    return { id: `key_${hex.slice(0, 16)}`, mode: hashed[1] as KeyMode, hash: Buffer.from(hex, 'hex') };
  }
  const mode = modeOfSecretKey(entry);
  if (!mode || !SECRET_KEY_PATTERN.test(entry)) {
    throw new Error('a secret key must look like sk_test_<24+ letters/digits> or sha256:<test|live>:<hex>');
  }
  return { id: keyIdOf(entry), mode, hash: Buffer.from(hashSecretKey(entry), 'hex') };
}

/**
 * Makes a new secret key and stores its hash. The key itself is in the answer and nowhere else:
 * show it once and forget it.
 * @example const { key, record } = await createApiKey(store, { mode: 'live', description: 'shop' });
 */
export async function createApiKey(
  store: ApiKeyStore,
  input: { mode: KeyMode; description?: string; scopes?: readonly KeyScope[] | null },
  now = new Date(),
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = generateSecretKey(input.mode);
  const record: ApiKeyRecord = {
    id: `key_${randomBytes(12).toString('hex')}`,
    mode: input.mode,
    secret_hash: hashSecretKey(key),
    prefix: displayPrefix(key),
    description: input.description ?? '',
    created_at: now,
    last_used_at: null,
    revoked_at: null,
    scopes: input.scopes ? [...input.scopes] : null,
  };
  await store.insert(record);
  return { key, record };
}
