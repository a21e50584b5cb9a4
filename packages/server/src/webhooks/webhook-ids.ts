import { randomBytes } from 'node:crypto';
import { WEBHOOK_SECRET_PREFIX } from '@crypto-checkout/webhooks';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random id with a prefix: `we_…` (endpoint), `msg_…` (event, also the `webhook-id` header),
 * `wha_…` (attempt). Base62 from a CSPRNG, unbiased (rejection sampling), never a `.` (the
 * signed content is dot-separated).
 * @example newWebhookId('msg') // 'msg_3kT9…'
 */
export function newWebhookId(prefix: 'we' | 'msg' | 'wha', length = 24): string {
  let out = `${prefix}_`;
  while (out.length < prefix.length + 1 + length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < prefix.length + 1 + length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (the spec asks for 24–64). */
export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** What the API shows of a secret: enough to tell two apart, far too little to sign. */
export function secretPrefix(secret: string): string {
  return `${secret.slice(0, WEBHOOK_SECRET_PREFIX.length + 4)}…`;
}
