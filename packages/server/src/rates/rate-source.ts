/** A price of one whole token in a fiat currency, as quoted by a rate source. */
export interface RateQuote {
  /** Fiat units per whole token, as a decimal string (money is never a float), e.g. `"3012.55"`. */
  rate: string;
  /** Which source quoted it, e.g. `static`. */
  source: string;
  /** When the source took the price. */
  at: Date;
}

/**
 * Where native-coin prices come from. The quote is asked for when the buyer picks a method and is
 * locked into the session until it expires, so a source is called once per payment, never per block.
 * Implement it to plug in an exchange or an oracle; {@link StaticRateSource} is the built-in one.
 */
export interface RateSource {
  /** Symbols this source can price, e.g. `ETH`; methods in other native coins are not offered. */
  supports(token: string, currency: 'USD'): boolean;
  /** Quotes one whole `token` in `currency`, or `null` when no price is available right now. */
  quote(token: string, currency: 'USD'): Promise<RateQuote | null>;
}

/**
 * Fixed prices from the configuration (`rates: { "ETH": "3000.00" }`), for development and for
 * merchants who set prices by hand.
 * @example new StaticRateSource({ ETH: '3000' }).quote('ETH', 'USD') // { rate: '3000', source: 'static', … }
 */
export class StaticRateSource implements RateSource {
  constructor(private readonly rates: Readonly<Record<string, string>>) {}

  supports(token: string): boolean {
    return Object.hasOwn(this.rates, token);
  }

  quote(token: string): Promise<RateQuote | null> {
    const rate = Object.hasOwn(this.rates, token) ? this.rates[token] : undefined;
    return Promise.resolve(rate ? { rate, source: 'static', at: new Date() } : null);
  }
}
