/**
 * Estimates for merchants before any session exists (`GET /v1/rates/estimate`): what an amount in
 * one currency costs in a token at the current rate, per method, with what the network would charge
 * the buyer to send it — so a shop can hide methods whose fee eats a small order.
 * @module
 */
import type { RateEstimate } from '@crypto-checkout/protocol';
import type { MethodInfo } from '../chain/registry.js';
import { CurrencyNotSupportedError, InvalidRequestError } from '../errors.js';
import { divideDecimals, fiatToAtomic, formatAtomic, multiplyDecimals } from '../money.js';
import type { Currencies } from './currencies.js';
import type { Pricer } from './pricer.js';

/** Gas a plain native-coin transfer uses. */
const NATIVE_TRANSFER_GAS = 21_000n;
/** Gas an ERC-20 `transfer` typically uses (a first transfer to a fresh address, warm contract). */
const TOKEN_TRANSFER_GAS = 65_000n;
/** Native amounts are rounded up to this many decimals, as sessions do. */
const NATIVE_FRACTION_DIGITS = 8;

/** What {@link RateEstimates} needs. */
export interface RateEstimatesOptions {
  pricer: Pricer;
  currencies: Currencies;
  methods: Map<string, MethodInfo>;
  /** A chain's gas price in wei, or `null` when its node does not say. */
  gasPrice: (chainId: number) => Promise<bigint | null>;
}

/** Conversions at the current rate, for merchants. */
export class RateEstimates {
  constructor(private readonly options: RateEstimatesOptions) {}

  /** What `amount` of `from` costs in the token `to`; throws `rate_unavailable` without a rate. */
  async estimate(query: { amount: string; from: string; to: string }): Promise<RateEstimate> {
    const { pricer, currencies } = this.options;
    if (currencies.minorUnits(query.from) === null || !pricer.supportsCurrency(query.from)) {
      throw new CurrencyNotSupportedError(`${query.from} is not a currency this server prices in`);
    }
    const methods = [...this.options.methods.values()].filter((m) => m.token.toUpperCase() === query.to);
    if (!methods.length) {
      throw InvalidRequestError.fields([{ path: 'to', message: `no configured method pays in ${query.to}` }]);
    }
    const first = methods[0]!;
    const rate = await pricer.rate(first, query.from);
    const decimalsOf = (m: MethodInfo) => (m.kind === 'native' ? NATIVE_FRACTION_DIGITS : m.decimals);
    const estimate = formatAtomic(
      fiatToAtomic(query.amount, rate.rate, first.decimals, decimalsOf(first)),
      first.decimals,
    );
    const rows = await Promise.all(
      methods.map(async (method) => {
        const fee = await this.networkFee(method, query.from);
        return {
          id: method.id,
          amount: formatAtomic(
            fiatToAtomic(query.amount, rate.rate, method.decimals, decimalsOf(method)),
            method.decimals,
          ),
          network_fee: fee?.native ?? null,
          network_fee_in_from: fee?.inFrom ?? null,
        };
      }),
    );
    return {
      amount: query.amount,
      from: query.from,
      to: query.to,
      rate: rate.rate,
      estimate,
      quoted_at: rate.at.toISOString(),
      sources: rate.sources,
      methods: rows,
    };
  }

  /** A transfer's fee on the method's chain in its native coin, and in `from` when it can be priced. */
  private async networkFee(
    method: MethodInfo,
    from: string,
  ): Promise<{ native: string; inFrom: string | null } | null> {
    const native = method.chain.native;
    // Gas is an EVM notion; a UTXO fee depends on the buyer's inputs and is not estimated here.
    if (!native || method.family !== 'evm') return null;
    const gasPrice = await this.options.gasPrice(method.chain.id);
    if (gasPrice === null) return null;
    const wei = gasPrice * (method.kind === 'native' ? NATIVE_TRANSFER_GAS : TOKEN_TRANSFER_GAS);
    const amount = formatAtomic(wei, native.decimals);
    try {
      const rate = await this.options.pricer.rate({ token: native.symbol, peg: null }, from);
      // Rounded to the currency's places would show 0.00 for most L2 fees: keep 8 places.
      return { native: amount, inFrom: divideDecimals(multiplyDecimals(amount, rate.rate), '1', 8) };
    } catch {
      return { native: amount, inFrom: null };
    }
  }
}
