/**
 * A session's rate: how many units of its currency one whole token is worth, built from pairs. Every
 * price goes through US dollars, the currency all the sources share: a token's dollar value comes
 * from the crypto sources (or its peg), a fiat currency's from the reference FX source. ETH in EUR
 * is ETH/USD × USD/EUR; USDC in JPY is USD/JPY; ETH in BTC is ETH/USD ÷ BTC/USD. Stablecoins sit at
 * their peg unless the depeg guard is on, which prices them too and refuses outside its band.
 * @module
 */
import { RateUnavailableError } from '../errors.js';
import { deviatesBeyond, divideDecimals, multiplyDecimals } from '../money.js';
import type { RateSourceRecord } from '../store/session-store.js';
import { isFiat } from './currencies.js';
import type { PairQuote, PairSource } from './rate-source.js';

/** A token as the pricer needs it: its symbol and the fiat it is pegged to, if any. */
export interface PricedToken {
  token: string;
  peg: 'USD' | null;
}

/** A token's rate in a currency, with the quotes it was built from. */
export interface TokenRate {
  /** Currency units per whole token. */
  rate: string;
  /** When the oldest quote behind it was taken. */
  at: Date;
  sources: RateSourceRecord[];
  /** Whether the rate moves with the market (a lock window applies) or is fixed (1:1, a peg). */
  moving: boolean;
}

/** What the pricer needs. */
export interface PricerOptions {
  /** Crypto assets in US dollars (`ETH/USD`). */
  crypto: PairSource;
  /** US dollars in other fiat currencies (`USD/EUR`). */
  fiat: PairSource;
  /** Pegs of the accepted tokens by symbol, so a session priced in `USDC` counts it as a dollar. */
  pegs: ReadonlyMap<string, 'USD' | null>;
  /** When set, stablecoins are priced from the market too and refused beyond this many percent off their peg. */
  depegBandPercent?: string | null | undefined;
  /** Percent taken off the market rate when the buyer pays the spread (`"0"`: the merchant bears it). */
  spreadPercent?: string | undefined;
  clock?: (() => Date) | undefined;
}

interface Leg {
  kind: 'crypto' | 'fiat';
  base: string;
  quote: string;
}

/** Prices tokens in session currencies from a crypto and a fiat {@link PairSource}. */
export class Pricer {
  private readonly clock: () => Date;

  constructor(private readonly options: PricerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Whether sessions in `currency` can be priced at all (some source lists what it needs). */
  supportsCurrency(currency: string): boolean {
    if (this.isDollar(currency)) return true;
    if (isFiat(currency)) return this.options.fiat.supports('USD', currency);
    return this.options.pegs.has(currency) && this.options.crypto.supports(currency, 'USD');
  }

  /** Whether `token` can be priced in `currency` by the configured sources. */
  supports(token: PricedToken, currency: string): boolean {
    return this.legs(token, currency).every((leg) => this.sourceOf(leg).supports(leg.base, leg.quote));
  }

  /** The token's rate now; throws `RateUnavailableError` when a leg has no price. */
  async rate(token: PricedToken, currency: string): Promise<TokenRate> {
    const legs = this.legs(token, currency);
    const quotes = await Promise.all(legs.map((leg) => this.sourceOf(leg).quote(leg.base, leg.quote)));
    return this.compose(token, currency, legs, quotes);
  }

  /** The token's rate from cached prices only, or `null` when one is missing; never asks a source. */
  peek(token: PricedToken, currency: string): TokenRate | null {
    const legs = this.legs(token, currency);
    const quotes = legs.map((leg) => this.sourceOf(leg).peek(leg.base, leg.quote));
    if (quotes.some((q) => q === null)) return null;
    try {
      return this.compose(token, currency, legs, quotes as PairQuote[]);
    } catch {
      return null;
    }
  }

  private sourceOf(leg: Leg): PairSource {
    return leg.kind === 'crypto' ? this.options.crypto : this.options.fiat;
  }

  /** Whether `symbol` counts as one US dollar (the dollar, or a dollar stablecoin). */
  private isDollar(symbol: string): boolean {
    return symbol === 'USD' || this.options.pegs.get(symbol) === 'USD';
  }

  /** The pairs a rate needs, in the order {@link compose} reads them. */
  private legs(token: PricedToken, currency: string): Leg[] {
    const legs: Leg[] = [];
    if (token.peg && this.options.depegBandPercent)
      legs.push({ kind: 'crypto', base: token.token, quote: 'USD' });
    if (token.token === currency) return legs;
    if (!token.peg) legs.push({ kind: 'crypto', base: token.token, quote: 'USD' });
    if (this.isDollar(currency)) return legs;
    legs.push(
      isFiat(currency)
        ? { kind: 'fiat', base: 'USD', quote: currency }
        : { kind: 'crypto', base: currency, quote: 'USD' },
    );
    return legs;
  }

  private compose(token: PricedToken, currency: string, legs: Leg[], quotes: PairQuote[]): TokenRate {
    const queue = [...quotes];
    const sources: RateSourceRecord[] = quotes.flatMap((q) => q.sources);
    const at = quotes.length ? new Date(Math.min(...quotes.map((q) => q.at.getTime()))) : this.clock();
    if (token.peg && this.options.depegBandPercent) {
      const market = queue.shift()!;
      if (deviatesBeyond(market.rate, '1', this.options.depegBandPercent)) {
        throw new RateUnavailableError(
          `${token.token} trades at ${market.rate} ${token.peg}, more than ${this.options.depegBandPercent}% off its peg; it is not accepted until it recovers`,
        );
      }
    }
    if (token.token === currency) return { rate: '1', at, sources, moving: false };
    // The token's value in dollars: its peg, or the market.
    let rate = token.peg ? '1' : queue.shift()!.rate;
    if (!this.isDollar(currency)) {
      const other = queue.shift()!.rate;
      rate = isFiat(currency) ? multiplyDecimals(rate, other) : divideDecimals(rate, other);
    }
    const spread = this.options.spreadPercent ?? '0';
    if (/[1-9]/.test(spread)) {
      // The buyer pays the spread: a lower rate means more tokens for the same price (BTCPay's bid).
      rate = divideDecimals(multiplyDecimals(rate, subtractFromHundred(spread)), '100');
    }
    // Only the depeg guard's leg, or none: the rate is fixed (1:1 or a peg) and needs no lock.
    const guarded = token.peg && this.options.depegBandPercent ? 1 : 0;
    return { rate, at, sources, moving: legs.length > guarded };
  }
}

/** `100 - percent` as a decimal string, for a percent between 0 and 100. */
function subtractFromHundred(percent: string): string {
  const [whole, fraction = ''] = percent.split('.');
  const scale = 10n ** BigInt(fraction.length);
  const units = 100n * scale - BigInt(whole! + fraction);
  const text = units.toString().padStart(fraction.length + 1, '0');
  return fraction.length ? `${text.slice(0, -fraction.length)}.${text.slice(-fraction.length)}` : text;
}
