import { createHash, timingSafeEqual } from 'node:crypto';
import { sessionIdFromClientSecret } from '../protocol/index.js';
import { ApiError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares two secrets in constant time. Both sides are hashed first so that neither the length
 * nor the first differing byte leaks through timing.
 */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Who is calling: the merchant (secret key) or the buyer of one session (client secret). */
export type Caller = { kind: 'merchant' } | { kind: 'buyer'; sessionId: string; clientSecret: string };

/** Reads the bearer token of an `Authorization` header, or `null`. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/**
 * Identifies the caller from a token. Secret keys are checked against every configured key without
 * stopping at the first match, so timing does not tell which key (or how many) exist. A client
 * secret is only parsed here; the route compares it with the stored one.
 */
export function identifyCaller(token: string | null, secretKeys: readonly string[]): Caller {
  if (!token)
    throw new ApiError(401, 'unauthorized', 'send "Authorization: Bearer <secret key or client secret>"');
  if (token.startsWith('sk_')) {
    let ok = false;
    for (const key of secretKeys) ok = secretsEqual(token, key) || ok;
    if (!ok) throw new ApiError(401, 'unauthorized', 'invalid secret key');
    return { kind: 'merchant' };
  }
  const sessionId = sessionIdFromClientSecret(token);
  if (!sessionId) throw new ApiError(401, 'unauthorized', 'invalid secret key or client secret');
  return { kind: 'buyer', sessionId, clientSecret: token };
}

/** Replaces the value of `client_secret` in a URL's query so that it never reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]client_secret=)[^&#]*/gi, '$1[REDACTED]');
}
