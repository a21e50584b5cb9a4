/// <reference types="mocha" />
// The above-the-fold rule of issue 18, by element positions: on a 360×640 phone (the "mobile" group of
// web-test-runner.config.mjs: touch, a webview), once a method is chosen, the buyer sees without
// scrolling the amount in fiat and crypto, the network, the QR code, the address with its copy
// button, the countdown and the wallet action. Runs for every method the test backend offers (the
// demo's: USDC and ETH on anvil), against the real stack, for the element in the page and in the
// modal (<crypto-checkout-button>'s dialog, a sheet from the bottom edge on a phone). The hosted page
// has the same rule in test/e2e/hosted-page.e2e.test.ts (it is served by the backend).
import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import type { CheckoutButton, CheckoutDialog, CryptoCheckout } from '../../../src/element/index.js';
import { api, mount, part, parts, stack, until } from '../helpers.js';

/** The parts that must be in the viewport, by what the buyer needs. */
const ABOVE_THE_FOLD = ['amount', 'amount-due', 'network', 'qr', 'address', 'countdown', 'open-in-wallet'];

/** A part's box, with a message naming it and the box when it is not wholly inside the viewport. */
function expectInViewport(el: CryptoCheckout, name: string, width: number, height: number) {
  const node = part(el, name);
  expect(node, `${name} is rendered`).to.not.equal(null);
  const box = node!.getBoundingClientRect();
  const where = `${name} at ${JSON.stringify({ top: box.top, bottom: box.bottom, left: box.left, right: box.right })}`;
  expect(box.width * box.height, `${name} has a size`).to.be.greaterThan(0);
  expect(box.top, where).to.be.at.least(0);
  expect(box.left, where).to.be.at.least(0);
  expect(box.bottom, `${where} is below the fold (${height})`).to.be.at.most(height);
  expect(box.right, `${where} is off to the side (${width})`).to.be.at.most(width);
}

describe('<crypto-checkout> layout on a phone', () => {
  before(() => setViewport({ width: 360, height: 640 }));
  after(() => setViewport({ width: 320, height: 640 }));

  for (const method of ['usdc@anvil', 'eth@anvil']) {
    it(`shows amount, network, QR, address, countdown and wallet action above the fold (${method})`, async () => {
      const session = await stack.createSession({
        methods: ['usdc@anvil', 'eth@anvil'],
        order_id: 'A-10492',
      });
      const { el } = await mount(session.client_secret);
      const button = await until(
        () => el.shadowRoot!.querySelector<HTMLButtonElement>(`[part~="method"][data-method="${method}"]`),
        'the methods are shown',
      );
      button.click();
      // The QR code is drawn by a lazily loaded chunk: wait for its SVG, the tallest thing on screen.
      await until(() => part(el, 'qr')?.querySelector('svg') && part(el, 'address'), 'the QR code is drawn');
      await el.updateComplete;
      for (const name of ABOVE_THE_FOLD) expectInViewport(el, name, 360, 640);
      // The copy button of the address (the second one; the first copies the amount).
      const copyAddress = parts(el, 'copy-button')[1]!;
      expect(copyAddress.getBoundingClientRect().bottom).to.be.at.most(640);
      // The token contract is behind the disclosure, closed.
      const details = part(el, 'details') as HTMLDetailsElement;
      expect(details.open).to.equal(false);
      // Nothing is wider than the screen (no sideways scrolling).
      expect(document.documentElement.scrollWidth).to.be.at.most(360);
    });
  }

  it('fits a 1280×800 window without scrolling', async () => {
    await setViewport({ width: 1280, height: 800 });
    try {
      const session = await stack.createSession({ methods: ['usdc@anvil'], order_id: 'A-10493' });
      const { el } = await mount(session.client_secret);
      await until(() => part(el, 'qr')?.querySelector('svg'), 'the QR code is drawn');
      await el.updateComplete;
      expect(el.getBoundingClientRect().bottom).to.be.at.most(800);
    } finally {
      await setViewport({ width: 360, height: 640 });
    }
  });
});

describe('<crypto-checkout-button> modal layout on a phone', () => {
  before(() => setViewport({ width: 360, height: 640 }));
  after(() => setViewport({ width: 320, height: 640 }));

  for (const method of ['usdc@anvil', 'eth@anvil']) {
    it(`shows the close button and amount, network, QR, address, countdown and wallet action above the fold (${method})`, async () => {
      const session = await stack.createSession({
        methods: ['usdc@anvil', 'eth@anvil'],
        order_id: 'A-10494',
      });
      const button = await fixture<CheckoutButton>(
        html`<crypto-checkout-button
          session=${session.client_secret}
          api=${await api()}
        ></crypto-checkout-button>`,
      );
      button.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!.click();
      const dialog = button.shadowRoot!.querySelector('crypto-checkout-dialog') as CheckoutDialog;
      const el = await until(
        () => dialog.shadowRoot!.querySelector<CryptoCheckout>('crypto-checkout'),
        'the dialog opens with the checkout',
      );
      const choice = await until(
        () => el.shadowRoot!.querySelector<HTMLButtonElement>(`[part~="method"][data-method="${method}"]`),
        'the methods are shown',
      );
      choice.click();
      await until(() => part(el, 'qr')?.querySelector('svg') && part(el, 'address'), 'the QR code is drawn');
      await el.updateComplete;
      // The open animation moves the sheet up by 0.75rem: measure where it comes to rest.
      const native = dialog.shadowRoot!.querySelector('dialog')!;
      await Promise.all(native.getAnimations({ subtree: true }).map((a) => a.finished));
      expect(native.scrollTop, 'the sheet is not scrolled').to.equal(0);
      const close = dialog.shadowRoot!.querySelector('[part~="close-button"]')!.getBoundingClientRect();
      expect(close.top, 'the close button is on screen').to.be.at.least(0);
      for (const name of ABOVE_THE_FOLD) expectInViewport(el, name, 360, 640);
      expect(parts(el, 'copy-button')[1]!.getBoundingClientRect().bottom).to.be.at.most(640);
      expect(document.documentElement.scrollWidth).to.be.at.most(360);
      native.close();
    });
  }
});
