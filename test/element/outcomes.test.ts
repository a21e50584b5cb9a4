/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import { isTerminalStatus } from '../../src/element/api-client.js';
import {
  isTerminalStatus as protocolIsTerminalStatus,
  sessionStatusSchema,
  type BuyerSession,
} from '@crypto-checkout/protocol';
import {
  api,
  buyerSession,
  mount,
  mountUsdc,
  part,
  parts,
  spyNetwork,
  stack,
  text,
  transitions,
  until,
} from './helpers.js';

/** Parts that invite a payment; none may be shown once the session takes no more. */
const PAYMENT_PARTS = ['methods', 'details', 'address', 'amount-due', 'copy-button', 'qr', 'countdown'];

describe('<crypto-checkout> showing every outcome of a real payment', () => {
  let network: ReturnType<typeof spyNetwork>;
  beforeEach(() => (network = spyNetwork()));
  afterEach(() => network.restore());

  it('stops following a session on exactly the statuses the protocol calls terminal', () => {
    for (const status of sessionStatusSchema.options) {
      expect(isTerminalStatus(status), status).to.equal(protocolIsTerminalStatus(status));
    }
    expect(isTerminalStatus('expired')).to.equal(false);
  });

  it('shows an overpayment as paid with the excess the merchant can refund, and fires checkout-paid', async () => {
    const { el, events, payment } = await mountUsdc();
    await stack.pay(payment.address, '12.5');
    await stack.mine(1);

    const paid = await events.next<{ session: BuyerSession }>('checkout-paid');
    expect(paid.detail.session.status).to.equal('overpaid');
    expect(el.getAttribute('status')).to.equal('overpaid');
    expect(text(el, 'status')).to.equal(
      'Payment received. Thank you! 2.5 USDC more than due was received; the merchant can refund the excess.',
    );
    expect(text(el, 'status-detail')).to.equal(
      '2.5 USDC more than due was received; the merchant can refund the excess.',
    );
    for (const name of PAYMENT_PARTS) expect(part(el, name), name).to.equal(null);
    expect(transitions(events.of('checkout-status-change')).at(-1)).to.match(/→overpaid$/);
    expect(events.of('checkout-paid')).to.have.length(1);
    expect(network.live(), 'overpaid is terminal: the stream is closed').to.have.length(0);
    await expect(el).to.be.accessible();
  });

  it('shows a payment short by less than the tolerance as paid, with nothing more to say', async () => {
    const { el, events, session, payment } = await mountUsdc();
    await stack.pay(payment.address, '9.95'); // the test backend's tolerance is 0.5 %
    await stack.mine(1);

    await events.next('checkout-paid');
    expect(el.getAttribute('status')).to.equal('paid');
    expect(text(el, 'status')).to.equal('Payment received. Thank you!');
    expect(part(el, 'status-detail')).to.equal(null);
    expect((await buyerSession(session)).amount_received).to.equal('9.95');
  });

  it('shows a full payment after expiry as received late, for review, without address or QR', async () => {
    const { el, events, session, payment } = await mountUsdc();
    await stack.expire(session.id);
    await events.next('checkout-expired');
    expect(network.live(), 'the expired session is still followed').to.have.length(1);

    await stack.nextBlockAfterNow();
    await stack.pay(payment.address, payment.amount_due);
    await stack.mine(1);
    await until(() => el.status === 'paid_late', 'the element shows paid_late');
    expect(el.getAttribute('status')).to.equal('paid_late');
    expect(text(el, 'status')).to.equal('Received after expiry — the merchant will review your payment.');
    for (const name of [...PAYMENT_PARTS, 'success-link']) expect(part(el, name), name).to.equal(null);
    expect(text(el, 'transfer')).to.match(/^10 USDC in 0x\w{4}…\w{4} \(late\)$/);
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal([
      'null→open',
      'open→expired',
      'expired→paid_late',
    ]);
    expect(events.of('checkout-paid'), 'paid late is not fulfilled').to.have.length(0);
    await until(() => network.live().length === 0, 'paid_late is terminal: the stream is closed');
    await expect(el).to.be.accessible();
  });

  it('shows a canceled session without address or QR, fires checkout-canceled and stops following it', async () => {
    const { el, events, session } = await mountUsdc();
    expect((await stack.cancel(session.id)).status).to.equal(200);

    const canceled = await events.next<{ session: BuyerSession }>('checkout-canceled');
    expect(canceled.detail.session.status).to.equal('canceled');
    expect(canceled.bubbles && canceled.composed).to.equal(true);
    expect(el.getAttribute('status')).to.equal('canceled');
    expect(text(el, 'status')).to.equal('This payment was canceled.');
    for (const name of PAYMENT_PARTS) expect(part(el, name), name).to.equal(null);
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal(['null→open', 'open→canceled']);
    await until(() => network.live().length === 0, 'canceled is terminal: the stream is closed');
    await expect(el).to.be.accessible();
  });

  it('tells a buyer who paid a canceled session that the merchant will review it', async () => {
    const { session, payment } = await mountUsdc();
    expect((await stack.cancel(session.id)).status).to.equal(200);
    await stack.nextBlockAfterNow();
    await stack.pay(payment.address, payment.amount_due);
    await stack.mine(1);
    await until(
      async () => (await buyerSession(session)).transfers[0]?.confirmed,
      'the late transfer is confirmed',
    );

    // The buyer comes back (a reload): a new element loads the canceled session.
    const { el, events } = await mount(session.client_secret);
    await until(() => el.status === 'canceled', 'the session is loaded');
    expect(text(el, 'status')).to.equal(
      `This payment was canceled. ${payment.amount_due} USDC was received for it anyway; the merchant will review it.`,
    );
    expect(text(el, 'transfer')).to.contain('(late)');
    for (const name of PAYMENT_PARTS) expect(part(el, name), name).to.equal(null);
    expect(events.of('checkout-canceled')).to.have.length(1);
  });

  it('warns that native ETH sent to a USDC checkout is not accepted, and still takes the USDC', async () => {
    const { el, events, payment } = await mountUsdc();
    await stack.pay(payment.address, '0.01', 'eth');

    const warning = await until(() => part(el, 'warning'), 'the warning is shown');
    expect(text(el, 'warning')).to.equal(
      '0.01 ETH on Anvil (local) was received but is not accepted by this checkout. The merchant will review it.',
    );
    expect(warning.getAttribute('role')).to.equal('alert');
    expect(el.status, 'the ETH does not count').to.equal('open');
    expect(text(el, 'status')).to.equal('Waiting for payment');
    expect(text(el, 'address')).to.equal(payment.address);
    expect(text(el, 'amount-due')).to.equal(payment.amount_due);
    expect(part(el, 'qr')).to.not.equal(null);
    expect(text(el, 'transfer')).to.match(/^0\.01 ETH in 0x\w{4}…\w{4} \(not accepted\)$/);
    await expect(el).to.be.accessible();

    await stack.pay(payment.address, payment.amount_due);
    await stack.mine(1);
    await events.next('checkout-paid');
    await el.updateComplete;
    expect(parts(el, 'warning')).to.have.length(1);
    // Paid: the receipt sums up; both transfers are behind a closed disclosure that names their count.
    const folded = part(el, 'transfers-details') as HTMLDetailsElement;
    expect(folded.open).to.equal(false);
    expect(folded.querySelector('summary')!.textContent!.trim()).to.equal('Transfers (2)');
    expect(parts(el, 'transfer')).to.have.length(2);
    expect(parts(el, 'transfer')[0]!.checkVisibility(), 'the list is folded').to.equal(false);
    folded.querySelector('summary')!.click();
    expect(parts(el, 'transfer')[0]!.checkVisibility(), 'the list unfolds').to.equal(true);
    await expect(el).to.be.accessible();
  });
  it('flags money sent to an address the buyer went back from, and does not count it', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const payment = async (method: 'POST' | 'DELETE') => {
      const response = await fetch(`${await api()}/v1/sessions/${session.id}/payment`, {
        method,
        headers: {
          authorization: `Bearer ${session.client_secret}`,
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: JSON.stringify({ method: 'usdc@anvil' }) } : {}),
      });
      expect(response.status, `${method} payment`).to.equal(200);
      return ((await response.json()) as BuyerSession).payment;
    };
    // Chosen, abandoned (the buyer went back), chosen again: a new address.
    const first = (await payment('POST'))!;
    await payment('DELETE');
    const second = (await payment('POST'))!;
    expect(second.address).to.not.equal(first.address);
    const { el } = await mount(session.client_secret);
    await until(() => part(el, 'address'), 'the new deposit address is shown');
    expect(text(el, 'address')).to.equal(second.address);

    await stack.pay(first.address, second.amount_due);
    await stack.mine(1);
    await until(() => part(el, 'transfer'), 'the transfer to the old address is shown');
    expect(text(el, 'transfer')).to.match(
      /^\d+(\.\d+)? USDC in 0x\w{4}…\w{4} \(to an earlier address: the merchant will review it\)$/,
    );
    expect(el.status, 'it does not count').to.equal('open');
    expect(text(el, 'amount-due')).to.equal(second.amount_due);
    await expect(el).to.be.accessible();
  });
});
