/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import type { BuyerSession } from '@crypto-checkout/protocol';
import {
  buyerSession,
  expectedQrPaths,
  mount,
  mountUsdc,
  part,
  parts,
  qrPaths,
  spyClipboard,
  spyNetwork,
  stack,
  text,
  transitions,
  until,
} from './helpers.js';

describe('<crypto-checkout> following a real payment', () => {
  let network: ReturnType<typeof spyNetwork>;
  beforeEach(() => (network = spyNetwork()));
  afterEach(() => network.restore());

  it('shows confirmations 1/2 while processing, then paid after mining, with events', async () => {
    const { el, events, payment } = await mountUsdc({ success_url: 'https://shop.example/thanks?order=7' });
    expect(el.getAttribute('status')).to.equal('open');

    const txHash = await stack.pay(payment.address, payment.amount_due);
    await until(() => el.status === 'processing', 'the element shows processing');
    expect(el.getAttribute('status')).to.equal('processing');
    expect(text(el, 'status')).to.equal('Payment seen — confirming 1/2');
    const progress = part(el, 'confirmations') as HTMLProgressElement;
    expect([progress.value, progress.max]).to.deep.equal([1, 2]);
    expect(part(el, 'qr'), 'no QR code invites a second payment').to.equal(null);
    expect(text(el, 'transfer')).to.contain(`${payment.amount_due} USDC in ${txHash.slice(0, 6)}`);

    await stack.mine(1);
    const paid = await events.next<{ session: BuyerSession }>('checkout-paid');
    expect(paid.detail.session.status).to.equal('paid');
    expect(paid.bubbles && paid.composed).to.equal(true);
    expect(el.getAttribute('status')).to.equal('paid');
    expect(text(el, 'status')).to.equal('Payment received. Thank you!');
    expect((part(el, 'success-link') as HTMLAnchorElement).href).to.equal(
      'https://shop.example/thanks?order=7',
    );
    expect(part(el, 'countdown')).to.equal(null);
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal([
      'null→open',
      'open→processing',
      'processing→paid',
    ]);
    expect(events.of('checkout-paid')).to.have.length(1);
    expect(events.of('checkout-error')).to.have.length(0);
    expect(network.streams).to.have.length(1);
    expect(network.live(), 'the stream is closed after the terminal event').to.have.length(0);
  });

  it('after underpayments that add up, shows received and remaining, with QR, URI and copied amount for exactly the remainder', async () => {
    const clipboard = spyClipboard();
    try {
      const { el, events, session, payment } = await mountUsdc();

      await stack.pay(payment.address, '4');
      await stack.mine(1);
      await until(() => el.status === 'underpaid', 'the element shows underpaid');
      expect(el.getAttribute('status')).to.equal('underpaid');
      expect(text(el, 'status')).to.equal(
        'Received 4 USDC — 6 USDC still due Send the remaining 6 USDC to the same address.',
      );
      expect(text(el, 'amount-due')).to.equal('6');

      // A second transfer adds to the first.
      await stack.pay(payment.address, '3');
      await stack.mine(1);
      await until(() => el.status === 'underpaid' && text(el, 'amount-due') === '3', 'the remainder is 3');
      expect(text(el, 'status')).to.equal(
        'Received 7 USDC — 3 USDC still due Send the remaining 3 USDC to the same address.',
      );
      expect(text(el, 'status-detail')).to.equal('Send the remaining 3 USDC to the same address.');
      expect(text(el, 'address')).to.equal(payment.address);
      expect(text(el, 'countdown')).to.match(/^Expires in \d\d:\d\d \(at .+\)$/);
      expect(parts(el, 'transfer')).to.have.length(2);
      const remainderUri = `ethereum:${payment.token_address}@31337/transfer?address=${payment.address}&uint256=3000000`;
      expect((await buyerSession(session)).pay_uri).to.equal(remainderUri);
      await until(
        async () =>
          JSON.stringify(qrPaths(part(el, 'qr'))) === JSON.stringify(await expectedQrPaths(remainderUri)),
        'the QR code encodes the amount still due',
      );
      expect(part(el, 'qr')!.getAttribute('aria-label')).to.contain('pay 3 USDC');
      parts(el, 'copy-button')[0]!.click();
      await until(() => clipboard.copied.length === 1, 'the amount is copied');
      expect(clipboard.copied).to.deep.equal(['3']);
      await expect(el).to.be.accessible();

      await stack.pay(payment.address, '3');
      await stack.mine(1);
      await events.next('checkout-paid');
      // Whether the backend reports `processing` in between depends on when its watcher looks; the
      // element must report every change it got, as one unbroken chain.
      const chain = transitions(events.of('checkout-status-change'));
      expect(chain[0]).to.equal('null→open');
      expect(chain.at(-1)).to.match(/→paid$/);
      chain.slice(1).forEach((t, i) => expect(t.split('→')[0]).to.equal(chain[i]!.split('→')[1]));
    } finally {
      clipboard.restore();
    }
  });

  it('shows the expired state without countdown, fires checkout-expired and stops listening when no address was given', async () => {
    const session = await stack.createSession();
    const { el, events } = await mount(session.client_secret);
    await until(() => el.status === 'open', 'the session is loaded');

    await stack.expire(session.id);
    const expired = await events.next<{ session: BuyerSession }>('checkout-expired');
    expect(expired.detail.session.status).to.equal('expired');
    expect(el.getAttribute('status')).to.equal('expired');
    expect(text(el, 'status')).to.equal(
      'This checkout has expired. Payments to this checkout are no longer accepted. Please start a new checkout.',
    );
    for (const name of ['methods', 'address', 'qr', 'countdown']) expect(part(el, name), name).to.equal(null);
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal(['null→open', 'open→expired']);
    // No address was ever shown, so nothing can arrive: the stream is over (with an address it stays
    // open for late payments, see the next test).
    await until(() => network.live().length === 0, 'the stream to end');
    await expect(el).to.be.accessible();
  });

  it('after a partial payment and expiry, says what was sent and to contact the merchant about a refund', async () => {
    const { el, events, session, payment } = await mountUsdc();
    await stack.pay(payment.address, '2.5');
    await stack.mine(1);
    await until(() => el.status === 'underpaid', 'the element shows underpaid');

    await stack.expire(session.id);
    await events.next('checkout-expired');
    expect((await buyerSession(session)).amount_received).to.equal('2.5');
    expect(text(el, 'status-detail')).to.equal(
      `You sent 2.5 of ${payment.amount_due} USDC; contact the merchant about a refund.`,
    );
    expect(payment.amount_due).to.equal('10');
    for (const name of ['address', 'qr', 'countdown', 'copy-button'])
      expect(part(el, name), name).to.equal(null);
    expect(text(el, 'transfer')).to.match(/^2\.5 USDC in 0x/);
    expect(network.live()).to.have.length(1);
  });
});
