import { z } from 'zod';
import { currencySchema, decimalStringSchema } from './session.js';

/** One source's quote behind a rate, for the record: `coinbase ETH/USD` at 3012.55 at a time. */
export const rateSourceQuoteSchema = z.object({
  /** Source and pair, e.g. `coinbase ETH/USD`, `frankfurter USD/EUR`, `static ETH/USD`. */
  source: z.string(),
  /** That source's rate: quote currency per whole base unit. */
  rate: decimalStringSchema,
  /** When the source took it. */
  at: z.iso.datetime(),
});

/** Query of `GET /v1/rates/estimate`: what `amount` of `from` costs in the token `to`. */
export const rateEstimateQuerySchema = z.strictObject({
  /** The price, e.g. `"49.99"`, in `from`. */
  amount: decimalStringSchema,
  /** The price's currency (ISO 4217 or an accepted crypto asset), e.g. `EUR`. */
  from: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), currencySchema),
  /** An accepted token's symbol, e.g. `ETH`, `USDC`. */
  to: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), currencySchema),
});

/** Answer of `GET /v1/rates/estimate`: the conversion at the current rate, not a lock. */
export const rateEstimateSchema = z.object({
  amount: decimalStringSchema,
  from: z.string(),
  to: z.string(),
  /** `from` per whole `to`, e.g. `"2594.41"` EUR per ETH. */
  rate: decimalStringSchema,
  /** `amount` in `to`, rounded up as a session would ask for it. */
  estimate: decimalStringSchema,
  /** When the oldest quote behind `rate` was taken. */
  quoted_at: z.iso.datetime(),
  sources: z.array(rateSourceQuoteSchema),
  /**
   * The methods that pay in `to`, each with the amount due and an estimate of what the network
   * charges the buyer to send it (in the chain's native coin), or `null` when the node did not say.
   */
  methods: z.array(
    z.object({
      id: z.string(),
      amount: decimalStringSchema,
      /** Native-coin units a transfer costs at the node's current gas price, or `null`. */
      network_fee: decimalStringSchema.nullable(),
      /** `network_fee` in `from`, or `null`. */
      network_fee_in_from: decimalStringSchema.nullable(),
    }),
  ),
});

/** Answer of `GET /v1/rates/estimate`. */
export type RateEstimate = z.infer<typeof rateEstimateSchema>;
