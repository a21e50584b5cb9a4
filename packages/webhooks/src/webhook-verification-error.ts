/** Why {@link verifyWebhook} refused a request. */
export type WebhookVerificationReason =
  | 'invalid_body'
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'no_matching_signature';

/**
 * Thrown by `verifyWebhook` when a request is not an authentic, fresh webhook. The message says why
 * and what to check; `reason` is the same as a stable code. Answer such a request with 400 and do
 * not act on it.
 * @example
 * try {
 *   event = await verifyWebhook(rawBody, req.headers, secret);
 * } catch (error) {
 *   if (error instanceof WebhookVerificationError) return res.status(400).send(error.message);
 *   throw error;
 * }
 */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    /** A stable code for the failure. */
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
  }
}
