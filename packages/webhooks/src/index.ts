/**
 * `@crypto-checkout/webhooks`: verify (and, for tests, sign) the webhooks the crypto-checkout backend
 * sends. They follow the Standard Webhooks spec, so any of its libraries verifies them too. WebCrypto
 * only, no dependencies: Node ≥ 20, Deno, Bun and edge runtimes.
 *
 * @example
 * import { verifyWebhook, WebhookVerificationError } from '@crypto-checkout/webhooks';
 * const event = await verifyWebhook(rawBody, request.headers, process.env.CHECKOUT_WEBHOOK_SECRET!);
 * @module
 */
export { signWebhook, WEBHOOK_SECRET_PREFIX, type WebhookHeaders } from './sign-webhook.js';
export {
  verifyWebhook,
  type VerifyWebhookOptions,
  type WebhookEnvelope,
  type WebhookRequestHeaders,
} from './verify-webhook.js';
export { WebhookVerificationError, type WebhookVerificationReason } from './webhook-verification-error.js';
