import { z } from 'zod';
import { pageCursorSchema } from './paging.js';
import { sessionIdSchema, sessionSchema } from './session.js';
import { SESSION_STATUSES, type SessionStatus } from './statuses.js';
import {
  WEBHOOK_LEDGER_EVENT_TYPE,
  WEBHOOK_PAYOUT_EVENT_TYPES,
  WEBHOOK_SWEEP_EVENT_TYPES,
  ledgerWebhookPayloadSchema,
  payoutWebhookPayloadSchema,
  sweepWebhookPayloadSchema,
  webhookLedgerEventTypeSchema,
  webhookPayoutEventTypeSchema,
  webhookSweepEventTypeSchema,
  type WebhookPayoutEventType,
  type WebhookSweepEventType,
} from './treasury.js';

/**
 * Type of the webhook sent when a session gains a review reason it did not have (see
 * `reviewReasonSchema`): money on a canceled session, a partial or late payment, an overpayment, an
 * unexpected asset. Sent once per change that adds reasons, also when the status changed in the same
 * step (then after its `session.<status>`), and also when the status stays the same (a transfer
 * arriving on a `canceled` session). Its `data.review_reasons` lists every reason.
 */
export const WEBHOOK_REVIEW_EVENT_TYPE = 'session.needs_review';

/**
 * Type of a session webhook: `session.<status>`, sent when a session's status changed to `<status>`
 * — one type per status of the vocabulary — or `session.needs_review` ({@link WEBHOOK_REVIEW_EVENT_TYPE}).
 * `session.open` is sent only when a session goes back to `open` (a chain reorganisation removed the
 * transfer that made it `processing`), not when it is created: the creating API call already answered.
 */
export type WebhookSessionEventType = `session.${SessionStatus}` | typeof WEBHOOK_REVIEW_EVENT_TYPE;

/** Every session webhook type: one per status, in the order of the status vocabulary, then `session.needs_review`. */
export const WEBHOOK_SESSION_EVENT_TYPES: readonly WebhookSessionEventType[] = [
  ...SESSION_STATUSES.map((status) => `session.${status}` as const),
  WEBHOOK_REVIEW_EVENT_TYPE,
];

/** A session webhook type, e.g. `session.paid`; see {@link WebhookSessionEventType}. */
export const webhookSessionEventTypeSchema = z.enum(
  WEBHOOK_SESSION_EVENT_TYPES as [WebhookSessionEventType, ...WebhookSessionEventType[]],
);

/** Type of the event `POST /v1/webhook_endpoints/:id/test` sends; it is never about a real session. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

/** A webhook endpoint id: `we_` and 1–64 letters or digits. */
export const webhookEndpointIdSchema = z
  .string()
  .regex(/^we_[A-Za-z0-9]{1,64}$/, 'must be an endpoint id (we_…)');

/** A webhook event id: `msg_` and 1–64 letters or digits, also the `webhook-id` header of its deliveries. */
export const webhookEventIdSchema = z
  .string()
  .regex(/^msg_[A-Za-z0-9]{1,64}$/, 'must be a webhook event id (msg_…)');

/** Type of any webhook this server sends. */
export type WebhookEventType =
  | WebhookSessionEventType
  | WebhookPayoutEventType
  | WebhookSweepEventType
  | typeof WEBHOOK_LEDGER_EVENT_TYPE
  | typeof WEBHOOK_TEST_EVENT_TYPE;

/** Every event type an endpoint may filter on: the session, payout and sweep types, the ledger's. */
const FILTERABLE_EVENT_TYPES: readonly string[] = [
  ...WEBHOOK_SESSION_EVENT_TYPES,
  ...WEBHOOK_PAYOUT_EVENT_TYPES,
  ...WEBHOOK_SWEEP_EVENT_TYPES,
  WEBHOOK_LEDGER_EVENT_TYPE,
];

/**
 * An endpoint's event filter: `["*"]` for every session event type, or a list of them. Test events
 * reach the endpoint they are sent to whatever its filter.
 */
export const webhookEventFilterSchema = z
  .array(
    z.union(
      [
        z.literal('*'),
        webhookSessionEventTypeSchema,
        webhookPayoutEventTypeSchema,
        webhookSweepEventTypeSchema,
        webhookLedgerEventTypeSchema,
      ],
      {
        error: (issue) =>
          `unknown event type ${JSON.stringify(issue.input)}; use "*" or: ${FILTERABLE_EVENT_TYPES.join(', ')}`,
      },
    ),
    { error: `must be ["*"] or a list of: ${FILTERABLE_EVENT_TYPES.join(', ')}` },
  )
  .min(1, 'list at least one event type, or ["*"] for all')
  .max(FILTERABLE_EVENT_TYPES.length + 1)
  .transform((types) => (types.includes('*') ? ['*' as const] : [...new Set(types)]));

/** An endpoint's event filter, as stored and answered: `["*"]` or a list of session event types. */
export type WebhookEventFilter = z.output<typeof webhookEventFilterSchema>;

/**
 * The session in a webhook: the merchant view (`GET /v1/sessions/:id` with the secret key) at the
 * moment of the status change, without `client_secret` and `checkout_url`, which holds it (a webhook
 * body ends up in logs more easily than an API answer; you have both already) and without
 * `server_time` (`timestamp` says when).
 */
export const webhookSessionSchema = sessionSchema.omit({
  client_secret: true,
  checkout_url: true,
  server_time: true,
});

/** The session in a webhook. */
export type WebhookSession = z.infer<typeof webhookSessionSchema>;

/**
 * Body of a session webhook, in the Standard Webhooks shape: `type`, `timestamp` (when the status
 * changed, not when this attempt was sent — that is the `webhook-timestamp` header) and `data`, the
 * session. Fields may be added in later versions; none is removed or changes meaning.
 */
export const sessionWebhookPayloadSchema = z.object({
  type: webhookSessionEventTypeSchema,
  /** When the status changed (ISO 8601, UTC). */
  timestamp: z.iso.datetime(),
  data: webhookSessionSchema,
});

/** Body of a session webhook. */
export type SessionWebhookPayload = z.infer<typeof sessionWebhookPayloadSchema>;

/** Body of the test event an endpoint receives from `POST /v1/webhook_endpoints/:id/test`. */
export const testWebhookPayloadSchema = z.object({
  type: z.literal(WEBHOOK_TEST_EVENT_TYPE),
  timestamp: z.iso.datetime(),
  data: z.object({
    /** The endpoint the test was sent to (`we_…`). */
    endpoint_id: z.string(),
    livemode: z.boolean(),
    message: z.string(),
  }),
});

/** Body of a test webhook. */
export type TestWebhookPayload = z.infer<typeof testWebhookPayloadSchema>;

/** Body of any webhook this server sends; switch on `type`. */
export const webhookPayloadSchema = z.union([
  sessionWebhookPayloadSchema,
  testWebhookPayloadSchema,
  payoutWebhookPayloadSchema,
  sweepWebhookPayloadSchema,
  ledgerWebhookPayloadSchema,
]);

/** Body of any webhook this server sends. */
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

const httpUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters');

/** Body of `POST /v1/webhook_endpoints`. */
export const createWebhookEndpointRequestSchema = z.strictObject({
  /** Where to POST the events; use https outside local development. */
  url: httpUrlSchema,
  /** Which event types to send; default `["*"]`, every session event. */
  events: webhookEventFilterSchema.optional(),
  /** A note for you, e.g. which system this is. */
  description: z.string().max(500).optional(),
});

/** Body of `POST /v1/webhook_endpoints`. */
export type CreateWebhookEndpointRequest = z.infer<typeof createWebhookEndpointRequestSchema>;

/** Body of `PATCH /v1/webhook_endpoints/:id`: any of the fields, the others stay. */
export const updateWebhookEndpointRequestSchema = z.strictObject({
  url: httpUrlSchema.optional(),
  events: webhookEventFilterSchema.optional(),
  description: z.string().max(500).nullable().optional(),
  /** `false` stops deliveries to the endpoint; deliveries still pending are canceled. */
  enabled: z.boolean().optional(),
});

/** Body of `PATCH /v1/webhook_endpoints/:id`. */
export type UpdateWebhookEndpointRequest = z.infer<typeof updateWebhookEndpointRequestSchema>;

/** Body of `POST /v1/webhook_endpoints/:id/rotate_secret`. */
export const rotateWebhookSecretRequestSchema = z.strictObject({
  /**
   * How long the old secret keeps signing next to the new one, in seconds (0 – 7 days); default:
   * the server's `webhooks.secret_overlap` (24 h).
   */
  overlap_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
});

/** Body of `POST /v1/webhook_endpoints/:id/rotate_secret`. */
export type RotateWebhookSecretRequest = z.infer<typeof rotateWebhookSecretRequestSchema>;

/** A webhook endpoint as the API answers it: never with its secret, only the secret's first characters. */
export const webhookEndpointSchema = z.object({
  /** `we_…` */
  id: z.string(),
  url: z.string(),
  events: z.array(
    z.union([
      z.literal('*'),
      webhookSessionEventTypeSchema,
      webhookPayoutEventTypeSchema,
      webhookSweepEventTypeSchema,
      webhookLedgerEventTypeSchema,
    ]),
  ),
  description: z.string().nullable(),
  enabled: z.boolean(),
  /** Test-mode endpoints receive test-mode sessions' events, live-mode ones live-mode sessions'. */
  livemode: z.boolean(),
  /** The first characters of the signing secret, to tell secrets apart: `whsec_AbCd…`. */
  secret_prefix: z.string(),
  /** Until when the previous secret still signs too (after a rotation), or `null`. */
  previous_secret_expires_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

/** A webhook endpoint. */
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** Answer of creating an endpoint or rotating its secret: the only time the secret is shown. */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema.extend({
  /** The signing secret, `whsec_<base64 of 32 random bytes>`. Store it now: it is not shown again. */
  secret: z.string(),
});

/** An endpoint with its signing secret (create, rotate). */
export type WebhookEndpointWithSecret = z.infer<typeof webhookEndpointWithSecretSchema>;

/** `GET /v1/webhook_endpoints`. */
export const webhookEndpointListSchema = z.object({ data: z.array(webhookEndpointSchema) });

/** State of one event's delivery to one endpoint. */
export const webhookDeliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed', 'canceled']);

/** One event's delivery to one endpoint: its state and its latest attempt. */
export const webhookDeliverySchema = z.object({
  endpoint_id: z.string(),
  /**
   * `pending` (waiting for its next attempt, or being sent), `succeeded` (a 2xx answer), `failed`
   * (no 2xx within the retry schedule), `canceled` (the endpoint was disabled or deleted first).
   */
  status: webhookDeliveryStatusSchema,
  /** Attempts made since it was (re)queued. */
  attempts: z.number().int(),
  /** When the next attempt is due, while `pending`. */
  next_attempt_at: z.iso.datetime().nullable(),
  last_attempt_at: z.iso.datetime().nullable(),
  /** HTTP status of the latest attempt, or `null` (no answer, or no attempt yet). */
  last_status_code: z.number().int().nullable(),
  /** Why the latest attempt failed without an HTTP status (timeout, connection refused). */
  last_error: z.string().nullable(),
});

/** One event's delivery to one endpoint. */
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** A webhook event as the API answers it: the exact payload sent and where it went. */
export const webhookEventSchema = z.object({
  /** `msg_…`, also the `webhook-id` header of every attempt, retries and redeliveries included. */
  id: z.string(),
  type: z.union([
    webhookSessionEventTypeSchema,
    webhookPayoutEventTypeSchema,
    webhookSweepEventTypeSchema,
    webhookLedgerEventTypeSchema,
    z.literal(WEBHOOK_TEST_EVENT_TYPE),
  ]),
  livemode: z.boolean(),
  /** The session it is about, or `null` for a test event. */
  session_id: z.string().nullable(),
  created_at: z.iso.datetime(),
  /** The body sent (parsed; the bytes sent are its compact JSON). */
  payload: webhookPayloadSchema,
  deliveries: z.array(webhookDeliverySchema),
});

/** A webhook event. */
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/** Query of `GET /v1/webhook_events`. */
export const listWebhookEventsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Events per page, 1–100.'),
  cursor: pageCursorSchema.optional(),
  session_id: sessionIdSchema.describe('Only events about this session.').optional(),
  type: z
    .union([
      webhookSessionEventTypeSchema,
      webhookPayoutEventTypeSchema,
      webhookSweepEventTypeSchema,
      webhookLedgerEventTypeSchema,
      z.literal(WEBHOOK_TEST_EVENT_TYPE),
    ])
    .describe('Only events of this type.')
    .optional(),
});

/** Query of `GET /v1/webhook_events`, as parsed. */
export type ListWebhookEventsQuery = z.output<typeof listWebhookEventsQuerySchema>;

/** A page of webhook events, newest first. */
export const webhookEventListSchema = z.object({
  data: z.array(webhookEventSchema),
  has_more: z.boolean(),
  /** Pass as `cursor` for the next page; `null` on the last page. */
  next_cursor: z.string().nullable(),
});

/** A page of webhook events. */
export type WebhookEventList = z.infer<typeof webhookEventListSchema>;

/** One HTTP attempt to deliver an event to an endpoint. */
export const webhookAttemptSchema = z.object({
  /** `wha_…` */
  id: z.string(),
  event_id: z.string(),
  endpoint_id: z.string(),
  /** The URL it was sent to (the endpoint's URL at the time). */
  url: z.string(),
  attempted_at: z.iso.datetime(),
  /** HTTP status of the answer, or `null` when there was none (see `error`). */
  status_code: z.number().int().nullable(),
  /** Whether it counted as delivered (a 2xx answer). */
  succeeded: z.boolean(),
  /** Why there was no answer: timeout, connection refused, … */
  error: z.string().nullable(),
  /** From sending the request to the first bytes of its answer, in milliseconds. */
  latency_ms: z.number().int(),
  /** The first 256 bytes of the answer's body (UTF-8, control characters replaced by spaces), for debugging your endpoint. */
  response_excerpt: z.string().nullable(),
});

/** One delivery attempt. */
export type WebhookAttempt = z.infer<typeof webhookAttemptSchema>;

/** Query of `GET /v1/webhook_events/:id/attempts`. */
export const listWebhookAttemptsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Attempts per page, 1–100.'),
  cursor: pageCursorSchema.optional(),
});

/** Query of `GET /v1/webhook_events/:id/attempts`, as parsed. */
export type ListWebhookAttemptsQuery = z.output<typeof listWebhookAttemptsQuerySchema>;

/** A page of attempts, newest first. */
export const webhookAttemptListSchema = z.object({
  data: z.array(webhookAttemptSchema),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});

/** A page of attempts. */
export type WebhookAttemptList = z.infer<typeof webhookAttemptListSchema>;

/** Body of `POST /v1/webhook_events/:id/redeliver`. */
export const redeliverWebhookEventRequestSchema = z.strictObject({
  /**
   * Send it to this endpoint only (also one added after the event, whatever its filter);
   * default: every enabled endpoint it was queued for.
   */
  endpoint_id: webhookEndpointIdSchema.optional(),
});

/** Body of `POST /v1/webhook_events/:id/redeliver`. */
export type RedeliverWebhookEventRequest = z.infer<typeof redeliverWebhookEventRequestSchema>;
