/**
 * Builds pricing from the configuration: the configured market sources behind one aggregator for
 * crypto prices and one for fiat crosses, the {@link Pricer} over both, and the currencies sessions
 * may be priced in. The composition root calls it once.
 * @module
 */
import type { Config } from '../config.js';
import { Currencies } from './currencies.js';
import {
  BinanceSource,
  CoinbaseSource,
  CoinGeckoSource,
  FrankfurterSource,
  KrakenSource,
} from './market-sources.js';
import { Pricer } from './pricer.js';
import { RateAggregator, type RateSourceStats, type SourceHealth } from './rate-aggregator.js';
import { RateHttp } from './rate-http.js';
import { StaticRateSource, type MarketSource } from './rate-source.js';

/** Pricing as the services use it. */
export interface Pricing {
  pricer: Pricer;
  currencies: Currencies;
  /** Every source's health, crypto and fiat, for `/ready` and metrics. */
  stats: RateSourceStats;
  /** Closes the sources' connections. */
  close(): Promise<void>;
}

/**
 * The configured pricing. `clock` is the services' clock (staleness and cache are judged by it).
 * @example const { pricer } = buildPricing(config); await pricer.rate({ token: 'ETH', peg: null }, 'EUR');
 */
export function buildPricing(config: Config, clock?: () => Date): Pricing {
  const p = config.pricing;
  const http = new RateHttp({ allowPrivate: p.allow_private_sources });
  const fixed = new StaticRateSource(config.rates, config.fx_rates, clock);
  const crypto: MarketSource[] = p.sources.map((name) => {
    switch (name) {
      case 'static':
        return fixed;
      case 'coinbase':
        return new CoinbaseSource({ http, baseUrl: p.urls.coinbase });
      case 'kraken':
        return new KrakenSource({ http, baseUrl: p.urls.kraken });
      case 'binance':
        return new BinanceSource({ http, baseUrl: p.urls.binance });
      case 'coingecko':
        return new CoinGeckoSource({ http, baseUrl: p.urls.coingecko, apiKey: p.coingecko_api_key });
    }
  });
  const fiat: MarketSource[] = p.fiat_sources.map((name) =>
    name === 'static' ? fixed : new FrankfurterSource({ http, baseUrl: p.urls.frankfurter }),
  );
  const shared = {
    timeoutMs: p.timeout_ms,
    maxDeviationPercent: p.max_deviation_percent,
    cacheMs: p.cache_s * 1000,
    minSources: p.min_sources,
    clock,
  };
  const cryptoRates = new RateAggregator({ ...shared, sources: crypto, maxAgeMs: p.max_age_s * 1000 });
  const fiatRates = new RateAggregator({
    ...shared,
    sources: fiat,
    maxAgeMs: p.fiat_max_age_s * 1000,
    // One reference source is the norm for fiat: the ECB's rate is the rate.
    minSources: 1,
  });
  const tokens = config.chains.flatMap((chain) => [
    ...chain.tokens.map((t) => ({ symbol: t.symbol, decimals: t.decimals, peg: t.peg ?? null })),
    ...(chain.native ? [{ ...chain.native, peg: null }] : []),
  ]);
  const pricer = new Pricer({
    crypto: cryptoRates,
    fiat: fiatRates,
    pegs: new Map(tokens.map((t) => [t.symbol.toUpperCase(), t.peg])),
    depegBandPercent: p.depeg_band_percent,
    spreadPercent: p.spread_paid_by === 'buyer' ? p.spread_percent : '0',
    clock,
  });
  return {
    pricer,
    currencies: new Currencies(tokens),
    stats: {
      health: (): SourceHealth[] => {
        // `static` may serve both: list it once.
        const all = [...cryptoRates.health(), ...fiatRates.health()];
        return all.filter((h, i) => all.findIndex((o) => o.source === h.source) === i);
      },
    },
    close: () => http.close(),
  };
}
