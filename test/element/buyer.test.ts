/// <reference types="mocha" />
/**
 * The buyer's experience of issue 18: the grouped address and its exact copy, the amount without
 * trailing zeros, the method picker (marks, quotes, keyboard), the back action, the progress steps,
 * the receipt with `checkout-complete`, and "start again" with `checkout-restart`. Real stack where
 * the backend of this branch can produce the state; the stubbed-fetch seam of helpers.ts (recorded
 * session views) for quotes and the back action, which the backend's issue-15 change serves.
 */
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { BuyerSession } from '@crypto-checkout/protocol';
import '../../src/element/index.js';
import type { CheckoutLinkDetail } from '../../src/element/index.js';
import {
  mount,
  mountStubbed,
  mountUsdc,
  part,
  parts,
  sessionFixture,
  spyClipboard,
  stack,
  text,
  until,
} from './helpers.js';

describe('<crypto-checkout> for the buyer', () => {
  it('shows the address in groups of four that never break, and copies it exactly, checksum case kept', async () => {
    const clipboard = spyClipboard();
    try {
      const { el, payment } = await mountUsdc();
      const address = part(el, 'address')!;
      const groups = [...address.querySelectorAll('span')];
      expect(groups.map((g) => g.textContent).join('')).to.equal(payment.address);
      expect(groups[0]!.textContent).to.equal('0x');
      for (const g of groups.slice(1)) {
        expect(g.textContent).to.have.length(4);
        expect(g.getClientRects(), `${g.textContent} is on one line`).to.have.length(1);
      }
      // No space characters between the groups: a selection copies the address as it is.
      expect(address.textContent).to.equal(payment.address);
      parts(el, 'copy-button')[1]!.click();
      parts(el, 'copy-button')[0]!.click();
      await until(() => clipboard.copied.length === 2, 'both are copied');
      expect(clipboard.copied).to.deep.equal([payment.address, payment.amount_due]);
      expect(payment.address).to.match(/[A-F]/).and.match(/[a-f]/); // checksummed (mixed case)
      expect(text(el, 'network-warning')).to.equal('Send USDC on Anvil (local) only.');
      await expect(el).to.be.accessible();
    } finally {
      clipboard.restore();
    }
  });

  it("shows the merchant's name and logo at the top, and nothing of a logo that is not http(s)", async () => {
    const merchant = { name: 'Acme Shop', logo_url: 'https://shop.example/logo.svg' };
    const shown = await mountStubbed(() => sessionFixture('choosing', { merchant }));
    try {
      await until(() => shown.el.state === 'ready', 'the session is shown');
      expect(text(shown.el, 'merchant')).to.equal('Acme Shop');
      const logo = part(shown.el, 'merchant-logo') as HTMLImageElement;
      expect(logo.getAttribute('src')).to.equal('https://shop.example/logo.svg');
      expect(logo.alt, 'no second reading of the name').to.equal('');
    } finally {
      shown.restore();
    }
    const unsafe = { name: null, logo_url: 'javascript:alert(1)' };
    const refused = await mountStubbed(() => sessionFixture('choosing', { merchant: unsafe }));
    try {
      await until(() => refused.el.state === 'ready', 'the session is shown');
      expect(part(refused.el, 'merchant'), 'no name and no usable logo: no merchant line').to.equal(null);
    } finally {
      refused.restore();
    }
    // A backend older than the element sends no `merchant` at all.
    const { merchant: _none, ...older } = sessionFixture('choosing');
    const old = await mountStubbed(() => older as BuyerSession);
    try {
      await until(() => old.el.state === 'ready', 'the session is shown');
      expect(part(old.el, 'merchant')).to.equal(null);
      expect(text(old.el, 'amount')).to.not.equal('');
    } finally {
      old.restore();
    }
  });

  it('shows and copies the amount without trailing zeros', async () => {
    const clipboard = spyClipboard();
    const { el, restore } = await mountStubbed(() => sessionFixture('waiting'));
    try {
      await until(() => part(el, 'amount-due'), 'the payment is shown');
      // The fixture's amount_due is "49.990000", as a backend may send it.
      expect(text(el, 'amount-due')).to.equal('49.99');
      parts(el, 'copy-button')[0]!.click();
      await until(() => clipboard.copied.length === 1, 'the amount is copied');
      expect(clipboard.copied).to.deep.equal(['49.99']);
    } finally {
      restore();
      clipboard.restore();
    }
  });

  it('lists methods with marks and quoted amounts, and moves between them with the arrow keys', async () => {
    const { el, restore } = await mountStubbed(() => sessionFixture('choosing'));
    try {
      await until(() => parts(el, 'method').length === 2, 'the methods are shown');
      expect(parts(el, 'method-amount').map((a) => a.textContent!.trim())).to.deep.equal([
        '49.99 USDC',
        '0.024995 ETH',
      ]);
      expect(parts(el, 'token-mark').every((m) => m.getAttribute('aria-hidden') === 'true')).to.equal(true);
      const [usdc, eth] = parts(el, 'method') as HTMLButtonElement[];
      // One tab stop for the group (roving focus).
      expect([usdc!.tabIndex, eth!.tabIndex]).to.deep.equal([0, -1]);
      usdc!.focus();
      await sendKeys({ press: 'ArrowDown' });
      expect(el.shadowRoot!.activeElement).to.equal(eth);
      await el.updateComplete;
      expect([usdc!.tabIndex, eth!.tabIndex]).to.deep.equal([-1, 0]);
      await sendKeys({ press: 'ArrowDown' });
      expect(el.shadowRoot!.activeElement, 'wraps around').to.equal(usdc);
      await sendKeys({ press: 'End' });
      expect(el.shadowRoot!.activeElement).to.equal(eth);
      await expect(el).to.be.accessible();
    } finally {
      restore();
    }
  });

  it('groups many methods by token, then network', async () => {
    const base = sessionFixture('choosing');
    const [usdc, eth] = base.methods;
    const on = (m: typeof usdc, network: string, chain: number) => ({
      ...m!,
      id: `${m!.token.toLowerCase()}@${network.toLowerCase()}`,
      network,
      chain_id: chain,
    });
    const methods = [
      on(usdc, 'Base', 8453),
      on(eth, 'Base', 8453),
      on(usdc, 'Arbitrum', 42161),
      on(eth, 'Arbitrum', 42161),
      on(usdc, 'Optimism', 10),
    ];
    const { el, restore } = await mountStubbed(() => ({ ...base, methods }));
    try {
      await until(() => parts(el, 'method-group').length === 2, 'the groups are shown');
      const groups = parts(el, 'method-group');
      expect(groups.map((g) => g.getAttribute('aria-label'))).to.deep.equal(['USDC', 'ETH']);
      expect(
        [...groups[0]!.querySelectorAll('[part~="method"]')].map((b) => b.getAttribute('data-method')),
      ).to.deep.equal(['usdc@base', 'usdc@arbitrum', 'usdc@optimism']);
    } finally {
      restore();
    }
  });

  it('goes back to the methods while nothing was received (DELETE …/payment)', async () => {
    let chosen = true;
    const { el, requests, restore } = await mountStubbed((method) => {
      if (method === 'DELETE') chosen = false;
      return sessionFixture(chosen ? 'waiting' : 'choosing');
    });
    try {
      const back = await until(
        () => part(el, 'change-method') as HTMLButtonElement | null,
        'the back action is shown',
      );
      expect(back.textContent!.trim()).to.equal('Change method');
      back.click();
      await until(() => parts(el, 'method').length === 2, 'the methods are shown again');
      expect(requests).to.include('DELETE /v1/sessions/cs_testfixture/payment');
      expect(part(el, 'address')).to.equal(null);
    } finally {
      restore();
    }
  });

  it('offers no back action once money was received', async () => {
    const { el, restore } = await mountStubbed(() => sessionFixture('underpaid'));
    try {
      await until(() => part(el, 'address'), 'the payment is shown');
      expect(part(el, 'change-method')).to.equal(null);
    } finally {
      restore();
    }
  });

  it('steps from sent to confirming to paid, then shows a receipt whose link fires checkout-complete', async () => {
    const { el, events, payment, session } = await mountUsdc({
      order_id: 'R-7',
      success_url: 'https://shop.example/thanks',
    });
    const txHash = await stack.pay(payment.address, payment.amount_due);
    await until(() => el.status === 'processing', 'processing');
    const steps = () => parts(el, 'steps')[0]!.querySelectorAll('li');
    expect([...steps()].map((li) => li.textContent!.trim())).to.deep.equal([
      'Sent',
      'Confirming 1/2',
      'Paid',
    ]);
    expect(steps()[1]!.getAttribute('aria-current')).to.equal('step');
    await stack.mine(1);
    await events.next('checkout-paid');
    await el.updateComplete;
    expect(steps()[2]!.getAttribute('aria-current')).to.equal('step');
    const receipt = text(el, 'receipt');
    expect(receipt).to.contain(`Paid ${payment.amount_due} USDC · Anvil (local)`);
    expect(receipt).to.contain('Order R-7');
    const tx = part(el, 'receipt-transaction') as HTMLAnchorElement;
    expect(tx.href).to.equal(`https://explorer.invalid/tx/${txHash}`);
    expect(session.id).to.match(/^cs_/);
    // The receipt is the one summary: its transaction is not listed a second time.
    expect(part(el, 'transfers'), 'no transfer list beside the receipt').to.equal(null);
    expect(part(el, 'transfers-details')).to.equal(null);

    const completed: CustomEvent<CheckoutLinkDetail>[] = [];
    el.addEventListener('checkout-complete', (e) => {
      completed.push(e);
      e.preventDefault(); // the page handles it: the link is not followed
    });
    (part(el, 'success-link') as HTMLAnchorElement).click();
    expect(completed).to.have.length(1);
    expect(completed[0]!.detail.url).to.equal('https://shop.example/thanks');
    expect(completed[0]!.detail.session.status).to.equal('paid');
    expect(completed[0]!.composed && completed[0]!.bubbles).to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('offers to start again after expiry, firing checkout-restart with the cancel_url', async () => {
    const session = await stack.createSession({ cancel_url: 'https://shop.example/cart' });
    const { el, events } = await mount(session.client_secret);
    await until(() => el.status === 'open', 'the session is loaded');
    await stack.expire(session.id);
    await events.next('checkout-expired');
    await el.updateComplete;
    const restart = part(el, 'restart') as HTMLAnchorElement;
    expect(restart.href).to.equal('https://shop.example/cart');
    expect(restart.textContent!.trim()).to.equal('Start again');
    let fired: CustomEvent<CheckoutLinkDetail> | undefined;
    el.addEventListener('checkout-restart', (e) => {
      fired = e;
      e.preventDefault();
    });
    restart.click();
    expect(fired?.detail.url).to.equal('https://shop.example/cart');
    expect(fired?.cancelable).to.equal(true);
  });
});
