/**
 * `crypto-checkout/webhooks`: verify the webhooks the backend sends, on your server (Node). They
 * follow the Standard Webhooks spec, so any of its libraries verifies them too.
 *
 * @example
 * import { verifyWebhook, WebhookVerificationError } from 'crypto-checkout/webhooks';
 * const event = verifyWebhook(rawBody, request.headers, process.env.CHECKOUT_WEBHOOK_SECRET!);
 * @module
 */
export type {
  SessionWebhookPayload,
  TestWebhookPayload,
  WebhookEventType,
  WebhookPayload,
  WebhookSession,
  WebhookSessionEventType,
} from '../protocol/webhook.js';
export { signWebhook, WEBHOOK_SECRET_PREFIX, type WebhookHeaders } from './sign-webhook.js';
export { verifyWebhook, type VerifyWebhookOptions, type WebhookRequestHeaders } from './verify-webhook.js';
export { WebhookVerificationError, type WebhookVerificationReason } from './webhook-verification-error.js';
