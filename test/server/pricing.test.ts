/**
 * Pricing through the API (inject, PGlite) with live rate sources served from recorded fixtures:
 * sessions in EUR and JPY, each method's quote before a choice, the locked rate and its record, the
 * way back (`DELETE …/payment`), a requote once the lock ran out, `rate_unavailable` with nothing
 * written when every source is down, amounts checked against the currency's minor units, the
 * merchant's estimate and the CSV export's rate columns.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { fiatToAtomic, formatAtomic, multiplyDecimals } from '../../packages/server/src/money.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { startRateServer, type RateServer } from '../support/rate-server.js';

/** The median of the four ETH/USD fixtures: (3012.55 + 3012.6) / 2. */
const ETH_USD = '3012.575';
const USD_EUR = '0.8612';
const USD_JPY = '155.27';
const LOCK_S = 900;

describe('pricing through the API', () => {
  let rates: RateServer;
  let app: TestApp;
  let now = Date.now();

  before(async () => {
    rates = await startRateServer();
    app = await buildTestApp(
      // Sources stamp their answers with real time; the test moves its clock past the lock.
      { pricing: rates.pricing({ max_age_s: 3_600, lock_s: LOCK_S }) },
      { clock: () => new Date(now) },
    );
  });
  after(async () => {
    await app.close();
    await rates.close();
  });
  beforeEach(() => {
    rates.reset();
    now = Date.now();
  });

  const buyer = (session: { client_secret: string }) => ({
    authorization: `Bearer ${session.client_secret}`,
  });
  const merchant = () => ({ authorization: `Bearer ${app.secretKey}` });
  async function view(session: { id: string; client_secret: string }): Promise<BuyerSession> {
    const response = await app.server.inject({ url: `/v1/sessions/${session.id}`, headers: buyer(session) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }
  async function choose(session: { id: string; client_secret: string }, method: string) {
    return app.server.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/payment`,
      headers: buyer(session),
      payload: { method },
    });
  }
  async function eventTypes(id: string): Promise<string[]> {
    const { rows } = await app.store.db.query<{ type: string }>(
      'SELECT type FROM session_events WHERE session_id = $1 ORDER BY seq',
      [id],
    );
    return rows.map((r) => r.type);
  }

  test('a EUR session lists every method with its amount at the current rate', async () => {
    const session = await app.createSession({ amount: '49.99', currency: 'eur' });
    assert.equal(session.currency, 'EUR');
    const seen = await view(session);
    const usdc = seen.methods.find((m) => m.id === 'usdc@anvil')!;
    const eth = seen.methods.find((m) => m.id === 'eth@anvil')!;
    assert.deepEqual(
      { amount: usdc.quote?.amount, rate: usdc.quote?.rate, currency: usdc.quote?.currency },
      { amount: formatAtomic(fiatToAtomic('49.99', USD_EUR, 6), 6), rate: USD_EUR, currency: 'EUR' },
    );
    const ethRate = multiplyDecimals(ETH_USD, USD_EUR);
    assert.equal(eth.quote?.rate, ethRate);
    assert.equal(eth.quote?.amount, formatAtomic(fiatToAtomic('49.99', ethRate, 18, 8), 18));
    assert.equal(seen.payment, null);
    assert.equal(seen.can_change_method, false);
  });

  test('choosing locks the rate with its sources; the buyer can go back and choose again', async () => {
    const session = await app.createSession({ amount: '49.99', currency: 'EUR' });
    const chosen = await choose(session, 'eth@anvil');
    assert.equal(chosen.statusCode, 200, chosen.body);
    const paying = chosen.json<BuyerSession>();
    const payment = paying.payment!;
    assert.equal(payment.rate, multiplyDecimals(ETH_USD, USD_EUR));
    assert.equal(payment.rate_locked_until, new Date(now + LOCK_S * 1000).toISOString());
    assert.deepEqual(payment.rate_sources.map((s) => s.source).sort(), [
      'binance ETH/USD',
      'coinbase ETH/USD',
      'coingecko ETH/USD',
      'frankfurter USD/EUR',
      'kraken ETH/USD',
    ]);
    assert.equal(paying.can_change_method, true);

    const back = await app.server.inject({
      method: 'DELETE',
      url: `/v1/sessions/${session.id}/payment`,
      headers: buyer(session),
    });
    assert.equal(back.statusCode, 200, back.body);
    const returned = back.json<BuyerSession>();
    assert.equal(returned.payment, null);
    assert.equal(returned.can_change_method, false);
    assert.ok(returned.methods.every((m) => m.quote !== null));
    assert.deepEqual(await eventTypes(session.id), ['session.open', 'session.updated', 'session.updated']);

    const again = await choose(session, 'usdc@anvil');
    assert.equal(again.statusCode, 200, again.body);
    assert.notEqual(again.json<BuyerSession>().payment!.address, payment.address);
    assert.equal(again.json<BuyerSession>().payment!.rate, USD_EUR);
  });

  test('going back without a chosen method answers the session; a closed session refuses', async () => {
    const session = await app.createSession({ amount: '5', currency: 'EUR' });
    const nothing = await app.server.inject({
      method: 'DELETE',
      url: `/v1/sessions/${session.id}/payment`,
      headers: buyer(session),
    });
    assert.equal(nothing.statusCode, 200);
    assert.equal(nothing.json<BuyerSession>().payment, null);
    assert.equal((await choose(session, 'usdc@anvil')).statusCode, 200);
    now += 31 * 60_000; // past the default 30-minute expiry
    const late = await app.server.inject({
      method: 'DELETE',
      url: `/v1/sessions/${session.id}/payment`,
      headers: buyer(session),
    });
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error.code, 'session_not_open');
  });

  test('the lock runs out with nothing received: the next view requotes and the stream says so', async () => {
    const session = await app.createSession({ amount: '100', currency: 'EUR', expires_in: 3_600 });
    const first = (await choose(session, 'eth@anvil')).json<BuyerSession>().payment!;
    // Within the lock the price moves, and nothing changes.
    rates.set('coinbase', { body: '{"data":{"amount":"2500.00","base":"ETH","currency":"USD"}}' });
    rates.set('kraken', { status: 500 });
    rates.set('binance', { status: 500 });
    rates.set('coingecko', { status: 500 });
    now += (LOCK_S - 1) * 1000;
    assert.equal((await view(session)).payment!.amount_due, first.amount_due);
    now += 2_000;
    const requoted = (await view(session)).payment!;
    const rate = multiplyDecimals('2500', USD_EUR);
    assert.equal(requoted.rate, rate);
    assert.equal(requoted.amount_due, formatAtomic(fiatToAtomic('100', rate, 18, 8), 18));
    assert.equal(requoted.address, first.address);
    assert.equal(requoted.rate_locked_until, new Date(now + LOCK_S * 1000).toISOString());
    assert.deepEqual((await eventTypes(session.id)).slice(-2), ['session.updated', 'session.updated']);
    // The merchant's view carries the new record too.
    const merchantView = await app.server.inject({ url: `/v1/sessions/${session.id}`, headers: merchant() });
    assert.deepEqual(
      merchantView
        .json()
        .payment.rate_sources.map((s: { source: string }) => s.source)
        .sort(),
      ['coinbase ETH/USD', 'frankfurter USD/EUR'],
    );
  });

  test('every source down → 503 rate_unavailable with Retry-After, and nothing written', async () => {
    const session = await app.createSession({ amount: '10', currency: 'EUR' });
    for (const route of ['coinbase', 'kraken', 'binance', 'coingecko'] as const) {
      rates.set(route, { status: 502, body: 'bad gateway' });
    }
    const eventsBefore = await eventTypes(session.id);
    const response = await choose(session, 'eth@anvil');
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().error.code, 'rate_unavailable');
    assert.equal(response.headers['retry-after'], '30');
    assert.deepEqual(await eventTypes(session.id), eventsBefore);
    const { rows } = await app.store.db.query('SELECT 1 FROM deposits WHERE session_id = $1', [session.id]);
    assert.equal(rows.length, 0);
    const seen = await view(session);
    assert.equal(seen.payment, null);
    assert.equal(seen.methods.find((m) => m.id === 'eth@anvil')!.quote, null);
    // The stablecoin still prices: its leg is the FX source only.
    assert.equal((await choose(session, 'usdc@anvil')).statusCode, 200);
  });

  test('amounts are checked against the currency’s minor units; unknown currencies are refused', async () => {
    const create = (amount: string, currency: string) =>
      app.server.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: merchant(),
        payload: { amount, currency },
      });
    const yen = await create('1000.5', 'JPY');
    assert.equal(yen.statusCode, 400);
    assert.equal(yen.json().error.code, 'invalid_request');
    assert.deepEqual(yen.json().error.issues, [{ path: 'amount', message: 'JPY has no decimal places' }]);
    assert.equal((await create('1000', 'JPY')).statusCode, 201);
    assert.equal((await create('1000.00', 'JPY')).statusCode, 201);
    assert.equal((await create('10.001', 'EUR')).statusCode, 400);
    const xxx = await create('1', 'XXX');
    assert.equal(xxx.statusCode, 400);
    assert.equal(xxx.json().error.code, 'currency_not_supported');
    // A session priced in a crypto asset: 0.5 ETH, paid in ETH at 1:1 or in USDC at the market.
    const inEth = await create('0.5', 'ETH');
    assert.equal(inEth.statusCode, 201, inEth.body);
    const seen = await view(inEth.json());
    assert.equal(seen.methods.find((m) => m.id === 'eth@anvil')!.quote?.amount, '0.5');
    assert.equal(
      seen.methods.find((m) => m.id === 'usdc@anvil')!.quote?.amount,
      formatAtomic(fiatToAtomic('0.5', seen.methods.find((m) => m.id === 'usdc@anvil')!.quote!.rate, 6), 6),
    );
  });

  test('a JPY session quotes USDC at the ECB cross', async () => {
    const session = await app.createSession({ amount: '1500', currency: 'JPY' });
    const usdc = (await view(session)).methods.find((m) => m.id === 'usdc@anvil')!;
    assert.equal(usdc.quote?.rate, USD_JPY);
    assert.equal(usdc.quote?.amount, formatAtomic(fiatToAtomic('1500', USD_JPY, 6), 6));
  });

  test('the merchant estimate converts at the current rate, per method', async () => {
    const response = await app.server.inject({
      url: '/v1/rates/estimate?amount=49.99&from=EUR&to=eth',
      headers: merchant(),
    });
    assert.equal(response.statusCode, 200, response.body);
    const estimate = response.json();
    const rate = multiplyDecimals(ETH_USD, USD_EUR);
    assert.equal(estimate.rate, rate);
    assert.equal(estimate.estimate, formatAtomic(fiatToAtomic('49.99', rate, 18, 8), 18));
    assert.deepEqual(
      estimate.methods.map((m: { id: string }) => m.id),
      ['eth@anvil'],
    );
    // The test chain's node is not running: no fee estimate, said plainly.
    assert.equal(estimate.methods[0].network_fee, null);
    const forbidden = await app.server.inject({
      url: '/v1/rates/estimate?amount=1&from=EUR&to=ETH',
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(forbidden.statusCode, 401);
    const unknown = await app.server.inject({
      url: '/v1/rates/estimate?amount=1&from=EUR&to=BTC',
      headers: merchant(),
    });
    assert.equal(unknown.statusCode, 400);
  });

  test('the CSV export carries the rate, its lock and its sources', async () => {
    const session = await app.createSession({ amount: '20', currency: 'EUR', order_id: 'csv-rate' });
    assert.equal((await choose(session, 'eth@anvil')).statusCode, 200);
    const csv = await app.server.inject({
      url: '/v1/sessions/export.csv?order_id=csv-rate',
      headers: merchant(),
    });
    assert.equal(csv.statusCode, 200);
    const [header, row] = csv.body.trim().split('\r\n');
    const columns = header!.split(',');
    assert.ok(columns.includes('rate_sources'));
    assert.ok(row!.includes(multiplyDecimals(ETH_USD, USD_EUR)));
    assert.ok(row!.includes('frankfurter USD/EUR'));
  });

  test('/ready lists each rate source’s health', async () => {
    rates.set('kraken', { status: 500 });
    await app.createSession({ amount: '1', currency: 'EUR' }).then(view);
    const ready = await app.server.inject({ url: '/ready' });
    const sources = new Map(
      ready.json().rates.sources.map((s: { source: string; last_error: string | null }) => [s.source, s]),
    );
    assert.deepEqual([...sources.keys()].sort(), [
      'binance',
      'coinbase',
      'coingecko',
      'frankfurter',
      'kraken',
    ]);
    assert.match((sources.get('kraken') as { last_error: string }).last_error, /HTTP 500/);
  });
});

describe('underpayment tolerance in the session currency', () => {
  let rates: RateServer;
  let app: TestApp;
  before(async () => {
    rates = await startRateServer();
    app = await buildTestApp({
      pricing: rates.pricing(),
      underpayment_tolerance_percent: '0.1',
      underpayment_tolerance_fixed: { EUR: '0.50' },
    });
  });
  after(async () => {
    await app.close();
    await rates.close();
  });

  async function minimum(amount: string, currency: string): Promise<{ due: bigint; min: bigint }> {
    const session = await app.createSession({ amount, currency });
    const chosen = await app.server.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/payment`,
      headers: { authorization: `Bearer ${session.client_secret}` },
      payload: { method: 'usdc@anvil' },
    });
    assert.equal(chosen.statusCode, 200, chosen.body);
    const { rows } = await app.store.db.query<{ due: string; min: string }>(
      'SELECT amount_due_atomic::text AS due, amount_min_atomic::text AS min FROM deposits WHERE session_id = $1',
      [session.id],
    );
    return { due: BigInt(rows[0]!.due), min: BigInt(rows[0]!.min) };
  }

  test('a fixed amount converts at the locked rate, rounded down; the larger allowance applies', async () => {
    // 10 EUR: 0.1 % is 0.01 EUR, less than the fixed 0.50 EUR = 0.580585 USDC at 0.8612.
    const small = await minimum('10', 'EUR');
    assert.equal(small.due - small.min, 580_585n);
    // 1000 EUR: 0.1 % (1.161169 USDC) beats the fixed 0.50 EUR.
    const large = await minimum('1000', 'EUR');
    assert.equal(large.due - large.min, large.due / 1000n);
    // A currency without a fixed amount: the percentage only.
    const yen = await minimum('1000', 'JPY');
    assert.equal(yen.due - yen.min, yen.due / 1000n);
  });
});
