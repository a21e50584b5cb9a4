/**
 * The wire contract of the treasury: balances derived from the ledger, ledger entries, payouts and
 * their statuses, the payout webhooks. Amounts are decimal strings in the asset's units, never floats.
 * @module
 */
import { z } from 'zod';
import { pageCursorSchema } from './paging.js';
import { decimalStringSchema } from './session.js';

/** A payout id: `po_` and 1–64 letters or digits. */
export const payoutIdSchema = z.string().regex(/^po_[A-Za-z0-9]{1,64}$/, 'must be a payout id (po_…)');

/**
 * An asset on a network, named as a payment method: `<token>@<chain key>`, e.g. `usdc@anvil`,
 * `eth@base`.
 */
export const assetIdSchema = z
  .string()
  .regex(/^[a-z0-9.]{1,16}@[a-z0-9-]{1,32}$/, 'must be an asset id such as "usdc@base"');

/**
 * Where a payout stands, in order: `requested` (accepted, funds reserved) → `needs_approval` (at or
 * above the review threshold) → `approved` → `submitted` (handed to the chain or exported for signing)
 * → `confirmed` or `failed`; `canceled` before submission. `failed` and `canceled` release the funds.
 */
export const PAYOUT_STATUSES = [
  'requested',
  'needs_approval',
  'approved',
  'submitted',
  'confirmed',
  'failed',
  'canceled',
] as const;

/** A payout status; see {@link PAYOUT_STATUSES}. */
export const payoutStatusSchema = z.enum(PAYOUT_STATUSES);

/** A payout status. */
export type PayoutStatus = z.infer<typeof payoutStatusSchema>;

/** Type of a payout webhook: `payout.<status>`, sent when a payout's status changes. */
export type WebhookPayoutEventType = `payout.${PayoutStatus}`;

/** Every payout webhook type, in the order of the statuses. */
export const WEBHOOK_PAYOUT_EVENT_TYPES: readonly WebhookPayoutEventType[] = PAYOUT_STATUSES.map(
  (status) => `payout.${status}` as const,
);

/** A payout webhook type, e.g. `payout.approved`. */
export const webhookPayoutEventTypeSchema = z.enum(
  WEBHOOK_PAYOUT_EVENT_TYPES as [WebhookPayoutEventType, ...WebhookPayoutEventType[]],
);

/** One payout asked for: where, what, how much. */
export const payoutRequestSchema = z.strictObject({
  destination: z.string().min(1).max(128).describe('Where to pay: an address valid on the asset network.'),
  asset: assetIdSchema.describe('What to pay, as a payment method id: `usdc@base`.'),
  amount: decimalStringSchema.describe('How much, in the asset\'s units (`"125.50"`).'),
  reference: z.string().max(200).optional().describe('Your own reference (an invoice, a withdrawal id).'),
});

/** One payout asked for. */
export type PayoutRequest = z.infer<typeof payoutRequestSchema>;

/** The most payouts one `POST /v1/payouts` takes. */
export const MAX_PAYOUTS_PER_REQUEST = 1000;

/** `POST /v1/payouts`: one payout, or a batch of up to 1,000 (all accepted or none). */
export const createPayoutsRequestSchema = z.strictObject({
  payouts: z
    .array(payoutRequestSchema)
    .min(1, 'give at least one payout')
    .max(MAX_PAYOUTS_PER_REQUEST, `at most ${MAX_PAYOUTS_PER_REQUEST} payouts per request`),
});

/** A payout as the API answers it. */
export const payoutSchema = z.object({
  id: payoutIdSchema,
  object: z.literal('payout'),
  livemode: z.boolean(),
  status: payoutStatusSchema,
  asset: assetIdSchema,
  chain_id: z.number().int(),
  destination: z.string(),
  amount: decimalStringSchema,
  /** The value in the review currency when it was requested, or `null` when no rate was available. */
  fiat_value: decimalStringSchema.nullable(),
  fiat_currency: z.string(),
  reference: z.string().nullable(),
  /** The id (never the secret) of the key that asked for it, and of the key that approved it. */
  requested_by: z.string(),
  approved_by: z.string().nullable(),
  tx_hash: z.string().nullable(),
  failure_reason: z.string().nullable(),
  /** Why an approved payout has not been sent yet (the payout key's daily limit…), else `null`. */
  waiting_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A payout. */
export type Payout = z.infer<typeof payoutSchema>;

/** The answer of `POST /v1/payouts`. */
export const payoutBatchSchema = z.object({ data: z.array(payoutSchema) });

/** A page of payouts, newest first. */
export const payoutListSchema = z.object({
  data: z.array(payoutSchema),
  has_more: z.boolean(),
  next_cursor: pageCursorSchema.nullable(),
});

/** A signed amount in an asset's units (ledger entries may be negative). */
const signedDecimalSchema = z.string().regex(/^-?(0|[1-9]\d*)(\.\d+)?$/, 'must be a decimal string');

/** The balances of one asset on one network, derived from the ledger. */
export const assetBalanceSchema = z.object({
  asset: assetIdSchema,
  chain_id: z.number().int(),
  /** Confirmed receipts, less those a reorganisation reversed. */
  received: signedDecimalSchema,
  /** Received and not swept yet: still in the deposit addresses. */
  in_deposit_addresses: signedDecimalSchema,
  /** Swept into the treasury, less what payouts and fees took out. */
  in_treasury: signedDecimalSchema,
  /** Reserved by payouts not confirmed, failed or canceled yet. */
  pending_payouts: signedDecimalSchema,
  /** What new payouts may take: in the treasury less pending payouts. */
  available: signedDecimalSchema,
});

/** `GET /v1/balances`. */
export const balancesSchema = z.object({ data: z.array(assetBalanceSchema) });

/** The kinds of ledger entries. */
export const LEDGER_ENTRY_KINDS = [
  'receipt',
  'receipt_reversal',
  'sweep',
  'payout_reserve',
  'payout_release',
  'payout_settle',
  'fee',
] as const;

/** One ledger entry. */
export const ledgerEntrySchema = z.object({
  id: z.string(),
  kind: z.enum(LEDGER_ENTRY_KINDS),
  asset: assetIdSchema,
  chain_id: z.number().int(),
  amount: signedDecimalSchema,
  session_id: z.string().nullable(),
  payout_id: z.string().nullable(),
  address: z.string().nullable(),
  counterparty: z.string().nullable(),
  tx_hash: z.string().nullable(),
  created_at: z.string(),
});

/** A ledger entry. */
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/**
 * Type of the webhook sent for every new ledger entry — a confirmed receipt or its reversal, a
 * sweep, a payout's reservation, release or settlement, a fee — written in the transaction that
 * wrote the entry, so a finance system can keep its own books from webhooks alone.
 */
export const WEBHOOK_LEDGER_EVENT_TYPE = 'ledger.entry_created';

/** The ledger webhook type. */
export const webhookLedgerEventTypeSchema = z.literal(WEBHOOK_LEDGER_EVENT_TYPE);

/** Body of a `ledger.entry_created` webhook: the entry as `GET /v1/ledger` lists it. */
export const ledgerWebhookPayloadSchema = z.object({
  type: webhookLedgerEventTypeSchema,
  /** When the entry was written (ISO 8601, UTC). */
  timestamp: z.string(),
  data: ledgerEntrySchema,
});

/** Body of a ledger webhook. */
export type LedgerWebhookPayload = z.infer<typeof ledgerWebhookPayloadSchema>;

/** A page of ledger entries, oldest first. */
export const ledgerPageSchema = z.object({
  data: z.array(ledgerEntrySchema),
  has_more: z.boolean(),
  next_cursor: pageCursorSchema.nullable(),
});

/** The body of a payout webhook. */
export const payoutWebhookPayloadSchema = z.object({
  type: webhookPayoutEventTypeSchema,
  timestamp: z.string(),
  data: payoutSchema,
});
