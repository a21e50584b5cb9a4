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
  'treasury_funding',
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

/**
 * Where a sweep stands on the wire, the same for every rail: `submitted` (sent, or seen in the
 * mempool, below the chain's confirmations), `confirmed` (booked in the ledger), `failed` (reverted,
 * dropped or conflicted: nothing moved, the deposits stay in their addresses), `needs_review`
 * (deposit money spent outside the treasury: nothing booked, a person must look).
 */
export const SWEEP_STATUSES = ['submitted', 'confirmed', 'failed', 'needs_review'] as const;

/** A sweep status; see {@link SWEEP_STATUSES}. */
export const sweepStatusSchema = z.enum(SWEEP_STATUSES);

/**
 * The sweep webhooks: `sweep.<status>` when a sweep transaction's status changes, and
 * `sweep.reversed` when a confirmed sweep leaves the chain in a reorganisation (its ledger entries
 * are reversed and it is `submitted` again: the same transaction mined again sends `sweep.confirmed`).
 */
export const WEBHOOK_SWEEP_EVENT_TYPES = [
  'sweep.submitted',
  'sweep.confirmed',
  'sweep.reversed',
  'sweep.failed',
  'sweep.needs_review',
] as const;

/** A sweep webhook type, e.g. `sweep.confirmed`. */
export const webhookSweepEventTypeSchema = z.enum(WEBHOOK_SWEEP_EVENT_TYPES);

/** Type of a sweep webhook. */
export type WebhookSweepEventType = z.infer<typeof webhookSweepEventTypeSchema>;

/** One deposit address a sweep empties, in one asset. */
export const sweepDepositSchema = z.object({
  /** The deposit address the money leaves. */
  address: z.string(),
  /** The session the address was derived for, or `null` when none is known. */
  session_id: z.string().nullable(),
  asset: assetIdSchema,
  /** What the sweep moves from it: what reached the treasury once confirmed, else what it spends. */
  amount: decimalStringSchema,
});

/** A sweep transaction, as its webhooks carry it. */
export const sweepSchema = z.object({
  object: z.literal('sweep'),
  livemode: z.boolean(),
  chain_id: z.number().int(),
  tx_hash: z.string(),
  /**
   * How it was sent: `forwarder` (this server's relayer flushed CREATE2 forwarders), `adopted` (a
   * forwarder flush another account sent, a Safe executing a `sweep --export` file), `utxo` (a
   * Bitcoin-like chain's deposit coins spent, e.g. a signed `sweep --export` PSBT), `tron` (a TRON
   * deposit address's USDT or TRX sent to the treasury, e.g. a signed `sweep --export` transaction),
   * `xpub` (an EVM deposit address in xpub mode sending its tokens or coin itself: a `sweep --export`
   * transaction the merchant signed with the address's key).
   */
  rail: z.enum(['forwarder', 'adopted', 'utxo', 'tron', 'xpub']),
  status: sweepStatusSchema,
  /** Where the money goes: the treasury address (for `needs_review`, where it went instead). */
  treasury_address: z.string(),
  /** The block it is mined in, or `null` while unmined. */
  block_number: z.number().int().nullable(),
  /** The deposits of this mode that it empties (one transaction may carry both modes' deposits). */
  deposits: z.array(sweepDepositSchema),
  /** For `needs_review`: what went where, in words. */
  review_reason: z.string().nullable(),
});

/** A sweep. */
export type Sweep = z.infer<typeof sweepSchema>;

/** Body of a sweep webhook. */
export const sweepWebhookPayloadSchema = z.object({
  type: webhookSweepEventTypeSchema,
  /** When the status changed (ISO 8601, UTC). */
  timestamp: z.string(),
  data: sweepSchema,
});

/** Body of a sweep webhook. */
export type SweepWebhookPayload = z.infer<typeof sweepWebhookPayloadSchema>;
