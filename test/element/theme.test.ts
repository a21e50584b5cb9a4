/// <reference types="mocha" />
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import { create, part, stack, until } from './helpers.js';

const rgb = (color: string) => {
  const probe = document.createElement('span');
  probe.style.color = color;
  document.body.append(probe);
  const value = getComputedStyle(probe).color;
  probe.remove();
  return value;
};

describe('<crypto-checkout> theming', () => {
  let secret: string;
  before(async () => {
    secret = (await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'] })).client_secret;
  });
  afterEach(() => emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' }));

  it('is light by default, dark with theme="dark", and follows the system with theme="auto"', async () => {
    const { el } = await create(secret);
    await fixture(html`${el}`);
    await until(() => part(el, 'methods'), 'the methods are shown');
    expect(getComputedStyle(el).backgroundColor).to.equal(rgb('#fff'));
    expect(getComputedStyle(el).color).to.equal(rgb('#111827'));

    el.theme = 'dark';
    await el.updateComplete;
    expect(el.getAttribute('theme')).to.equal('dark');
    expect(getComputedStyle(el).backgroundColor).to.equal(rgb('#111827'));
    expect(getComputedStyle(el).color).to.equal(rgb('#f3f4f6'));
    expect(getComputedStyle(el).colorScheme).to.equal('dark');

    el.theme = 'auto';
    await el.updateComplete;
    expect(getComputedStyle(el).backgroundColor, 'auto in a light system').to.equal(rgb('#fff'));
    await emulateMedia({ colorScheme: 'dark' });
    expect(getComputedStyle(el).backgroundColor, 'auto in a dark system').to.equal(rgb('#111827'));
    expect(getComputedStyle(part(el, 'method')!).color).to.equal(rgb('#f3f4f6'));
  });

  it('applies the page’s custom properties and ::part() rules in either scheme', async () => {
    const { el } = await create(secret);
    await fixture(
      html`<div>
        <style>
          .branded {
            --checkout-bg: rgb(250, 240, 230);
            --checkout-fg: rgb(10, 20, 30);
            --checkout-accent: rgb(200, 0, 100);
            --checkout-radius: 3px;
            --checkout-font: Georgia, serif;
          }
          .branded::part(amount) {
            font-size: 40px;
          }
          .branded::part(method) {
            border-color: rgb(1, 2, 3);
          }
        </style>
        ${el}
      </div>`,
    );
    el.classList.add('branded');
    await until(() => part(el, 'methods'), 'the methods are shown');
    for (const theme of ['light', 'dark'] as const) {
      el.theme = theme;
      await el.updateComplete;
      const host = getComputedStyle(el);
      expect(host.backgroundColor, theme).to.equal('rgb(250, 240, 230)');
      expect(host.color, theme).to.equal('rgb(10, 20, 30)');
      expect(host.borderTopLeftRadius).to.equal('3px');
      expect(host.fontFamily).to.contain('Georgia');
      expect(getComputedStyle(part(el, 'amount')!).fontSize).to.equal('40px');
      expect(getComputedStyle(part(el, 'method')!).borderTopColor).to.equal('rgb(1, 2, 3)');
      expect(getComputedStyle(part(el, 'method')!).color).to.equal('rgb(10, 20, 30)');
    }
  });

  it('stops the spinner when the buyer prefers reduced motion', async () => {
    const realFetch = window.fetch;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    window.fetch = (input, init) => gate.then(() => realFetch(input, init));
    try {
      const { el } = await create(secret);
      await fixture(html`${el}`);
      const spinner = await until(() => part(el, 'spinner'), 'the spinner is shown');
      expect(getComputedStyle(spinner).animationName).to.equal('spin');
      await emulateMedia({ reducedMotion: 'reduce' });
      expect(getComputedStyle(spinner).animationName).to.equal('none');
    } finally {
      release();
      window.fetch = realFetch;
    }
  });
});
