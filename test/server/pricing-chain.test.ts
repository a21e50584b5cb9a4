/**
 * Sessions priced in EUR and JPY, paid end to end on a real anvil node at rates the live adapters
 * read from the fixture server (the one faked seam: the public market-data APIs). The amount due is
 * the price converted at the locked rate; the transfers settle it; the record keeps each source's
 * quote; and once money arrived the buyer can no longer go back to the method list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fiatToAtomic, formatAtomic, multiplyDecimals } from '../../packages/server/src/money.js';
import { startRateServer, type RateServer } from '../support/rate-server.js';
import { startStack, type Stack } from '../support/stack.js';
import { choose, view, waitFor } from '../support/wait.js';

describe('sessions in EUR and JPY paid on anvil at live rates', () => {
  let rates: RateServer;
  let stack: Stack;

  before(async () => {
    rates = await startRateServer();
    stack = await startStack({ config: { pricing: rates.pricing({ cache_s: 30 }) } });
  });
  after(async () => {
    await stack?.stop();
    await rates?.close();
  });

  test('49.99 EUR paid in USDC at the ECB cross', async () => {
    const session = await stack.createSession({ amount: '49.99', currency: 'EUR', order_id: 'eur-1' });
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const payment = buyer.payment!;
    assert.equal(payment.rate, '0.8612');
    assert.equal(payment.amount_due, formatAtomic(fiatToAtomic('49.99', '0.8612', 6), 6));
    assert.deepEqual(
      payment.rate_sources.map((s) => [s.source, s.rate]),
      [['frankfurter USD/EUR', '0.8612']],
    );
    await stack.pay(payment.address, payment.amount_due);
    await stack.mine(1);
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'paid',
      15_000,
      'the EUR session is paid',
    );
    const paid = await view(stack.apiUrl, stack.secretKey, session.id);
    assert.equal(paid.amount_received, payment.amount_due);
    assert.equal(paid.payment!.rate, '0.8612');
  });

  test('1500 JPY paid in ETH; after the first transfer the method cannot change', async () => {
    const session = await stack.createSession({ amount: '1500', currency: 'JPY', order_id: 'jpy-1' });
    const buyer = await choose(stack.apiUrl, session, 'eth@anvil');
    const payment = buyer.payment!;
    const rate = multiplyDecimals('3012.575', '155.27');
    assert.equal(payment.rate, rate);
    const due = fiatToAtomic('1500', rate, 18, 8);
    assert.equal(payment.amount_due, formatAtomic(due, 18));
    assert.ok(payment.rate_locked_until);
    assert.equal(buyer.can_change_method, true);

    // Half now: the address has money on it, so the buyer cannot go back to the method list.
    const half = formatAtomic(due / 2n, 18);
    await stack.pay(payment.address, half, 'eth');
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).transfers.length === 1,
      15_000,
      'the first transfer is seen',
    );
    const back = await fetch(`${stack.apiUrl}/v1/sessions/${session.id}/payment`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.client_secret}` },
    });
    assert.equal(back.status, 409);
    assert.equal(((await back.json()) as { error: { code: string } }).error.code, 'payment_in_progress');
    assert.equal((await view(stack.apiUrl, stack.secretKey, session.id)).can_change_method, false);

    // The rest, valued at the locked rate whatever the market does meanwhile.
    rates.set('coinbase', { body: '{"data":{"amount":"1000.00","base":"ETH","currency":"USD"}}' });
    await stack.pay(payment.address, formatAtomic(due - due / 2n, 18), 'eth');
    await stack.mine(1);
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'paid',
      15_000,
      'the JPY session is paid',
    );
    const paid = await view(stack.apiUrl, stack.secretKey, session.id);
    assert.equal(paid.payment!.rate, rate);
    assert.equal(paid.amount_received, formatAtomic(due, 18));
    assert.ok(
      paid.payment!.rate_sources.some((s) => s.source === 'frankfurter USD/JPY' && s.rate === '155.27'),
    );
  });
});
