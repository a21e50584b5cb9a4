/// <reference types="mocha" />
import { expect, fixture, html } from '@open-wc/testing';
import type { CryptoCheckout } from '../../src/element/index.js';
import { formatAmount, formatCountdown } from '../../src/element/format.js';
import {
  SUPPORTED_LANGUAGES,
  loadMessages,
  resolveLocale,
  type SupportedLanguage,
} from '../../src/element/i18n.js';
import { messages as en } from '../../src/element/messages.js';
import { api, create, part, stack, text, until } from './helpers.js';

/** The locale chunks this page has fetched, by language (`es`, …). */
const fetchedLocales = () =>
  performance
    .getEntriesByType('resource')
    .map((e) => /\/locales\/(\w+)\.(?:ts|js)/.exec(new URL(e.name).pathname)?.[1])
    .filter((language): language is string => !!language);

/** The messages of a language, as the element loads them. */
const messagesOf = (language: SupportedLanguage) => loadMessages(language);

/** Two digits as `Intl` writes them in `locale` (Arabic-Indic digits in ar-EG, say). */
const twoDigits = (n: number, locale: string) =>
  new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false }).format(n);

describe('<crypto-checkout> languages', () => {
  let secret: string;
  let secretOne: string;
  before(async () => {
    // A session with two methods shows the choice (a status line and the method buttons).
    secret = (await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'], amount: '1234.50' }))
      .client_secret;
    secretOne = (await stack.createSession({ methods: ['usdc@anvil'], amount: '1234.50' })).client_secret;
  });

  it('shows English without fetching any language chunk', async () => {
    const { el } = await create(secret);
    el.locale = 'en-US';
    await fixture(html`${el}`);
    await until(() => part(el, 'methods'), 'the methods are shown');
    expect(text(el, 'status')).to.equal(en.choose);
    expect(fetchedLocales()).to.deep.equal([]);
  });

  for (const language of SUPPORTED_LANGUAGES.filter((l) => l !== 'en')) {
    it(`renders ${language}: texts, Intl amounts and times, direction, fetched on demand`, async () => {
      const m = await messagesOf(language);
      expect(m, 'the language has its own messages').to.not.equal(en);
      const { el } = await create(secretOne);
      el.locale = language;
      await fixture(html`<div style="width: 320px">${el}</div>`);
      await until(() => part(el, 'address'), 'the address is shown');
      const base = part(el, 'base')!;
      expect(base.getAttribute('lang')).to.equal(language);
      expect(base.getAttribute('dir')).to.equal(language === 'ar' ? 'rtl' : 'ltr');
      expect(text(el, 'status')).to.equal(m.waiting);
      expect(text(el, 'amount')).to.equal(
        // text() collapses whitespace, Intl's no-break spaces included.
        new Intl.NumberFormat(language, { style: 'currency', currency: 'USD' })
          .format(1234.5)
          .replace(/\s+/g, ' '),
      );
      const countdown = text(el, 'countdown');
      expect(countdown.startsWith(m.expiresIn('', '').split(/\s/)[0]!), countdown).to.equal(true);
      expect(part(el, 'network')).to.not.equal(null);
      expect(text(el, 'copy-button')).to.contain(m.copy);
      expect(part(el, 'qr')!.getAttribute('aria-label')).to.contain(part(el, 'address')!.textContent!.trim());
      // Addresses stay left to right in every language, and nothing overflows a 320 px card.
      expect(part(el, 'address')!.getAttribute('dir')).to.equal('ltr');
      expect(el.scrollWidth, 'no horizontal overflow').to.be.at.most(el.clientWidth + 1);
      expect(fetchedLocales()).to.include(language);
    });
  }

  it('mirrors the layout in Arabic: text starts on the right, the amount keeps its order', async () => {
    const { el } = await create(secretOne);
    el.locale = 'ar';
    await fixture(html`<div style="width: 360px">${el}</div>`);
    await until(() => part(el, 'address'), 'the address is shown');
    const status = part(el, 'status')!;
    expect(getComputedStyle(status).direction).to.equal('rtl');
    const range = document.createRange();
    range.selectNodeContents(status);
    const textBox = range.getBoundingClientRect();
    const box = status.getBoundingClientRect();
    expect(box.right - textBox.right, 'the status text is flush right').to.be.lessThan(2);
    expect(box.left - textBox.left).to.be.lessThan(-10);
    const due = part(el, 'amount-due')!;
    expect(getComputedStyle(due).direction).to.equal('ltr');
    // The countdown uses the language's digits, whichever Intl says they are.
    el.locale = 'ar-EG';
    await until(() => part(el, 'base')!.getAttribute('lang') === 'ar-EG', 'ar-EG is chosen');
    expect(twoDigits(5, 'ar-EG'), 'ar-EG writes Arabic-Indic digits').to.equal('٠٥');
    expect(text(el, 'countdown')).to.match(/[٠-٩]{2}:[٠-٩]{2}/);
  });

  it('takes the language from lang on the element, an ancestor or the page, then the browser', async () => {
    const { el } = await create(secret);
    await fixture(html`<section lang="de-CH">${el}</section>`);
    await until(() => part(el, 'methods'), 'the methods are shown');
    const de = await messagesOf('de');
    await until(() => text(el, 'status') === de.choose, 'German from the ancestor');
    expect(part(el, 'base')!.getAttribute('lang')).to.equal('de-CH');

    el.setAttribute('lang', 'fr');
    const fr = await messagesOf('fr');
    await until(() => text(el, 'status') === fr.choose, 'French from the element’s own lang');

    el.locale = 'ja';
    const ja = await messagesOf('ja');
    await until(() => text(el, 'status') === ja.choose, 'Japanese from the locale property');

    // A language without messages is passed over for the next candidate.
    expect(resolveLocale(el, 'it-IT').language).to.equal('fr');
    const lone = document.createElement('div');
    const previous = document.documentElement.lang;
    try {
      document.documentElement.lang = 'pt-BR';
      expect(resolveLocale(lone)).to.deep.equal({ tag: 'pt-BR', language: 'pt', dir: 'ltr' });
      document.documentElement.lang = 'xx';
      expect(resolveLocale(lone).language).to.equal(
        navigator.languages
          .map((l) => l.split('-')[0])
          .find((l) => SUPPORTED_LANGUAGES.includes(l as 'en')) ?? 'en',
      );
    } finally {
      document.documentElement.lang = previous;
    }
  });

  it('formats token amounts exactly for reading, and keeps the copied amount as the server sent it', () => {
    expect(formatAmount('1234.50', 'de')).to.equal('1.234,50');
    expect(formatAmount('0.123456789012345678', 'en')).to.equal('0.123456789012345678');
    expect(formatAmount('12345678901234567890.000000000000000001', 'en')).to.equal(
      '12,345,678,901,234,567,890.000000000000000001',
    );
    expect(formatAmount('not a number', 'de')).to.equal('not a number');
    expect(formatCountdown(65_000, 'ar-EG')).to.equal(`${twoDigits(1, 'ar-EG')}:${twoDigits(5, 'ar-EG')}`);
    expect(formatCountdown(65_000, 'ar-EG')).to.equal('٠١:٠٥');
    expect(formatCountdown(3_725_000, 'en')).to.equal('1:02:05');
  });

  it('shows an error in the buyer’s language', async () => {
    const el = document.createElement('crypto-checkout') as CryptoCheckout;
    el.api = await api();
    el.locale = 'es';
    el.session = 'cs_missing0000000000000000_secret_000000000000000000000000';
    await fixture(html`${el}`);
    await until(() => el.state === 'error', 'the error is shown');
    const es = await messagesOf('es');
    await until(() => text(el, 'status') === es.notFound, 'the Spanish error');
    expect(text(el, 'retry-button')).to.equal(es.retry);
  });
});
