import { createHash, timingSafeEqual } from 'node:crypto';
import { sessionIdFromClientSecret } from '@crypto-checkout/protocol';
import { UnauthorizedError } from './errors.js';
import type { KeyScope } from './keys/key-scopes.js';
import { keyIdOf, looksLikeSecretKey, modeOfSecretKey } from './keys/secret-key.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares two secrets in constant time. Both sides are hashed first so that neither the length
 * nor the first differing byte leaks through timing.
 */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The merchant, identified by a secret key: test or live mode, and which key (for logs and idempotency). */
export interface MerchantCaller {
  kind: 'merchant';
  mode: 'test' | 'live';
  /** A stable, non-secret id of the key used. */
  keyId: string;
  /**
   * What the key may do (`read`, `write`, `approve`), or `null` for every right: keys of the
   * configuration and keys made before scopes existed. See `keys/key-scopes.ts`.
   */
  scopes?: readonly KeyScope[] | null;
}

/** Who is calling: the merchant (secret key) or the buyer of one session (client secret). */
export type Caller = MerchantCaller | { kind: 'buyer'; sessionId: string; clientSecret: string };

/**
 * Identifies callers from their bearer token. The app's is `keyAuthenticator`
 * (`keys/key-authenticator.ts`), the one place that knows where secret keys live.
 */
export interface Authenticator {
  /**
   * The caller behind `token`: a valid secret key, or a client secret that is its session's. Throws
   * an `UnauthorizedError` (401) when the token is missing or wrong.
   */
  identify(token: string | null): Promise<Caller>;
}

/** Reads the bearer token of an `Authorization` header, or `null`. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/**
 * Identifies the caller from a token. Secret keys are checked against every configured key without
 * stopping at the first match, so timing does not tell which key (or how many) exist. A client
 * secret is only parsed here; the authenticator compares it with the stored one.
 */
export function identifyCaller(token: string | null, secretKeys: readonly string[]): Caller {
  if (!token) throw new UnauthorizedError('send "Authorization: Bearer <secret key or client secret>"');
  if (looksLikeSecretKey(token)) {
    let ok = false;
    for (const key of secretKeys) ok = secretsEqual(token, key) || ok;
    if (!ok) throw new UnauthorizedError('invalid secret key');
    return { kind: 'merchant', mode: modeOfSecretKey(token) ?? 'test', keyId: keyIdOf(token) };
  }
  const sessionId = sessionIdFromClientSecret(token);
  if (!sessionId) throw new UnauthorizedError('invalid secret key or client secret');
  return { kind: 'buyer', sessionId, clientSecret: token };
}

/** Replaces the value of `client_secret` in a URL's query so that it never reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]client_secret=)[^&#]*/gi, '$1[REDACTED]');
}
