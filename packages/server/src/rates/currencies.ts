/**
 * The currencies a session can be priced in: ISO 4217 fiat codes with their minor units, and the
 * crypto assets the server accepts. Fiat minor units come from ISO 4217 (the list the ECB reference
 * rates cover, so every fiat here has a cross); a test checks them against the CLDR data that ships
 * with Node's ICU, so a typo cannot slip in. No npm package was worth a dependency for 30 entries.
 * @module
 */

/**
 * ISO 4217 minor units (decimal places) of the fiat currencies sessions may be priced in: those the
 * ECB publishes reference rates for, plus the euro. JPY, KRW and ISK have none.
 */
export const FIAT_MINOR_UNITS: Readonly<Record<string, number>> = {
  AUD: 2,
  BGN: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  ISK: 0,
  JPY: 0,
  KRW: 0,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  PHP: 2,
  PLN: 2,
  RON: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TRY: 2,
  USD: 2,
  ZAR: 2,
};

/** Whether `code` is a fiat currency sessions may be priced in. */
export function isFiat(code: string): boolean {
  return Object.hasOwn(FIAT_MINOR_UNITS, code);
}

/**
 * What the server knows about pricing currencies: the fiat table and the crypto assets of its
 * configured methods (a session priced in `USDC` or `ETH`), each with its decimals.
 */
export class Currencies {
  private readonly crypto = new Map<string, number>();

  /** `assets`: the accepted tokens' symbols and decimals (the fewest decimals wins on a clash). */
  constructor(assets: Iterable<{ symbol: string; decimals: number }>) {
    for (const { symbol, decimals } of assets) {
      const code = symbol.toUpperCase();
      if (isFiat(code)) continue;
      // The wire caps a decimal string at 18 fraction digits.
      const places = Math.min(decimals, 18);
      this.crypto.set(code, Math.min(places, this.crypto.get(code) ?? places));
    }
  }

  /** Decimal places an amount in `code` may have, or `null` when the currency is not supported. */
  minorUnits(code: string): number | null {
    return FIAT_MINOR_UNITS[code] ?? this.crypto.get(code) ?? null;
  }

  /** Every supported code, fiat first, for error messages and documentation. */
  codes(): string[] {
    return [...Object.keys(FIAT_MINOR_UNITS), ...[...this.crypto.keys()].sort()];
  }
}
