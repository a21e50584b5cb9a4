import { z } from 'zod';
import { reviewReasonSchema, sessionStatusSchema } from './status.js';
import { SESSION_ID_PATTERN } from './statuses.js';

/** A session id: `cs_` and 1–64 letters or digits. */
export const sessionIdSchema = z.string().regex(SESSION_ID_PATTERN, 'must be a session id (cs_…)');

/**
 * A positive decimal amount as a string (money is never a float): digits, optionally a dot and up to
 * 18 fraction digits. `"49.99"`, `"0.000001"`.
 */
export const decimalStringSchema = z
  .string()
  .regex(/^(0|[1-9]\d{0,17})(\.\d{1,18})?$/, 'must be a decimal string such as "49.99"');

/** An unsigned integer as a decimal string, used for atomic token units (bigint in code). */
export const atomicStringSchema = z.string().regex(/^(0|[1-9]\d*)$/, 'must be an integer string');

/** The families of chains a method can be on: EVM chains, Bitcoin-like (UTXO) chains, TRON. */
export const chainFamilySchema = z.enum(['evm', 'utxo', 'tron']);

/** The family of a method's chain. */
export type ChainFamily = z.infer<typeof chainFamilySchema>;

/**
 * The address forms of each family, strict per family:
 * - `evm`: 0x and 20 bytes of hex (EIP-55 case or not);
 * - `utxo`: lower-case bech32/bech32m SegWit (`bc1`, `tb1`, `bcrt1`, `ltc1`, `tltc1`, `rltc1`) or a
 *   base58 P2PKH/P2SH address (`1…`, `3…`, `m…`, `n…`, `2…`, `L…`, `M…`, `Q…`);
 * - `tron`: base58check with the 0x41 prefix, which always reads `T` and 34 characters.
 */
export const ADDRESS_PATTERNS: Readonly<Record<ChainFamily, RegExp>> = {
  evm: /^0x[0-9a-fA-F]{40}$/,
  utxo: /^((bc|tb|bcrt|ltc|tltc|rltc)1[02-9ac-hj-np-z]{8,87}|[123mnLMQ][1-9A-HJ-NP-Za-km-z]{25,34})$/,
  tron: /^T[1-9A-HJ-NP-Za-km-z]{33}$/,
};

/** An address of any family (see {@link ADDRESS_PATTERNS}); {@link addressMatchesFamily} ties it to one. */
export const addressSchema = z.string().regex(
  new RegExp(
    Object.values(ADDRESS_PATTERNS)
      .map((pattern) => `(${pattern.source})`)
      .join('|'),
  ),
  'must be an address: 0x… (EVM), bc1…/ltc1…/base58 (Bitcoin, Litecoin) or T… (TRON)',
);

/**
 * Whether `address` has the form of `family`'s addresses.
 * @example addressMatchesFamily('ltc1q…', 'utxo') // true
 */
export function addressMatchesFamily(address: string, family: ChainFamily): boolean {
  return ADDRESS_PATTERNS[family].test(address);
}

/**
 * The currency a session is priced in: an ISO 4217 code (`USD`, `EUR`, `JPY`, …) or the symbol of a
 * crypto asset the server accepts (`USDC`, `ETH`). Which ones a server supports, and their decimal
 * places (JPY none, most fiat 2), it checks itself (`currency_not_supported`).
 */
export const currencySchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9.]{1,15}$/, 'must be a currency code such as "USD", "EUR" or "USDC"');

/** A payment method id: `<token symbol>@<chain key>`, lower case, e.g. `usdc@anvil`, `eth@base`. */
export const methodIdSchema = z
  .string()
  .regex(/^[a-z0-9.]{1,16}@[a-z0-9-]{1,32}$/, 'must look like "usdc@anvil"');

const MAX_METADATA_BYTES = 4096;

/** Any JSON value. One schema for every use, so the OpenAPI document names it once (`JsonValue`). */
export const jsonValueSchema = z.json();

/** Merchant metadata: any JSON object up to 4 KB, returned to the merchant and never to the buyer. */
export const metadataSchema = z
  .record(z.string().max(64), jsonValueSchema)
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).length <= MAX_METADATA_BYTES, {
    message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
  });

/**
 * A URL the hosted page and the element render as a link: `https://…` (or `http://…`, which the
 * server accepts for test-mode sessions only). `javascript:`, `data:`, `vbscript:` and every other
 * scheme are refused.
 */
const linkUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an https URL (http in test mode only)' })
  .max(2048, 'must be at most 2048 characters');

/** Body of `POST /v1/sessions`. */
export const createSessionRequestSchema = z.strictObject({
  /** Price in `currency`, e.g. `"49.99"`. */
  amount: decimalStringSchema,
  /**
   * Currency of the price: an ISO 4217 code (`USD`, `EUR`, `GBP`, `CHF`, `JPY`, …) or a crypto asset
   * the server accepts (`USDC`, `ETH`); `amount` may have at most its decimal places (JPY: none).
   */
  currency: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), currencySchema),
  /** The merchant's own order reference, for search and reconciliation. */
  order_id: z.string().min(1).max(200).optional(),
  /** Free-form merchant data, returned in the merchant's view only. */
  metadata: metadataSchema.optional(),
  /** Which methods to offer; default: every configured method. */
  methods: z.array(methodIdSchema).min(1).max(50).optional(),
  /** Lifetime in seconds (60 s – 7 days); default 1800. */
  expires_in: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .optional(),
  /** Where the hosted page sends the buyer after paying; https (http in test mode). Never proof of payment. */
  success_url: linkUrlSchema.optional(),
  /** Where the hosted page sends a buyer who gives up; https (http in test mode). */
  cancel_url: linkUrlSchema.optional(),
});

/** Body of `POST /v1/sessions`. */
export type CreateSessionRequest = z.infer<typeof createSessionRequestSchema>;

/**
 * What one offered method would cost at the current rate, before the buyer commits to it. Not a
 * lock: the rate locks only when the buyer chooses the method.
 */
export const methodQuoteSchema = z.object({
  /** Token units at the current rate, e.g. `"12.43"`. */
  amount: decimalStringSchema,
  /** Session currency per whole token, e.g. `"3012.55"` for ETH priced in EUR. */
  rate: decimalStringSchema,
  /** The session's currency (the one `rate` is in). */
  currency: z.string(),
  /** When the rate was taken. */
  quoted_at: z.iso.datetime(),
});

/** What one offered method would cost at the current rate. */
export type MethodQuote = z.infer<typeof methodQuoteSchema>;

/** A token on a chain, as offered to the buyer. */
export const paymentMethodSchema = z.object({
  /** `usdc@anvil` */
  id: methodIdSchema,
  /** Token symbol, e.g. `USDC`, `ETH`. */
  token: z.string(),
  /**
   * `erc20` for token contracts on EVM chains, `trc20` for token contracts on TRON, `native` for the
   * chain's own coin (ETH, BTC, LTC, TRX).
   */
  kind: z.enum(['erc20', 'trc20', 'native']),
  /** The family of the method's chain: `evm`, `utxo` (Bitcoin, Litecoin) or `tron`. */
  family: chainFamilySchema,
  /** Token contract, or `null` for the native coin. */
  token_address: addressSchema.nullable(),
  /** Decimals of the atomic unit: 18 for ETH, 6 for USDC, 8 for BTC (satoshi) and LTC (litoshi). */
  decimals: z.number().int(),
  /** EIP-155 chain id; `null` for a chain that has none (Bitcoin, Litecoin). */
  chain_id: z.number().int().nullable(),
  /** Human name of the network, e.g. `Base`, `Anvil (local)`. */
  network: z.string(),
  /** The amount at the current rate, or `null` when no rate is available for this method right now. */
  quote: methodQuoteSchema.nullable(),
});

/** A token on a chain, as offered to the buyer. */
export type PaymentMethod = z.infer<typeof paymentMethodSchema>;

/** Body of `POST /v1/sessions/:id/payment`: the buyer picks one of the offered methods. */
export const choosePaymentRequestSchema = z.strictObject({ method: methodIdSchema });

/** Body of `POST /v1/sessions/:id/payment`. */
export type ChoosePaymentRequest = z.infer<typeof choosePaymentRequestSchema>;

/** Where and how much to pay, fixed when the buyer chose a method. */
export const paymentInstructionsSchema = paymentMethodSchema
  .extend({
    /**
     * Fresh deposit address, derived for this session only, in the form of the method's family
     * (EIP-55 `0x…`, lower-case bech32 `bc1…`/`ltc1…`, TRON `T…`).
     */
    address: addressSchema,
    /** Amount due in token units, e.g. `"49.99"`. */
    amount_due: decimalStringSchema,
    /** Amount due in atomic units (`amount_due × 10^decimals`). */
    amount_due_atomic: atomicStringSchema,
    /** Fiat price of one token unit that was locked for this session, e.g. `"1"` for USDC. */
    rate: decimalStringSchema,
    /**
     * When the locked rate ends, or `null` when it does not (a rate from the static table). After it, if
     * nothing was received, the next view requotes: a new amount and a new lock.
     */
    rate_locked_until: z.iso.datetime().nullable(),
    /** The source quotes the locked rate was aggregated from (their median), for the record. */
    rate_sources: z.array(
      z.object({
        /** Source name, e.g. `coinbase`, `kraken`, `static`. */
        source: z.string(),
        /** That source's rate, session currency per whole token. */
        rate: decimalStringSchema,
        /** When that source's quote was taken. */
        at: z.iso.datetime(),
      }),
    ),
    /** Confirmations a transfer needs before it counts as paid. */
    confirmations_required: z.number().int().min(1),
    /** Payment request URI, also encoded in the QR code: EIP-681 on EVM chains, BIP21 on Bitcoin and Litecoin. */
    uri: z.string(),
    /** Block explorer base URL for this chain, if known. */
    explorer_url: z.string().nullable(),
  })
  .superRefine((payment, ctx) => {
    // Strict per family: a Bitcoin address on an EVM method (or the reverse) is a server bug, never sent.
    if (!addressMatchesFamily(payment.address, payment.family)) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: `must be a ${payment.family} address` });
    }
  });

/** Where and how much to pay. */
export type PaymentInstructions = z.infer<typeof paymentInstructionsSchema>;

/**
 * One on-chain transfer to the session's deposit address. Every transfer is recorded, also those
 * that do not count: another token, the native coin or another network (`expected: false`), a
 * transfer mined after expiry (`late: true`), or one to the address of a method the buyer went back
 * from (`abandoned_address: true`).
 */
export const transferSchema = z.object({
  /** EIP-155 chain id of the network the transfer was made on; `null` for a chain without one. */
  chain_id: z.number().int().nullable(),
  /** Human name of the network the transfer was made on. */
  network: z.string(),
  /** Symbol of the token sent, e.g. `USDC`; the native coin's symbol for native transfers. */
  token: z.string(),
  /** Token contract, or `null` for the native coin. */
  token_address: addressSchema.nullable(),
  tx_hash: z.string(),
  /** Log index of the ERC-20 `Transfer` event; `null` for a native transfer. */
  log_index: z.number().int().nullable(),
  /** The block the transfer was mined in; `null` while it waits in the mempool (Bitcoin, Litecoin). */
  block_number: z.number().int().nullable(),
  /** That block's hash; `null` while the transfer waits in the mempool. */
  block_hash: z.string().nullable(),
  /** Timestamp of the block the transfer was mined in (while in the mempool: when the node saw it). */
  block_time: z.iso.datetime(),
  /** The sender; `null` where the chain does not name one (a Bitcoin transaction has inputs, not a sender). */
  from: addressSchema.nullable(),
  /** Amount in units of `token`. */
  amount: decimalStringSchema,
  amount_atomic: atomicStringSchema,
  /** Blocks on top of and including the transfer's block. */
  confirmations: z.number().int(),
  /** Confirmations the transfer needs on its network. */
  confirmations_required: z.number().int(),
  /** Whether it has its required confirmations. */
  confirmed: z.boolean(),
  /** Whether it is the session's chosen token on the chosen network (only those count). */
  expected: z.boolean(),
  /** Whether it was mined after the session expired (or was canceled). */
  late: z.boolean(),
  /** The deposit address it was sent to. */
  to: addressSchema,
  /**
   * Whether `to` is the address of a method the buyer went back from (not the current `payment`'s):
   * it never counts toward the amount, and the session gets `paid_to_abandoned_address`.
   */
  abandoned_address: z.boolean(),
  /** When the server first saw it. */
  seen_at: z.iso.datetime(),
});

/** One on-chain transfer to the session's deposit address. */
export type Transfer = z.infer<typeof transferSchema>;

/** The buyer's view of a session: what the element shows. No metadata, no internal fields. */
export const buyerSessionSchema = z.object({
  id: z.string(),
  status: sessionStatusSchema,
  amount: decimalStringSchema,
  currency: currencySchema,
  order_id: z.string().nullable(),
  /** Methods offered; the buyer picks one unless `payment` is already set. */
  methods: z.array(paymentMethodSchema),
  /** Set once the buyer has chosen a method. */
  payment: paymentInstructionsSchema.nullable(),
  /**
   * Whether the buyer may go back and pick another method (`DELETE /v1/sessions/:id/payment`): true
   * while a method is chosen, nothing at all was received on its address, and the session is open.
   */
  can_change_method: z.boolean(),
  /** Confirmed token units received, or `null` before a method is chosen. */
  amount_received: decimalStringSchema.nullable(),
  /** Token units still due (0 when paid), or `null` before a method is chosen. */
  amount_remaining: decimalStringSchema.nullable(),
  /** Token units received beyond the amount due (to refund), or `null` before a method is chosen. */
  amount_overpaid: decimalStringSchema.nullable(),
  /**
   * EIP-681 URI for what is still due — the whole amount at first, the remainder when underpaid —
   * or `null` when the session takes no more payment (paid, expired, canceled) or no method is chosen.
   */
  pay_uri: z.string().nullable(),
  /** Token units `pay_uri` asks for: what is still due less transfers still confirming; `null` with it. */
  amount_payable: decimalStringSchema.nullable(),
  /**
   * Until when transfers to the deposit address are still recorded (expiry plus the monitoring
   * window), or `null` before a method is chosen.
   */
  watch_until: z.iso.datetime().nullable(),
  transfers: z.array(transferSchema),
  success_url: z.string().nullable(),
  cancel_url: z.string().nullable(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  paid_at: z.iso.datetime().nullable(),
  canceled_at: z.iso.datetime().nullable(),
  /** The server's clock when this was sent, so clients can correct their countdown for skew. */
  server_time: z.iso.datetime(),
  /**
   * The merchant's WalletConnect (Reown) project id from the backend's configuration, or `null`: with
   * one, the element offers WalletConnect to the buyer. Public by nature (every dapp ships its own).
   */
  walletconnect_project_id: z.string().nullable(),
  /**
   * Who the buyer pays, from the backend's configuration (`merchant_name`, `merchant_logo_url`): the
   * element shows them at the top. Each `null` when not configured.
   */
  merchant: z.object({ name: z.string().nullable(), logo_url: z.string().nullable() }),
});

/** The buyer's view of a session. */
export type BuyerSession = z.infer<typeof buyerSessionSchema>;

/** The merchant's view of a session (secret key): the buyer's view plus merchant-only fields. */
export const sessionSchema = buyerSessionSchema.extend({
  metadata: z.record(z.string(), jsonValueSchema),
  /** Why this session needs a person to look at it; empty when nothing is odd. */
  review_reasons: z.array(reviewReasonSchema),
  /** Hand this, and only this, to the browser: `<crypto-checkout session="…">`. */
  client_secret: z.string(),
  /** `true` when created with a live-mode key (`sk_live_…`), `false` for test mode. */
  livemode: z.boolean(),
  /**
   * The hosted checkout page, for redirecting the buyer instead of embedding the element:
   * `{public_url}/checkout/{id}#{client_secret}`. The client secret is in the fragment, which browsers
   * never send to a server (no access log, proxy or `Referer` sees it); treat the link like the secret.
   */
  checkout_url: z.url(),
});

/** The merchant's view of a session. */
export type Session = z.infer<typeof sessionSchema>;
