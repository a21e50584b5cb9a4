/**
 * The seams of pricing: a {@link MarketSource} quotes one pair from one place (an exchange's API, the
 * static table of the configuration); a {@link PairSource} answers a pair from several of them (the
 * aggregator). `pricer.ts` builds a session's rate from pairs, pegs and crosses.
 * @module
 */
import type { RateSourceRecord } from '../store/session-store.js';

/** One source's price of a pair: quote-currency units per whole base unit, and when it was taken. */
export interface SourcePrice {
  /** Decimal string (money is never a float), e.g. `"3012.55"`. */
  rate: string;
  /** When the source took the price (its own timestamp, else its HTTP `Date`, else the fetch time). */
  at: Date;
}

/**
 * One place prices come from. `fetchPrice` throws when the source cannot answer (down, slow,
 * malformed); the aggregator records why and does without it.
 */
export interface MarketSource {
  /** Short name for records and health, e.g. `coinbase`. */
  readonly name: string;
  /** Whether it can price `base` in `quote` at all (a pair it lists). */
  supports(base: string, quote: string): boolean;
  /** Prices one whole `base` in `quote`; `signal` aborts a slow request. */
  fetchPrice(base: string, quote: string, signal: AbortSignal): Promise<SourcePrice>;
}

/** A pair's price as several sources agreed on it, with their quotes for the record. */
export interface PairQuote {
  rate: string;
  /** The oldest time among the quotes used: the price is no fresher than that. */
  at: Date;
  /** The quotes the rate was made from (outliers and stale ones left out). */
  sources: RateSourceRecord[];
}

/** Answers pairs; throws `RateUnavailableError` when it cannot price one now. */
export interface PairSource {
  /** Whether any of its sources can price the pair. */
  supports(base: string, quote: string): boolean;
  /** The pair's price now (from a cache or the sources). */
  quote(base: string, quote: string): Promise<PairQuote>;
  /** The cached price if it is still fresh, without asking anyone; for views rendered synchronously. */
  peek(base: string, quote: string): PairQuote | null;
}

/**
 * Fixed prices from the configuration, for development, tests and merchants who set prices by hand:
 * `rates: { "ETH": "3000.00" }` (US dollars per coin) and `fx_rates: { "EUR": "0.92" }` (units of the
 * currency per US dollar).
 * @example new StaticRateSource({ ETH: '3000' }).fetchPrice('ETH', 'USD', signal) // { rate: '3000', … }
 */
export class StaticRateSource implements MarketSource {
  readonly name = 'static';

  constructor(
    private readonly rates: Readonly<Record<string, string>>,
    private readonly fx: Readonly<Record<string, string>> = {},
    /** The services' clock: a fixed price is as fresh as the moment it is asked for. */
    private readonly clock: () => Date = () => new Date(),
  ) {}

  supports(base: string, quote: string): boolean {
    if (quote === 'USD') return Object.hasOwn(this.rates, base);
    return base === 'USD' && Object.hasOwn(this.fx, quote);
  }

  fetchPrice(base: string, quote: string): Promise<SourcePrice> {
    const rate = quote === 'USD' ? this.rates[base] : base === 'USD' ? this.fx[quote] : undefined;
    if (!rate || !this.supports(base, quote)) {
      return Promise.reject(new Error(`no static rate for ${base}/${quote}`));
    }
    return Promise.resolve({ rate, at: this.clock() });
  }
}
