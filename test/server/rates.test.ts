/**
 * Pricing parts on their own: exact decimal helpers, the currency table, each market-data adapter on
 * recorded fixtures served by a local server, every way a source fails (timeout, 5xx, malformed
 * body, stale timestamp, outlier, all down), the aggregator's cache and single-flight, the SSRF
 * guard on source URLs, and the pricer's pegs, crosses and depeg guard.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { RateUnavailableError } from '../../packages/server/src/errors.js';
import {
  compareDecimals,
  decimalFromJsonNumber,
  deviatesBeyond,
  divideDecimals,
  medianDecimal,
  multiplyDecimals,
} from '../../packages/server/src/money.js';
import { buildPricing } from '../../packages/server/src/rates/build-pricing.js';
import { Currencies, FIAT_MINOR_UNITS } from '../../packages/server/src/rates/currencies.js';
import {
  BinanceSource,
  CoinbaseSource,
  CoinGeckoSource,
  FrankfurterSource,
  KrakenSource,
} from '../../packages/server/src/rates/market-sources.js';
import { RateAggregator } from '../../packages/server/src/rates/rate-aggregator.js';
import { RateHttp } from '../../packages/server/src/rates/rate-http.js';
import { pricingTestConfig, startRateServer, type RateServer } from '../support/rate-server.js';

const ETH = { token: 'ETH', peg: null };
const USDC = { token: 'USDC', peg: 'USD' as const };

describe('exact decimals', () => {
  test('compare, multiply, divide and take medians without floating point', () => {
    assert.equal(compareDecimals('2.50', '2.5'), 0);
    assert.equal(compareDecimals('10', '9.999'), 1);
    assert.equal(multiplyDecimals('3012.55', '0.8612'), '2594.40806');
    assert.equal(divideDecimals('1', '3', 4), '0.3333');
    assert.equal(divideDecimals('2', '3', 4), '0.6667');
    assert.equal(medianDecimal(['3', '1', '2']), '2');
    assert.equal(medianDecimal(['3012.55', '3012.6', '3013.1', '3012.41']), '3012.575');
  });

  test('a deviation check that is exact at the boundary', () => {
    assert.equal(deviatesBeyond('102', '100', '2'), false);
    assert.equal(deviatesBeyond('102.0001', '100', '2'), true);
    assert.equal(deviatesBeyond('98', '100', '2'), false);
    assert.equal(deviatesBeyond('97.99', '100', '2'), true);
  });

  test('JSON numbers from a source become decimal strings, exponents expanded', () => {
    assert.equal(decimalFromJsonNumber(3012.41), '3012.41');
    assert.equal(decimalFromJsonNumber(1.2e-7), '0.00000012');
    assert.equal(decimalFromJsonNumber(1e21), '1000000000000000000000');
    assert.throws(() => decimalFromJsonNumber(0), RangeError);
    assert.throws(() => decimalFromJsonNumber(Number.NaN), RangeError);
  });
});

describe('currencies', () => {
  test('fiat minor units agree with the CLDR data in Node, except where ISO 4217 differs', () => {
    // CLDR shows HUF and IDR without decimals (cash practice); ISO 4217 keeps 2 minor units.
    const isoOverCldr = new Set(['HUF', 'IDR']);
    for (const [code, units] of Object.entries(FIAT_MINOR_UNITS)) {
      const cldr = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
        .maximumFractionDigits;
      if (isoOverCldr.has(code)) assert.equal(units, 2, code);
      else assert.equal(units, cldr, code);
    }
    for (const code of ['USD', 'EUR', 'GBP', 'CHF', 'JPY', 'CAD', 'AUD', 'BRL', 'INR', 'TRY', 'PLN']) {
      assert.ok(Object.hasOwn(FIAT_MINOR_UNITS, code), code);
    }
  });

  test('crypto assets price in their decimals, capped at 18', () => {
    const c = new Currencies([
      { symbol: 'USDC', decimals: 6 },
      { symbol: 'ETH', decimals: 18 },
      { symbol: 'WEIRD', decimals: 24 },
    ]);
    assert.equal(c.minorUnits('JPY'), 0);
    assert.equal(c.minorUnits('USDC'), 6);
    assert.equal(c.minorUnits('WEIRD'), 18);
    assert.equal(c.minorUnits('XXX'), null);
  });
});

describe('market-data adapters on recorded answers', () => {
  let server: RateServer;
  const http = new RateHttp({ allowPrivate: true });
  before(async () => {
    server = await startRateServer();
  });
  after(async () => {
    await http.close();
    await server.close();
  });
  beforeEach(() => server.reset());
  const signal = () => AbortSignal.timeout(2_000);

  test('Coinbase: the spot amount, timed by the answer’s Date header', async () => {
    const date = new Date(Date.now() - 5_000);
    server.set('coinbase', { date });
    const price = await new CoinbaseSource({ http, baseUrl: `${server.url}/coinbase` }).fetchPrice(
      'ETH',
      'USD',
      signal(),
    );
    assert.equal(price.rate, '3012.55');
    assert.equal(price.at.toUTCString(), date.toUTCString());
  });

  test('Kraken: the last trade of the one ticker, under Kraken’s own pair key', async () => {
    const price = await new KrakenSource({ http, baseUrl: `${server.url}/kraken` }).fetchPrice(
      'ETH',
      'USD',
      signal(),
    );
    assert.equal(price.rate, '3012.6');
  });

  test('Kraken: an error list in a 200 answer is a failure', async () => {
    server.set('kraken', { body: '{"error":["EQuery:Unknown asset pair"]}' });
    await assert.rejects(
      new KrakenSource({ http, baseUrl: `${server.url}/kraken` }).fetchPrice('ETH', 'USD', signal()),
      /EQuery:Unknown asset pair/,
    );
  });

  test('Binance: the USDT price, trailing zeros dropped', async () => {
    const price = await new BinanceSource({ http, baseUrl: `${server.url}/binance` }).fetchPrice(
      'ETH',
      'USD',
      signal(),
    );
    assert.equal(price.rate, '3013.1');
  });

  test('CoinGecko: a JSON number made exact, timed by last_updated_at', async () => {
    const price = await new CoinGeckoSource({ http, baseUrl: `${server.url}/coingecko` }).fetchPrice(
      'ETH',
      'USD',
      signal(),
    );
    assert.equal(price.rate, '3012.41');
    assert.ok(Date.now() - price.at.getTime() < 60_000);
    server.set('coingecko', { body: '{"ethereum":{}}' });
    await assert.rejects(
      new CoinGeckoSource({ http, baseUrl: `${server.url}/coingecko` }).fetchPrice('ETH', 'USD', signal()),
      /last_updated_at/,
    );
  });

  test('Frankfurter: the ECB rate of the day, for USD in EUR and JPY', async () => {
    const fx = new FrankfurterSource({ http, baseUrl: `${server.url}/frankfurter/v1` });
    assert.equal((await fx.fetchPrice('USD', 'EUR', signal())).rate, '0.8612');
    const jpy = await fx.fetchPrice('USD', 'JPY', signal());
    assert.equal(jpy.rate, '155.27');
    assert.equal(jpy.at.toISOString().slice(0, 10), new Date().toISOString().slice(0, 10));
  });

  test('a malformed body, a non-2xx answer and a wrong pair are failures, never prices', async () => {
    const coinbase = new CoinbaseSource({ http, baseUrl: `${server.url}/coinbase` });
    server.set('coinbase', { body: '<html>maintenance</html>' });
    await assert.rejects(coinbase.fetchPrice('ETH', 'USD', signal()), /not JSON/);
    server.set('coinbase', { body: '{"data":{"amount":"-1","base":"ETH","currency":"USD"}}' });
    await assert.rejects(coinbase.fetchPrice('ETH', 'USD', signal()), /not a positive decimal/);
    server.set('coinbase', { body: '{"data":{"amount":"3000","base":"BTC","currency":"USD"}}' });
    await assert.rejects(coinbase.fetchPrice('ETH', 'USD', signal()), /another pair/);
    server.set('coinbase', { status: 502, body: 'bad gateway' });
    await assert.rejects(coinbase.fetchPrice('ETH', 'USD', signal()), /HTTP 502/);
  });

  test('a source on a loopback address is refused unless allow_private_sources is set', async () => {
    const guarded = new RateHttp({ allowPrivate: false });
    try {
      await assert.rejects(
        new CoinbaseSource({ http: guarded, baseUrl: `${server.url}/coinbase` }).fetchPrice(
          'ETH',
          'USD',
          signal(),
        ),
        /loopback/,
      );
      assert.equal(server.count('coinbase'), 0);
    } finally {
      await guarded.close();
    }
  });
});

/** Live pricing on the fixture server `server`, with `pricing` overrides. */
function livePricing(server: RateServer, overrides: Record<string, unknown> = {}) {
  return buildPricing(pricingTestConfig({ pricing: server.pricing(overrides) }));
}

describe('the aggregator', () => {
  let server: RateServer;
  before(async () => {
    server = await startRateServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const pricing = (overrides: Record<string, unknown> = {}) => livePricing(server, overrides);

  test('answers the median of all four sources and records each quote', async () => {
    const p = pricing();
    try {
      const rate = await p.pricer.rate(ETH, 'USD');
      // 3012.41, 3012.55, 3012.6, 3013.1 → (3012.55 + 3012.6) / 2
      assert.equal(rate.rate, '3012.575');
      assert.deepEqual(rate.sources.map((s) => s.source).sort(), [
        'binance ETH/USD',
        'coinbase ETH/USD',
        'coingecko ETH/USD',
        'kraken ETH/USD',
      ]);
      assert.equal(rate.moving, true);
    } finally {
      await p.close();
    }
  });

  test('fails over: a slow source, a 5xx, a malformed and a stale one are left out and reported', async () => {
    const p = pricing({ timeout_ms: 200 });
    try {
      server.set('coinbase', { delayMs: 1_000 });
      server.set('kraken', { status: 503, body: '{"error":["EService:Unavailable"]}' });
      server.set('binance', { body: '{"symbol":"ETHUSDT"' });
      const rate = await p.pricer.rate(ETH, 'USD');
      assert.equal(rate.rate, '3012.41');
      assert.deepEqual(
        rate.sources.map((s) => s.source),
        ['coingecko ETH/USD'],
      );
      const health = new Map(p.stats.health().map((h) => [h.source, h]));
      assert.match(health.get('coinbase')!.last_error!, /timed out after 200 ms/);
      assert.match(health.get('kraken')!.last_error!, /HTTP 503/);
      assert.match(health.get('binance')!.last_error!, /not JSON/);
      assert.equal(health.get('coingecko')!.last_error, null);
      assert.ok(health.get('coingecko')!.last_ok_at);
      assert.equal(typeof health.get('coingecko')!.latency_ms, 'number');
    } finally {
      await p.close();
    }
  });

  test('refuses a stale price: an old Date header, an old last_updated_at', async () => {
    const p = pricing({ max_age_s: 60 });
    try {
      server.set('coinbase', { date: new Date(Date.now() - 10 * 60_000) });
      server.set('coingecko', { recordedTime: true });
      const rate = await p.pricer.rate(ETH, 'USD');
      assert.deepEqual(rate.sources.map((s) => s.source).sort(), ['binance ETH/USD', 'kraken ETH/USD']);
      const health = new Map(p.stats.health().map((h) => [h.source, h]));
      assert.match(health.get('coinbase')!.last_error!, /stale/);
      assert.match(health.get('coingecko')!.last_error!, /stale/);
    } finally {
      await p.close();
    }
  });

  test('drops an outlier beyond the configured deviation from the median', async () => {
    const p = pricing({ max_deviation_percent: '1' });
    try {
      server.set('binance', { body: '{"symbol":"ETHUSDT","price":"3400.00000000"}' });
      const rate = await p.pricer.rate(ETH, 'USD');
      // Median of four with the outlier: (3012.6 + 3012.55)/2; without it: the median of three.
      assert.equal(rate.rate, '3012.55');
      assert.ok(!rate.sources.some((s) => s.source.startsWith('binance')));
      assert.match(p.stats.health().find((h) => h.source === 'binance')!.last_error!, /outlier/);
    } finally {
      await p.close();
    }
  });

  test('all sources down → rate_unavailable', async () => {
    const p = pricing();
    try {
      for (const route of ['coinbase', 'kraken', 'binance', 'coingecko'] as const) {
        server.set(route, { status: 500, body: 'oops' });
      }
      await assert.rejects(p.pricer.rate(ETH, 'EUR'), (error: unknown) => {
        assert.ok(error instanceof RateUnavailableError);
        assert.equal(error.statusCode, 503);
        assert.match(error.message, /0 of 4 source\(s\) answered/);
        return true;
      });
    } finally {
      await p.close();
    }
  });

  test('min_sources: fewer agreeing sources than required is unavailable', async () => {
    const p = pricing({ min_sources: 3 });
    try {
      server.set('coinbase', { status: 500 });
      server.set('kraken', { status: 500 });
      await assert.rejects(p.pricer.rate(ETH, 'USD'), RateUnavailableError);
    } finally {
      await p.close();
    }
  });

  test('one request per pair in flight, then the cache answers', async () => {
    const p = pricing({ cache_s: 60 });
    try {
      server.set('coinbase', { delayMs: 100 });
      const rates = await Promise.all(Array.from({ length: 10 }, () => p.pricer.rate(ETH, 'USD')));
      assert.equal(new Set(rates.map((r) => r.rate)).size, 1);
      assert.equal(server.count('coinbase'), 1);
      assert.equal(server.count('kraken'), 1);
      await p.pricer.rate(ETH, 'USD');
      assert.equal(server.count('coinbase'), 1);
      assert.deepEqual(p.pricer.peek(ETH, 'USD')?.rate, rates[0]!.rate);
    } finally {
      await p.close();
    }
  });

  test('a failed source does not stop the aggregator from asking again next time', async () => {
    const agg = new RateAggregator({
      sources: [
        {
          name: 'flaky',
          supports: () => true,
          fetchPrice: (() => {
            let calls = 0;
            return () =>
              ++calls === 1
                ? Promise.reject(new Error('down'))
                : Promise.resolve({ rate: '2', at: new Date() });
          })(),
        },
      ],
      timeoutMs: 100,
      maxAgeMs: 60_000,
      maxDeviationPercent: '2',
      cacheMs: 60_000,
      minSources: 1,
    });
    await assert.rejects(agg.quote('ETH', 'USD'), RateUnavailableError);
    assert.equal((await agg.quote('ETH', 'USD')).rate, '2');
  });
});

describe('the pricer', () => {
  let server: RateServer;
  before(async () => {
    server = await startRateServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const pricing = (overrides: Record<string, unknown> = {}) => livePricing(server, overrides);

  test('crosses through the dollar: ETH in EUR, USDC in JPY, USDC in ETH', async () => {
    const p = pricing();
    try {
      const eth = await p.pricer.rate(ETH, 'EUR');
      assert.equal(eth.rate, multiplyDecimals('3012.575', '0.8612'));
      assert.ok(eth.sources.some((s) => s.source === 'frankfurter USD/EUR' && s.rate === '0.8612'));
      const usdc = await p.pricer.rate(USDC, 'JPY');
      assert.equal(usdc.rate, '155.27');
      assert.equal(usdc.moving, true);
      assert.equal((await p.pricer.rate(USDC, 'USD')).rate, '1');
      assert.equal((await p.pricer.rate(USDC, 'USD')).moving, false);
      assert.equal((await p.pricer.rate(USDC, 'ETH')).rate, divideDecimals('1', '3012.575'));
      assert.equal((await p.pricer.rate(ETH, 'ETH')).rate, '1');
    } finally {
      await p.close();
    }
  });

  test('the depeg guard refuses a stablecoin off its band, and prices it at its peg on it', async () => {
    const guarded = (usdc: string) =>
      buildPricing(
        pricingTestConfig({
          rates: { USDC: usdc },
          fx_rates: { EUR: '0.9' },
          pricing: { depeg_band_percent: '2' },
        }),
      );
    const off = guarded('0.97');
    await assert.rejects(off.pricer.rate(USDC, 'USD'), /trades at 0.97 USD, more than 2% off its peg/);
    await assert.rejects(off.pricer.rate(USDC, 'EUR'), RateUnavailableError);
    const on = guarded('0.985');
    const rate = await on.pricer.rate(USDC, 'EUR');
    // Priced at the peg (1 USD), the market quote kept in the record.
    assert.equal(rate.rate, '0.9');
    assert.ok(rate.sources.some((s) => s.source === 'static USDC/USD' && s.rate === '0.985'));
    // Without the guard, no market price is asked for at all.
    const plain = pricing();
    try {
      assert.deepEqual((await plain.pricer.rate(USDC, 'USD')).sources, []);
    } finally {
      await plain.close();
    }
  });

  test('the buyer pays the spread: the rate is lowered by spread_percent', async () => {
    const p = pricing({ spread_percent: '1', spread_paid_by: 'buyer' });
    try {
      assert.equal((await p.pricer.rate(ETH, 'USD')).rate, multiplyDecimals('3012.575', '0.99'));
    } finally {
      await p.close();
    }
  });
});
