/**
 * What an API key may do. A key without scopes (every key of the configuration, and every key made
 * before scopes existed) has every right except one no key ever has: approving a payout it asked for
 * itself — that always takes a second key (four eyes). A key made with scopes has only those:
 * `read` (GET routes), `write` (every other merchant route), `approve` (approve or cancel payouts
 * waiting for review, and read them).
 * @module
 */
import { ForbiddenError } from '../errors.js';
import type { MerchantCaller } from '../auth.js';

/** The scopes a key can be given. */
export const KEY_SCOPES = ['read', 'write', 'approve'] as const;

/** One scope; see {@link KEY_SCOPES}. */
export type KeyScope = (typeof KEY_SCOPES)[number];

/**
 * Parses `read,approve` (the CLI's `--scopes`) into scopes; throws with the list of valid ones.
 * @example parseScopes('read,approve') // ['read', 'approve']
 */
export function parseScopes(text: string): KeyScope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!scopes.length) throw new Error(`give at least one scope: ${KEY_SCOPES.join(', ')}`);
  for (const scope of scopes) {
    if (!(KEY_SCOPES as readonly string[]).includes(scope)) {
      throw new Error(`unknown scope ${JSON.stringify(scope)}; use: ${KEY_SCOPES.join(', ')}`);
    }
  }
  return [...new Set(scopes)] as KeyScope[];
}

/** Whether the caller's key has `scope` (a key without scopes has them all). */
export function hasScope(caller: MerchantCaller, scope: KeyScope): boolean {
  return !caller.scopes || caller.scopes.includes(scope);
}

/**
 * Throws `403 forbidden` unless the caller's key has `scope`.
 * @example requireScope(merchantOf(request), 'approve');
 */
export function requireScope(caller: MerchantCaller, scope: KeyScope): void {
  if (!hasScope(caller, scope)) {
    throw new ForbiddenError(
      `this key (${caller.keyId}) has the scopes ${caller.scopes!.join(', ')}; this needs the ${scope} scope`,
    );
  }
}
