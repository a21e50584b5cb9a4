/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import type { CheckoutStatusChangeDetail } from '../../src/element/index.js';
import type { BuyerSession } from '../../src/protocol/index.js';
import {
  buyerSession,
  expectedQrPaths,
  mount,
  part,
  parts,
  qrPaths,
  spyNetwork,
  stack,
  text,
  until,
} from './helpers.js';

/** Mounts a USDC-only session and waits until its deposit address is shown. */
async function mountUsdc(body: Parameters<typeof stack.createSession>[0] = {}) {
  const session = await stack.createSession({ methods: ['usdc@anvil'], ...body });
  const mounted = await mount(session.client_secret);
  await until(() => part(mounted.el, 'address'), 'the deposit address is shown');
  const buyer = await buyerSession(session);
  return { ...mounted, session, payment: buyer.payment! };
}

const transitions = (events: CustomEvent<CheckoutStatusChangeDetail>[]) =>
  events.map((e) => `${e.detail.previousStatus}→${e.detail.status}`);

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
    expect(text(el, 'status')).to.equal('Payment seen, waiting for confirmations 1/2');
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

  it('shows the amount still due after an underpayment and keeps address and QR for a top-up', async () => {
    const { el, events, session, payment } = await mountUsdc();

    await stack.pay(payment.address, '4');
    await stack.mine(1);
    await until(() => el.status === 'underpaid', 'the element shows underpaid');
    const buyer = await buyerSession(session);
    const remainingAtomic = BigInt(payment.amount_due_atomic) - 4_000_000n;
    expect(buyer.amount_remaining).to.not.equal(null);
    expect(text(el, 'status')).to.equal(`Partially paid: ${buyer.amount_remaining} USDC still due`);
    expect(text(el, 'amount-due')).to.equal(buyer.amount_remaining);
    expect(text(el, 'address')).to.equal(payment.address);
    expect(text(el, 'note')).to.contain(`Received ${buyer.amount_received} USDC`);
    expect(text(el, 'countdown')).to.match(/^Expires in \d\d:\d\d$/);
    // The QR code asks for the rest, not the full amount again.
    const topUpUri = payment.uri.replace(/uint256=\d+$/, `uint256=${remainingAtomic}`);
    expect(topUpUri).to.not.equal(payment.uri);
    await until(
      async () => JSON.stringify(qrPaths(part(el, 'qr'))) === JSON.stringify(await expectedQrPaths(topUpUri)),
      'the QR code encodes the amount still due',
    );

    await stack.pay(payment.address, buyer.amount_remaining!);
    await stack.mine(1);
    await events.next('checkout-paid');
    // Whether the backend reports `processing` in between depends on when its watcher looks; the
    // element must report every change it got, as one unbroken chain.
    const chain = transitions(events.of('checkout-status-change'));
    expect(chain[0]).to.equal('null→open');
    expect(chain.at(-1)).to.match(/→paid$/);
    expect(chain.filter((t) => t.endsWith('→underpaid'))).to.have.length(1);
    chain.slice(1).forEach((t, i) => expect(t.split('→')[0]).to.equal(chain[i]!.split('→')[1]));
  });

  it('shows the expired state and fires checkout-expired', async () => {
    const session = await stack.createSession();
    const { el, events } = await mount(session.client_secret);
    await until(() => el.status === 'open', 'the session is loaded');

    await stack.expire(session.id);
    const expired = await events.next<{ session: BuyerSession }>('checkout-expired');
    expect(expired.detail.session.status).to.equal('expired');
    expect(el.getAttribute('status')).to.equal('expired');
    expect(text(el, 'status')).to.equal('This checkout has expired');
    expect(text(el, 'note')).to.equal(
      'Payments to this checkout are no longer accepted. Please start a new checkout.',
    );
    for (const name of ['methods', 'address', 'qr', 'countdown']) expect(part(el, name), name).to.equal(null);
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal(['null→open', 'open→expired']);
    expect(network.live()).to.have.length(0);
  });

  it('says that the merchant will be in touch when a session expires after a partial payment', async () => {
    const { el, events, session, payment } = await mountUsdc();
    await stack.pay(payment.address, '2.5');
    await stack.mine(1);
    await until(() => el.status === 'underpaid', 'the element shows underpaid');

    await stack.expire(session.id);
    await events.next('checkout-expired');
    const { amount_received } = await buyerSession(session);
    expect(text(el, 'note')).to.equal(
      `A partial payment of ${amount_received} USDC was received. The merchant will contact you about it.`,
    );
    expect(parts(el, 'address')).to.have.length(0);
  });
});
