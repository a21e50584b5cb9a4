/// <reference types="mocha" />
// axe-core (through @open-wc/testing's `accessible()`) on the element in every state a buyer can see,
// in the light and the dark scheme, and in a right-to-left language. axe checks the shadow DOM too:
// names of controls, roles, the live region, color contrast.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { CryptoCheckout } from '../../src/element/index.js';
import { api, create, mount, mountUsdc, part, stack, text, until } from './helpers.js';

/** Mounts `el` inside a page-like wrapper with a main landmark, as a merchant's page would have it. */
async function inPage(el: CryptoCheckout, theme: 'light' | 'dark' = 'light') {
  el.theme = theme;
  // The page behind a dark checkout is dark too: axe checks the contrast of what is around the card.
  await fixture(
    html`<main style=${theme === 'dark' ? 'background:#000;padding:8px' : 'padding:8px'}>
      <h1 style=${theme === 'dark' ? 'color:#fff' : ''}>Checkout</h1>
      ${el}
    </main>`,
  );
}

/** Runs axe on the element's page; fails with axe's list of violations. */
const checkAxe = (el: CryptoCheckout) => expect(el.parentElement).to.be.accessible();

describe('<crypto-checkout> accessibility (axe-core)', () => {
  for (const theme of ['light', 'dark'] as const) {
    describe(`${theme} scheme`, () => {
      it('has no violations while loading', async () => {
        // Hold the session request so that the loading state stays on screen while axe runs.
        const realFetch = window.fetch;
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        window.fetch = (input, init) => gate.then(() => realFetch(input, init));
        try {
          const session = await stack.createSession({ methods: ['usdc@anvil'] });
          const { el } = await create(session.client_secret);
          await inPage(el, theme);
          await until(() => el.state === 'loading', 'the element is loading');
          expect(part(el, 'spinner')).to.not.equal(null);
          await checkAxe(el);
        } finally {
          release();
          window.fetch = realFetch;
        }
      });

      it('has no violations while the buyer chooses a method', async () => {
        const session = await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'] });
        const { el } = await create(session.client_secret);
        await inPage(el, theme);
        await until(() => part(el, 'methods'), 'the methods are shown');
        await checkAxe(el);
      });

      it('has no violations while awaiting payment, processing, and once paid', async () => {
        const { el, payment } = await mountUsdc({ success_url: 'https://shop.example/thanks' });
        el.theme = theme;
        await until(() => el.shadowRoot!.querySelector('[part~="qr"] svg'), 'the QR code is drawn');
        await checkAxe(el);

        await stack.pay(payment.address, payment.amount_due);
        await until(() => el.status === 'processing', 'the element shows processing');
        await checkAxe(el);

        await stack.mine(1);
        await until(() => el.status === 'paid', 'the element shows paid');
        expect(part(el, 'success-link')).to.not.equal(null);
        await checkAxe(el);
      });

      it('has no violations when underpaid, and once expired', async () => {
        const { el, payment, session } = await mountUsdc();
        el.theme = theme;
        await stack.pay(payment.address, '0.5');
        await stack.mine(1);
        await until(() => el.status === 'underpaid', 'the element shows underpaid');
        await checkAxe(el);

        await stack.expire(session.id);
        await until(() => el.status === 'expired', 'the element shows expired');
        await checkAxe(el);
      });

      it('has no violations when the session cannot be loaded', async () => {
        const el = document.createElement('crypto-checkout');
        el.api = await api();
        el.session = 'cs_missing0000000000000000_secret_000000000000000000000000';
        await inPage(el, theme);
        await until(() => el.state === 'error', 'the element shows the error');
        expect(part(el, 'retry-button')).to.not.equal(null);
        await checkAxe(el);
      });
    });
  }

  it('has no violations in Arabic, right to left', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const { el } = await mount(session.client_secret);
    el.locale = 'ar';
    await until(
      () => part(el, 'base')?.getAttribute('dir') === 'rtl' && part(el, 'address'),
      'Arabic is shown',
    );
    await checkAxe(el);
  });

  it('reaches every control with Tab, each with a visible focus ring', async () => {
    const { el } = await mountUsdc();
    await until(() => el.shadowRoot!.querySelector('[part~="qr"] svg'), 'the QR code is drawn');
    const controls = [...el.shadowRoot!.querySelectorAll<HTMLElement>('button, a[href]')].filter((c) =>
      c.checkVisibility(),
    );
    expect(controls.length, 'copy buttons at least').to.be.at.least(2);
    const reached = new Set<Element>();
    for (let i = 0; i < controls.length + 3 && reached.size < controls.length; i++) {
      await sendKeys({ press: 'Tab' });
      const focused = el.shadowRoot!.activeElement;
      if (!focused) continue;
      reached.add(focused);
      const style = getComputedStyle(focused);
      expect(style.outlineStyle, `${focused.getAttribute('part')} shows focus`).to.not.equal('none');
      expect(parseFloat(style.outlineWidth)).to.be.at.least(2);
    }
    expect(controls.filter((c) => !reached.has(c)).map((c) => c.getAttribute('part'))).to.deep.equal([]);
  });

  it('announces status changes in one polite live region that stays in place', async () => {
    const { el, payment } = await mountUsdc();
    const region = part(el, 'status')!;
    expect([region.getAttribute('role'), region.getAttribute('aria-live')]).to.deep.equal([
      'status',
      'polite',
    ]);
    const before = text(el, 'status');
    await stack.pay(payment.address, payment.amount_due);
    await until(() => el.status === 'processing', 'the element shows processing');
    // The same node with new text: screen readers announce changes of a region they already know.
    expect(part(el, 'status')).to.equal(region);
    expect(text(el, 'status')).to.not.equal(before);
    expect(text(el, 'status')).to.match(/confirming 1\/2/);
  });
});
