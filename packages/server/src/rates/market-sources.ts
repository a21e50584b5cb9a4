/**
 * Adapters for public market-data APIs, one small class each: Coinbase, Kraken, Binance and
 * CoinGecko price crypto assets in US dollars; Frankfurter (the ECB's daily reference rates) prices
 * US dollars in other fiat currencies, for the cross. Each parses exactly the documented shape and
 * throws on anything else — a malformed answer is a failed source, never a price.
 * Base URLs come from the configuration, so tests point them at a local fixture server.
 * @module
 */
import { decimalFromJsonNumber, parseDecimal } from '../money.js';
import { isFiat } from './currencies.js';
import type { RateHttp } from './rate-http.js';
import { SourceResponseError } from './rate-http.js';
import type { MarketSource, SourcePrice } from './rate-source.js';

/** A positive decimal string from a source, or a {@link SourceResponseError}. */
function positiveDecimal(value: unknown, what: string): string {
  if (typeof value === 'number') {
    try {
      return decimalFromJsonNumber(value);
    } catch {
      throw new SourceResponseError(`${what} is not a positive number`);
    }
  }
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value) || parseDecimal(value).units === 0n) {
    throw new SourceResponseError(`${what} is not a positive decimal`);
  }
  // Trailing zeros ("3012.55000000" from Binance) say nothing; the record keeps the value.
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

/** The body as JSON, or a {@link SourceResponseError}. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SourceResponseError('answered a body that is not JSON');
  }
}

/** Field `key` of an object, `undefined` when `value` is no object. */
function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** A crypto asset priced in US dollars: the pairs the exchange adapters answer. */
const cryptoInUsd = (base: string, quote: string) => quote === 'USD' && !isFiat(base);

/** Options every HTTP adapter takes. */
export interface HttpSourceOptions {
  http: RateHttp;
  /** The API's base URL, without a trailing slash. */
  baseUrl: string;
}

/**
 * Coinbase's public spot price, `GET /v2/prices/ETH-USD/spot` →
 * `{"data":{"amount":"3012.55","base":"ETH","currency":"USD"}}`. No timestamp in the body: the
 * answer's `Date` header is used.
 */
export class CoinbaseSource implements MarketSource {
  readonly name = 'coinbase';
  constructor(private readonly options: HttpSourceOptions) {}

  supports(base: string, quote: string): boolean {
    return cryptoInUsd(base, quote);
  }

  async fetchPrice(base: string, quote: string, signal: AbortSignal): Promise<SourcePrice> {
    const pair = `${encodeURIComponent(base)}-${encodeURIComponent(quote)}`;
    const { text, date } = await this.options.http.get(
      `${this.options.baseUrl}/v2/prices/${pair}/spot`,
      signal,
    );
    const data = field(parseJson(text), 'data');
    if (field(data, 'base') !== base || field(data, 'currency') !== quote) {
      throw new SourceResponseError(`answered another pair than ${base}-${quote}`);
    }
    return { rate: positiveDecimal(field(data, 'amount'), 'data.amount'), at: date ?? new Date() };
  }
}

/** Kraken's names for assets whose ticker differs from the usual one. */
const KRAKEN_ASSETS: Readonly<Record<string, string>> = { BTC: 'XBT' };

/**
 * Kraken's public ticker, `GET /0/public/Ticker?pair=ETHUSD` →
 * `{"error":[],"result":{"XETHZUSD":{"c":["3012.55","0.1"],…}}}`, keyed by Kraken's own pair name;
 * the last trade price `c[0]` is used. Errors come as a 200 with a non-empty `error` list.
 */
export class KrakenSource implements MarketSource {
  readonly name = 'kraken';
  constructor(private readonly options: HttpSourceOptions) {}

  supports(base: string, quote: string): boolean {
    return cryptoInUsd(base, quote);
  }

  async fetchPrice(base: string, quote: string, signal: AbortSignal): Promise<SourcePrice> {
    const pair = `${KRAKEN_ASSETS[base] ?? base}${quote}`;
    const { text, date } = await this.options.http.get(
      `${this.options.baseUrl}/0/public/Ticker?pair=${encodeURIComponent(pair)}`,
      signal,
    );
    const body = parseJson(text);
    const errors = field(body, 'error');
    if (!Array.isArray(errors)) throw new SourceResponseError('answered without an error list');
    if (errors.length)
      throw new SourceResponseError(`answered ${errors.map(String).join('; ').slice(0, 200)}`);
    const result = field(body, 'result');
    const tickers = result && typeof result === 'object' ? Object.values(result) : [];
    if (tickers.length !== 1) throw new SourceResponseError(`answered ${tickers.length} tickers for ${pair}`);
    const last = field(tickers[0], 'c');
    if (!Array.isArray(last)) throw new SourceResponseError('answered a ticker without a last trade');
    return { rate: positiveDecimal(last[0], 'c[0]'), at: date ?? new Date() };
  }
}

/**
 * Binance's spot ticker, `GET /api/v3/ticker/price?symbol=ETHUSDT` → `{"symbol":"ETHUSDT","price":"3012.55000000"}`.
 * Binance lists crypto against USDT, not US dollars: its price stands for the dollar price (USDT
 * trades within a fraction of a percent of it; the aggregator's outlier check drops it if not).
 */
export class BinanceSource implements MarketSource {
  readonly name = 'binance';
  constructor(private readonly options: HttpSourceOptions) {}

  supports(base: string, quote: string): boolean {
    return cryptoInUsd(base, quote) && base !== 'USDT';
  }

  async fetchPrice(base: string, quote: string, signal: AbortSignal): Promise<SourcePrice> {
    const symbol = `${base}${quote === 'USD' ? 'USDT' : quote}`;
    const { text, date } = await this.options.http.get(
      `${this.options.baseUrl}/api/v3/ticker/price?symbol=${encodeURIComponent(symbol)}`,
      signal,
    );
    const body = parseJson(text);
    if (field(body, 'symbol') !== symbol)
      throw new SourceResponseError(`answered another symbol than ${symbol}`);
    return { rate: positiveDecimal(field(body, 'price'), 'price'), at: date ?? new Date() };
  }
}

/** CoinGecko's ids of the assets this server may accept. */
const COINGECKO_IDS: Readonly<Record<string, string>> = {
  BTC: 'bitcoin',
  LTC: 'litecoin',
  ETH: 'ethereum',
  USDC: 'usd-coin',
  USDT: 'tether',
  DAI: 'dai',
  POL: 'polygon-ecosystem-token',
  MATIC: 'matic-network',
  BNB: 'binancecoin',
  AVAX: 'avalanche-2',
  TRX: 'tron',
};

/**
 * CoinGecko's simple price, `GET /api/v3/simple/price?ids=ethereum&vs_currencies=usd&include_last_updated_at=true`
 * → `{"ethereum":{"usd":3012.55,"last_updated_at":1733320000}}`. Prices are JSON numbers (their
 * shortest decimal form is taken); the demo API wants a key in `x-cg-demo-api-key`.
 */
export class CoinGeckoSource implements MarketSource {
  readonly name = 'coingecko';
  constructor(private readonly options: HttpSourceOptions & { apiKey?: string | undefined }) {}

  supports(base: string, quote: string): boolean {
    return cryptoInUsd(base, quote) && Object.hasOwn(COINGECKO_IDS, base);
  }

  async fetchPrice(base: string, quote: string, signal: AbortSignal): Promise<SourcePrice> {
    const id = COINGECKO_IDS[base];
    if (!id) throw new SourceResponseError(`has no id for ${base}`);
    const vs = quote.toLowerCase();
    const { text } = await this.options.http.get(
      `${this.options.baseUrl}/api/v3/simple/price?ids=${id}&vs_currencies=${vs}&include_last_updated_at=true`,
      signal,
      this.options.apiKey ? { 'x-cg-demo-api-key': this.options.apiKey } : {},
    );
    const entry = field(parseJson(text), id);
    // CoinGecko leaves unknown ids and currencies out silently: an empty object is no price.
    const updated = field(entry, 'last_updated_at');
    if (typeof updated !== 'number' || !Number.isInteger(updated) || updated <= 0) {
      throw new SourceResponseError('answered without last_updated_at');
    }
    return { rate: positiveDecimal(field(entry, vs), `${id}.${vs}`), at: new Date(updated * 1000) };
  }
}

/**
 * Frankfurter, the ECB's daily reference rates as JSON (its v1 API, base URL
 * `https://api.frankfurter.dev/v1`): `GET /latest?base=USD&symbols=EUR` →
 * `{"amount":1.0,"base":"USD","date":"2026-12-03","rates":{"EUR":0.9512}}`. The ECB publishes on
 * banking days around 16:00 CET; a rate is taken as of 15:00 UTC on its date.
 */
export class FrankfurterSource implements MarketSource {
  readonly name = 'frankfurter';
  constructor(private readonly options: HttpSourceOptions) {}

  supports(base: string, quote: string): boolean {
    return base !== quote && isFiat(base) && isFiat(quote);
  }

  async fetchPrice(base: string, quote: string, signal: AbortSignal): Promise<SourcePrice> {
    const { text } = await this.options.http.get(
      `${this.options.baseUrl}/latest?base=${encodeURIComponent(base)}&symbols=${encodeURIComponent(quote)}`,
      signal,
    );
    const body = parseJson(text);
    if (field(body, 'base') !== base || field(body, 'amount') !== 1) {
      throw new SourceResponseError(`answered another base than 1 ${base}`);
    }
    const date = field(body, 'date');
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      throw new SourceResponseError('answered without a date');
    }
    const at = new Date(`${date}T15:00:00Z`);
    if (Number.isNaN(at.getTime())) throw new SourceResponseError('answered an invalid date');
    return { rate: positiveDecimal(field(field(body, 'rates'), quote), `rates.${quote}`), at };
  }
}
