/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import {
  api,
  buyerSession,
  expectedQrPaths,
  mount,
  mountUsdc,
  part,
  parts,
  qrPaths,
  spyClipboard,
  stack,
  text,
  until,
} from './helpers.js';

describe('<crypto-checkout> rendering a real session', () => {
  it('shows the price, order id, a choice of methods and the countdown for a new session', async () => {
    const session = await stack.createSession({ amount: '12.50', order_id: 'order-42' });
    const { el, events } = await mount(session.client_secret);
    await until(() => el.state === 'ready', 'the session is loaded');

    expect(text(el, 'amount')).to.equal('$12.50');
    expect(text(el, 'order')).to.equal('Order order-42');
    expect(parts(el, 'method').map((b) => b.textContent!.replace(/\s+/g, ' ').trim())).to.deep.equal([
      // Each method with its amount at the current rate (the stack's static ETH rate is 2000 USD).
      'USDC on Anvil (local) 12.5 USDC',
      'ETH on Anvil (local) 0.00625 ETH',
    ]);
    expect(text(el, 'countdown')).to.match(/^Expires in (29:5\d|30:00) \(at \d{1,2}:\d\d\s?[AP]M\)$/);
    expect(text(el, 'status')).to.equal('Choose how to pay');
    expect(part(el, 'status')!.getAttribute('aria-live')).to.equal('polite');
    expect(el.getAttribute('status')).to.equal('open');
    expect(el.getAttribute('state')).to.equal('ready');
    expect(part(el, 'address')).to.equal(null);
    const [first] = events.of('checkout-status-change');
    expect(first?.detail).to.deep.include({ status: 'open', previousStatus: null });
    await expect(el).to.be.accessible();
  });

  it('choosing a method with the keyboard shows the derived address, the amount and an EIP-681 QR code', async () => {
    const session = await stack.createSession();
    const { el } = await mount(session.client_secret);
    await until(() => parts(el, 'method').length === 2, 'the methods are shown');

    await sendKeys({ press: 'Tab' });
    const usdc = parts(el, 'method')[0]!;
    expect(el.shadowRoot!.activeElement).to.equal(usdc);
    expect(getComputedStyle(usdc).outlineStyle).to.equal('solid'); // visible keyboard focus
    await sendKeys({ press: 'Enter' });
    await until(() => part(el, 'address'), 'the deposit address is shown');

    const { payment } = await buyerSession(session);
    expect(payment?.id).to.equal('usdc@anvil');
    expect(text(el, 'address')).to.equal(payment!.address);
    expect(payment!.address).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(text(el, 'amount-due')).to.equal(payment!.amount_due);
    expect(text(el, 'network')).to.equal('Anvil (local)');
    expect(text(el, 'token')).to.equal('USDC');
    // The contract is a detail, behind the disclosure.
    expect(text(el, 'details')).to.contain(`USDC (contract ${payment!.token_address})`);
    expect(text(el, 'status')).to.equal('Waiting for payment');
    expect(part(el, 'methods')).to.equal(null);
    expect(payment!.uri).to.equal(
      `ethereum:${payment!.token_address}@31337/transfer?address=${payment!.address}&uint256=${payment!.amount_due_atomic}`,
    );
    const qr = part(el, 'qr')!;
    await until(() => qr.querySelector('svg'), 'the QR code is drawn');
    expect(qrPaths(qr)).to.deep.equal(await expectedQrPaths(payment!.uri));
    expect(qr.getAttribute('role')).to.equal('img');
    expect(qr.getAttribute('aria-label')).to.contain(payment!.address);
    expect(qr.getAttribute('aria-label')).to.contain(payment!.amount_due);
    expect(
      parts(el, 'note')
        .map((n) => n.textContent)
        .join(' '),
    ).to.contain('needs a little ETH');
    await expect(el).to.be.accessible();
  });

  it('chooses the only offered method by itself', async () => {
    const session = await stack.createSession({ methods: ['eth@anvil'] });
    const { el } = await mount(session.client_secret);
    await until(() => part(el, 'address'), 'the deposit address is shown');

    expect(parts(el, 'method')).to.have.length(0);
    const { payment } = await buyerSession(session);
    expect(payment?.id).to.equal('eth@anvil');
    expect(text(el, 'amount-due')).to.equal(payment!.amount_due);
    expect(payment!.uri).to.contain(`?value=${payment!.amount_due_atomic}`);
    await until(() => part(el, 'qr')!.querySelector('svg'), 'the QR code is drawn');
    expect(qrPaths(part(el, 'qr'))).to.deep.equal(await expectedQrPaths(payment!.uri));
    expect(text(el, 'note')).to.contain('network fee is paid on top of the amount');
  });

  it('shows the method chosen in another tab instead of failing', async () => {
    const session = await stack.createSession();
    const { el, events } = await mount(session.client_secret);
    await until(() => parts(el, 'method').length === 2, 'the methods are shown');
    const other = await fetch(`${await api()}/v1/sessions/${session.id}/payment`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.client_secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'eth@anvil' }),
    });
    expect(other.status).to.equal(200);

    parts(el, 'method')[0]!.click(); // USDC, refused with 409 method_already_chosen
    await until(() => part(el, 'address'), 'the deposit address is shown');
    const { payment } = await buyerSession(session);
    expect(payment?.id).to.equal('eth@anvil');
    expect(text(el, 'token')).to.equal('ETH');
    expect(text(el, 'address')).to.equal(payment!.address);
    expect(part(el, 'error')).to.equal(null);
    expect(events.of('checkout-error')).to.have.length(0);
  });

  it('copies the exact amount and address', async () => {
    const clipboard = Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard')!;
    const spy = spyClipboard();
    try {
      const { el, session } = await mountUsdc();
      const [copyAmount, copyAddress] = parts(el, 'copy-button');
      expect([copyAmount!.ariaLabel, copyAddress!.ariaLabel]).to.deep.equal(['Copy amount', 'Copy address']);

      copyAmount!.click();
      await until(() => copyAmount!.textContent!.includes('Copied'), 'the amount button says Copied');
      copyAddress!.click();
      await until(() => spy.copied.length === 2, 'both were copied');

      const { payment } = await buyerSession(session);
      expect(spy.copied).to.deep.equal([payment!.amount_due, payment!.address]);
    } finally {
      spy.restore();
      expect(Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard')).to.deep.equal(clipboard);
    }
  });

  it('corrects the countdown for a browser clock that is an hour fast', async () => {
    const realNow = Date.now;
    Date.now = () => realNow.call(Date) + 3_600_000;
    try {
      const session = await stack.createSession({ expires_in: 600 });
      const { el } = await mount(session.client_secret);
      await until(() => el.state === 'ready', 'the session is loaded');
      expect(text(el, 'countdown')).to.match(/^Expires in (09:5\d|10:00) \(at .+\)$/);
    } finally {
      Date.now = realNow;
    }
  });

  it('shows hours in the countdown of a long session', async () => {
    const session = await stack.createSession({ expires_in: 7200 });
    const { el } = await mount(session.client_secret);
    await until(() => el.state === 'ready', 'the session is loaded');
    expect(text(el, 'countdown')).to.match(/^Expires in (1:59:5\d|2:00:00) \(at .+\)$/);
  });

  it('fits a 320 px wide screen without horizontal scrolling', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const { el } = await mount(session.client_secret);
    el.style.width = '320px';
    await until(() => part(el, 'address'), 'the deposit address is shown');
    const base = part(el, 'base')!;
    expect(base.scrollWidth).to.be.at.most(base.clientWidth);
    expect(part(el, 'address')!.getBoundingClientRect().right).to.be.at.most(
      el.getBoundingClientRect().right,
    );
  });
});
