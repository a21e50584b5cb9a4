import { createHash, timingSafeEqual } from 'node:crypto';
import { identifyCaller, secretsEqual, type Authenticator, type Caller } from '../auth.js';
import { UnauthorizedError } from '../errors.js';
import type { ApiKeyStore } from '../store/api-key-store.js';
import { looksLikeSecretKey, modeOfSecretKey, parseConfiguredKey, SECRET_KEY_PATTERN } from './secret-key.js';

/** `last_used_at` is written at most this often per key, so that a busy key does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * The authenticator of the app: secret keys from the configuration (in clear or as
 * `sha256:<mode>:<hex>`) and from the `api_keys` table (`crypto-checkout-server keys create`), any number of
 * each at once, so a key can be rotated without downtime. A client secret is valid when it is the
 * one stored for the session it names (compared in constant time): a wrong or made-up one answers 401
 * here, so that the route hooks only ever see valid credentials and answer 403 when they do not reach.
 *
 * Nothing is cached: a key revoked in the database — from any instance or the CLI — answers 401 on
 * the very next request. Only the key's SHA-256 is ever compared or looked up, in constant time for
 * the configured keys (all of them, without stopping at a match); the table lookup goes by the hash
 * through an index, which can only reveal bits of a hash, never of a key.
 * @example const auth = keyAuthenticator({ configured: config.secret_keys, store: new ApiKeyStore(db) });
 */
export function keyAuthenticator(options: {
  /** The configuration's `secret_keys`: keys in clear or `sha256:<mode>:<hex>`. */
  configured: readonly string[];
  /** The keys made with the CLI. */
  store: ApiKeyStore;
  /** Defaults to the real clock. */
  clock?: (() => Date) | undefined;
  /** The client secret stored for a session, `null` for no such session. */
  clientSecretOf: (sessionId: string) => Promise<string | null>;
}): Authenticator {
  const { store } = options;
  const clock = options.clock ?? (() => new Date());
  const keys = options.configured.map(parseConfiguredKey);
  const touched = new Map<string, number>();

  return {
    async identify(token: string | null): Promise<Caller> {
      if (!token || !looksLikeSecretKey(token)) {
        const caller = identifyCaller(token, []);
        if (caller.kind === 'buyer') {
          const stored = await options.clientSecretOf(caller.sessionId);
          if (stored === null || !secretsEqual(caller.clientSecret, stored)) {
            throw new UnauthorizedError('invalid client secret');
          }
        }
        return caller;
      }
      const hash = createHash('sha256').update(token, 'utf8').digest();
      let match: (typeof keys)[number] | undefined;
      for (const key of keys) {
        if (timingSafeEqual(hash, key.hash) && !match) match = key;
      }
      if (match) return { kind: 'merchant', mode: match.mode, keyId: match.id };

      const mode = modeOfSecretKey(token);
      if (!mode || !SECRET_KEY_PATTERN.test(token)) throw new UnauthorizedError('invalid secret key');
      const record = await store.findByHash(hash.toString('hex'));
      if (!record || record.mode !== mode || !timingSafeEqual(Buffer.from(record.secret_hash, 'hex'), hash)) {
        throw new UnauthorizedError('invalid secret key');
      }
      if (record.revoked_at) {
        // The caller holds the key already: saying it was revoked tells them nothing new and saves a search.
        throw new UnauthorizedError(
          `this secret key (${record.prefix}) was revoked at ${record.revoked_at.toISOString()}; use an active key`,
        );
      }
      const now = clock();
      const last = touched.get(record.id) ?? record.last_used_at?.getTime() ?? -Infinity;
      if (now.getTime() - last >= TOUCH_EVERY_MS) {
        touched.set(record.id, now.getTime());
        await store.touch(record.id, now);
      }
      return { kind: 'merchant', mode: record.mode, keyId: record.id, scopes: record.scopes };
    },
  };
}
