/// <reference types="mocha" />
// The above-the-fold rule of issue 18, by element positions: on a 360×640 phone (the "mobile" group of
// web-test-runner.config.mjs: touch, a webview), once a method is chosen, the buyer sees without
// scrolling the amount in fiat and crypto, the network, the QR code, the address with its copy
// button, the countdown and the wallet action. Runs for every method the test backend offers (the
// demo's: USDC and ETH on anvil), against the real stack, for the element in the page and in the
// modal (<crypto-checkout-button>'s dialog, a sheet from the bottom edge on a phone); and for the
// demo's other rails, LTC (a BIP21 QR code, the litecoin: link, no browser wallet) and USDT on TRON
// (the network warning, no link), as the backend describes them (test/server/utxo-litecoin.test.ts,
// tron-payment.test.ts), through the stubbed-fetch seam. The hosted page has the same rule in
// test/e2e/hosted-page.e2e.test.ts (it is served by the backend).
import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import type { BuyerSession, PaymentMethod } from '@crypto-checkout/protocol';
import type { CheckoutButton, CheckoutDialog, CryptoCheckout } from '../../../src/element/index.js';
import { api, mount, mountStubbed, part, parts, sessionFixture, stack, until } from '../helpers.js';

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

/** A waiting session paying `method` at `address`, `uri` in its QR code, as the backend answers it. */
function railSession(method: PaymentMethod, address: string, amount: string, uri: string): BuyerSession {
  const base = sessionFixture('waiting');
  return {
    ...base,
    methods: [method],
    payment: { ...base.payment!, ...method, address, amount_due: amount, uri, confirmations_required: 6 },
    amount_received: '0',
    amount_remaining: amount,
    amount_payable: amount,
    pay_uri: uri,
  } as BuyerSession;
}

const LTC_ADDRESS = 'rltc1qvrk9gjpmd3qd4xzwt4ztuul0mwq8zrq3ya8pmu';
const TRON_ADDRESS = 'TWer2Ygk5TEheHp3TPuYeqxmB6SsGZmaL6';
/** The demo's other rails: the method, its session, and what must be above the fold for it. */
const RAILS = [
  {
    method: 'ltc@litecoin-regtest',
    session: () =>
      railSession(
        {
          id: 'ltc@litecoin-regtest',
          token: 'LTC',
          kind: 'native',
          family: 'utxo',
          token_address: null,
          decimals: 8,
          chain_id: null,
          network: 'Litecoin (regtest)',
          quote: null,
        },
        LTC_ADDRESS,
        '0.4999',
        `litecoin:${LTC_ADDRESS.toUpperCase()}?amount=0.4999`,
      ),
    // The litecoin: link is the wallet action; the warning names the network.
    parts: [...ABOVE_THE_FOLD, 'network-warning'],
  },
  {
    method: 'usdt@tron-local',
    session: () =>
      railSession(
        {
          id: 'usdt@tron-local',
          token: 'USDT',
          kind: 'trc20',
          family: 'tron',
          token_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
          decimals: 6,
          chain_id: 1337728,
          network: 'TRON (local)',
          quote: null,
        },
        TRON_ADDRESS,
        '49.99',
        TRON_ADDRESS,
      ),
    // No wallet app link for TRON (the QR code is the bare address); the warning is the key part.
    parts: [...ABOVE_THE_FOLD.filter((p) => p !== 'open-in-wallet'), 'network-warning'],
  },
];

describe('<crypto-checkout> layout on a phone, LTC and USDT on TRON', () => {
  before(() => setViewport({ width: 360, height: 640 }));
  after(() => setViewport({ width: 320, height: 640 }));

  for (const rail of RAILS) {
    it(`shows ${rail.parts.join(', ')} above the fold (${rail.method})`, async () => {
      const { el, restore } = await mountStubbed(rail.session);
      try {
        await until(
          () => part(el, 'qr')?.querySelector('svg') && part(el, 'address'),
          'the QR code is drawn',
        );
        await el.updateComplete;
        for (const name of rail.parts) expectInViewport(el, name, 360, 640);
        expect(parts(el, 'copy-button')[1]!.getBoundingClientRect().bottom).to.be.at.most(640);
        expect(part(el, 'wallet'), 'no browser wallet').to.equal(null);
        expect(document.documentElement.scrollWidth).to.be.at.most(360);
      } finally {
        restore();
      }
    });
  }

  it('links the BIP21 URI as the wallet action for LTC', async () => {
    const { el, restore } = await mountStubbed(RAILS[0]!.session);
    try {
      const link = await until(() => part(el, 'open-in-wallet'), 'the wallet app link');
      expect(link!.getAttribute('href')).to.equal(`litecoin:${LTC_ADDRESS.toUpperCase()}?amount=0.4999`);
    } finally {
      restore();
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
