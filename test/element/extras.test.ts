/// <reference types="mocha" />
/**
 * The lazily loaded payment view (payment-extras.ts) failing to load, against the real backend and
 * anvil: the element retries with backoff and, when every attempt failed, shows the essentials it
 * draws itself (amount, token, network, address, copy buttons, plain method buttons) with a notice, a
 * retry and a `checkout-error`. The chunk's import is made to fail at the one seam for it,
 * `extrasChunk.load` in session-controller.ts (a browser cannot be made to fail one dynamic import
 * otherwise, and a real failed import may stay cached in the page's module map for the other tests).
 */
import { expect } from '@open-wc/testing';
import { formatFiat, trimAmount } from '../../src/element/format.js';
import { extrasChunk, qrChunk } from '../../src/element/session-controller.js';
import { buyerSession, mount, part, parts, spyClipboard, stack, text, until } from './helpers.js';

const realLoad = extrasChunk.load;
const realDelays = extrasChunk.retryDelays;

/** Makes the chunk's import fail `failures` times (forever by default); counts the attempts. */
function failChunk(failures = Infinity) {
  const attempts = { count: 0 };
  extrasChunk.load = () =>
    ++attempts.count <= failures
      ? Promise.reject(new TypeError('Failed to fetch dynamically imported module: payment-extras.js'))
      : realLoad();
  return attempts;
}

describe('<crypto-checkout> when its payment view fails to load', () => {
  beforeEach(() => (extrasChunk.retryDelays = [20, 40]));
  afterEach(() => {
    extrasChunk.load = realLoad;
    extrasChunk.retryDelays = realDelays;
  });

  it('retries with backoff and shows the full payment view when a later attempt loads it', async () => {
    const attempts = failChunk(2);
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const { el, events } = await mount(session.client_secret);
    await until(() => part(el, 'qr')?.querySelector('svg'), 'the QR code is drawn');
    expect(attempts.count, 'two failures, then the third attempt').to.equal(3);
    expect(part(el, 'retry-button')).to.equal(null);
    expect(events.of('checkout-error')).to.have.length(0);
  });

  it('shows amount, token, network and address without it, with a notice, a retry and checkout-error', async () => {
    const attempts = failChunk();
    const clipboard = spyClipboard();
    try {
      const session = await stack.createSession({ methods: ['usdc@anvil'] });
      const { el, events } = await mount(session.client_secret);
      const error = await events.next<{ code: string; message: string }>('checkout-error');
      expect(error.detail.code).to.equal('extras_unavailable');
      // One attempt and two retries before the error; a later call may have begun a new round since.
      expect(attempts.count, 'one attempt and two retries').to.be.at.least(3);
      await until(() => part(el, 'address'), 'the address is shown without the chunk');
      const payment = (await buyerSession(session)).payment!;
      expect(part(el, 'spinner')).to.equal(null);
      expect(text(el, 'amount-due')).to.equal(trimAmount(payment.amount_due));
      expect(text(el, 'token')).to.equal('USDC');
      expect(text(el, 'network-warning')).to.equal(`Send USDC on ${payment.network} only.`);
      expect(text(el, 'address')).to.equal(payment.address);
      expect(text(el, 'error')).to.equal(
        'Part of the checkout could not load. The payment details below are all you need.',
      );
      const copy = parts(el, 'copy-button').find((b) => b.getAttribute('aria-label') === 'Copy address')!;
      copy.click();
      await until(() => clipboard.copied.length, 'the address is copied');
      expect(clipboard.copied).to.deep.equal([payment.address]);
      await expect(el).to.be.accessible();

      // The buyer's retry loads it (the connection is back): the full view, QR code and all.
      extrasChunk.load = realLoad;
      (part(el, 'retry-button') as HTMLButtonElement).click();
      await until(() => part(el, 'qr')?.querySelector('svg'), 'the QR code is drawn after the retry');
      expect(part(el, 'retry-button')).to.equal(null);
      expect(part(el, 'error')).to.equal(null);
      expect(events.of('checkout-error')).to.have.length(1);
    } finally {
      clipboard.restore();
    }
  });

  it('offers the methods as plain buttons without it; a method chosen shows its QR code, address and a way back', async () => {
    failChunk();
    const session = await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'] });
    const { el, events } = await mount(session.client_secret);
    await events.next('checkout-error');
    await until(() => parts(el, 'method').length === 2, 'plain method buttons');
    const eth = parts(el, 'method').find((b) => b.dataset.method === 'eth@anvil')!;
    expect(eth.textContent!.replace(/\s+/g, ' ').trim()).to.match(/^ETH on /);
    eth.click();
    await until(() => part(el, 'address'), 'the address of the ETH payment');
    const payment = (await buyerSession(session)).payment!;
    expect(text(el, 'token')).to.equal('ETH');
    expect(text(el, 'network')).to.equal(payment.network);
    expect(text(el, 'address')).to.equal(payment.address);
    // The QR encoder is a chunk of its own: it loads although the payment view did not.
    await until(() => part(el, 'qr')?.querySelector('svg'), 'the QR code in the plain view');
    expect(part(el, 'qr')!.getAttribute('aria-label')).to.include(payment.address);
    expect(part(el, 'qr')!.getBoundingClientRect().width, 'the QR code is sized, not page-wide').to.be.below(
      260,
    );
    await expect(el).to.be.accessible();

    // The way back: the methods again, and another one can be chosen.
    (part(el, 'change-method') as HTMLButtonElement).click();
    await until(() => parts(el, 'method').length === 2, 'the methods again after going back');
    expect(part(el, 'address')).to.equal(null);
    parts(el, 'method')
      .find((b) => b.dataset.method === 'usdc@anvil')!
      .click();
    await until(() => text(el, 'token') === 'USDC', 'the USDC payment after going back');
    expect(events.of('checkout-error')).to.have.length(1);
  });

  it('shows the plain view without a QR code when the QR encoder fails to load as well', async () => {
    failChunk();
    const realQr = qrChunk.load;
    qrChunk.load = () => Promise.reject(new TypeError('Failed to fetch dynamically imported module: qr.js'));
    try {
      const session = await stack.createSession({ methods: ['usdc@anvil'] });
      const { el, events } = await mount(session.client_secret);
      await events.next('checkout-error');
      await until(() => part(el, 'address'), 'the address without either chunk');
      expect(part(el, 'qr'), 'no QR code, and no empty frame for it').to.equal(null);
      expect(part(el, 'change-method'), 'no way back with one method').to.equal(null);
    } finally {
      qrChunk.load = realQr;
    }
  });
});

describe('<crypto-checkout> price formatting', () => {
  it('formats an ISO 4217 price with its minor units, and a crypto price with every digit it has', () => {
    expect(formatFiat('49.99', 'USD', 'en-US')).to.equal('$49.99');
    expect(formatFiat('1500', 'JPY', 'en-US')).to.equal('¥1,500');
    expect(formatFiat('1500', 'JPY', 'ja-JP')).to.equal('￥1,500');
    expect(formatFiat('1234.5', 'EUR', 'de-DE')).to.equal('1.234,50\u00a0€');
    expect(formatFiat('12.345', 'KWD', 'en-US')).to.equal('KWD\u00a012.345');
    expect(formatFiat('0.0123', 'ETH', 'en-US')).to.equal('0.0123 ETH');
    expect(formatFiat('1234.000001', 'USDC', 'de')).to.equal('1.234,000001 USDC');
    expect(formatFiat('0.000000000000000001', 'ETH', 'en')).to.equal('0.000000000000000001 ETH');
  });

  it('shows a session priced in ETH with its own digits, not rounded to cents', async () => {
    const session = await stack.createSession({ amount: '0.0123', currency: 'ETH', methods: ['eth@anvil'] });
    const { el } = await mount(session.client_secret);
    await until(() => part(el, 'amount'), 'the price is shown');
    expect(text(el, 'amount')).to.equal('0.0123 ETH');
  });
});
