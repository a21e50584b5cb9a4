import { z } from 'zod';

/** Machine-readable error codes the API answers with. Stable: clients may switch on them. */
export const errorCodeSchema = z.enum([
  'invalid_request',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'uri_too_long',
  'headers_too_large',
  'request_timeout',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'method_not_available',
  'method_already_chosen',
  'payment_in_progress',
  'session_not_open',
  'session_not_cancelable',
  'currency_not_supported',
  'rate_unavailable',
  'idempotency_key_reused',
  'idempotency_key_in_use',
  'webhook_endpoint_disabled',
  'insufficient_balance',
  'payout_not_pending',
  'chain_unavailable',
  'webhook_url_forbidden',
  'checkout_page_unavailable',
  'rate_limited',
  'overloaded',
  'shutting_down',
  'internal_error',
]);

/** One of the API's machine-readable error codes. */
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/** Body of every non-2xx answer: `{"error":{"code":"…","message":"…"}}`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    /** For `invalid_request`: which fields failed and why. */
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** Body of every non-2xx answer. */
export type ErrorBody = z.infer<typeof errorBodySchema>;
