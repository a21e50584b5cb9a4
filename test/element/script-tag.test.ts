/// <reference types="mocha" />
// Pages that load the built package with script tags, each in an iframe of its own (a fresh window,
// so a fresh custom element registry): the ES module with `<script type="module" src>`, the classic
// build with a plain `<script src>`, both of them or either twice. Only the production bundles and
// plain data (VERSION, the Spanish messages) are imported here, as a page using the package would.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { CryptoCheckoutGlobal } from '../../src/element/classic.js';
import type { CheckoutDialog, CryptoCheckout } from '../../src/element/index.js';
import es from '../../src/element/locales/es.js';
import { VERSION } from '../../src/element/version.js';
import type { Session } from '@crypto-checkout/protocol';
import { waitFor } from '../support/wait-for.js';

/** The symbol defineElement marks a registered class with (src/element/define.ts). */
const VERSION_KEY = Symbol.for('crypto-checkout.version');
const OTHER_VERSION = '9.9.9-test';

const part = (el: Element, name: string) =>
  el.shadowRoot?.querySelector<HTMLElement>(`[part~="${name}"]`) ?? null;
const text = (el: Element, name: string) => (part(el, name)?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** The window of a test page: what it logged, and the globals the bundles set. */
type PageWindow = Window &
  typeof globalThis & {
    __log: { warnings: string[]; errors: string[] };
    litElementVersions?: string[];
  };

// Runs first in every page: records console warnings, uncaught exceptions and unhandled rejections.
const RECORDER = `window.__log = { warnings: [], errors: [] };
const warn = console.warn.bind(console);
console.warn = (...args) => { __log.warnings.push(args.map(String).join(' ')); warn(...args); };
addEventListener('error', (e) => __log.errors.push(String(e.message)));
addEventListener('unhandledrejection', (e) => __log.errors.push(String(e.reason)));`;

const frames: HTMLIFrameElement[] = [];
afterEach(() => {
  for (const frame of frames.splice(0)) frame.remove();
});

/** Opens a page whose body is `body` and resolves once it has loaded (its scripts have run). */
async function openPage(body: string): Promise<PageWindow> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 640px; height: 900px; border: 0';
  frame.srcdoc = `<!doctype html><html lang="en"><head><meta charset="utf-8"><script>${RECORDER}</script></head><body>${body}</body></html>`;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  frames.push(frame);
  await loaded;
  return frame.contentWindow as PageWindow;
}

/** Adds a script to a page and resolves once it has run. */
function addScript(win: PageWindow, src: string, type?: 'module'): Promise<unknown> {
  const script = win.document.createElement('script');
  if (type) script.type = type;
  script.src = src;
  return new Promise((resolve, reject) => {
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} failed to load`));
    win.document.head.append(script);
  });
}

/** Paths of the bundle directory's files that a page has fetched, in order. */
const fetched = (win: PageWindow) =>
  win.performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => path.includes('/crypto-checkout-test-bundle/'));

/** The page's warnings about crypto-checkout (registration of a second copy). */
const ourWarnings = (win: PageWindow) => win.__log.warnings.filter((w) => w.includes('crypto-checkout'));

/**
 * A copy of a built file whose VERSION is `version`, at a blob: URL: what a page that loads two
 * releases gets. The minifier inlines VERSION, so every literal of it is rewritten.
 */
async function copyWithVersion(url: string, version: string): Promise<string> {
  const code = await (await fetch(url)).text();
  const literal = new RegExp(`([\`'"])${VERSION.replace(/\./g, '\\.')}\\1`, 'g');
  expect(code.match(literal)?.length ?? 0, `VERSION literals in ${url}`).to.be.greaterThan(0);
  const copy = code.replace(literal, `$1${version}$1`);
  return URL.createObjectURL(new Blob([copy], { type: 'text/javascript' }));
}

/**
 * Asserts that `a` is `b` (or is not). Classes and windows of another page are compared by identity
 * only: a failure message that printed them would walk a whole realm.
 */
const expectSame = (a: unknown, b: unknown, message: string, same = true) =>
  expect(a === b, message).to.equal(same);

/** Waits until a checkout shows the session's amount and a drawn QR code. */
async function expectAmountAndQr(el: Element, amount = '$10.00') {
  await waitFor(
    () => text(el, 'amount') === amount && part(el, 'address'),
    20_000,
    `the amount ${amount} is shown`,
  );
  const svg = await waitFor(() => part(el, 'qr')?.querySelector('svg'), 20_000, 'the QR code is drawn');
  expect(svg.querySelectorAll('path').length).to.be.greaterThan(0);
}

describe('script tags: the built ES module and the classic script on plain pages', function () {
  this.timeout(60_000);
  let entry: string;
  let classic: string;
  let apiUrl: string;
  /** A new USDC-only session (the method is chosen by itself, so the address and QR show at once). */
  const newSession = () =>
    executeServerCommand<Session, object>('stack-create-session', { methods: ['usdc@anvil'] });

  before(async function () {
    this.timeout(120_000);
    entry = await executeServerCommand<string, undefined>('build-bundle');
    classic = entry.replace(/crypto-checkout\.js$/, 'crypto-checkout.classic.js');
    ({ apiUrl } = await executeServerCommand<{ apiUrl: string }, undefined>('stack-info'));
  });

  it('<script type="module" src> shows a real session: amount and QR', async () => {
    const session = await newSession();
    const win = await openPage(
      `<script type="module" src="${entry}"></script>
       <crypto-checkout session="${session.client_secret}" api="${apiUrl}"></crypto-checkout>`,
    );
    await expectAmountAndQr(win.document.querySelector('crypto-checkout')!);
    expectSame(win.CryptoCheckout, undefined, 'the ES module sets no global');
    expect(fetched(win)[0]).to.equal(entry);
    expect(win.__log).to.deep.equal({ warnings: [], errors: [] });
  });

  it('<script src> of the classic build shows a real session from one file, with one Lit', async () => {
    const session = await newSession();
    const win = await openPage(
      `<script src="${classic}"></script>
       <crypto-checkout session="${session.client_secret}" api="${apiUrl}"></crypto-checkout>`,
    );
    const global = win.CryptoCheckout as CryptoCheckoutGlobal;
    expect(global.VERSION).to.equal(VERSION);
    expectSame(
      win.customElements.get('crypto-checkout'),
      global.CryptoCheckout,
      'the checkout is registered',
    );
    expectSame(
      win.customElements.get('crypto-checkout-dialog'),
      global.CheckoutDialog,
      'the dialog is registered',
    );
    await expectAmountAndQr(win.document.querySelector('crypto-checkout')!);
    // The QR encoder and the wallet code are inside: nothing else of the package is fetched.
    expect(fetched(win)).to.deep.equal([classic]);
    expect(win.litElementVersions, 'one copy of Lit').to.have.length(1);
    expect(win.__log).to.deep.equal({ warnings: [], errors: [] });
  });

  it('the classic build speaks the languages it holds without fetching them', async () => {
    const session = await newSession();
    const win = await openPage(
      `<script src="${classic}"></script>
       <crypto-checkout locale="es" session="${session.client_secret}" api="${apiUrl}"></crypto-checkout>`,
    );
    const el = win.document.querySelector('crypto-checkout')!;
    await waitFor(
      () => part(el, 'address') && text(el, 'status') === es.waiting,
      20_000,
      'the status is in Spanish',
    );
    expect(text(el, 'amount')).to.equal(
      new Intl.NumberFormat('es', { style: 'currency', currency: 'USD' }).format(10).replace(/\s+/g, ' '),
    );
    expect(fetched(win)).to.deep.equal([classic]);
  });

  it('CryptoCheckout.open() of the classic build opens the checkout in a dialog and resolves on close', async () => {
    const session = await newSession();
    const win = await openPage(`<script src="${classic}"></script><button>Pay</button>`);
    const result = win.CryptoCheckout!.open({ session: session.client_secret, api: apiUrl });
    const dialog = await waitFor(
      () => win.document.querySelector<CheckoutDialog>('crypto-checkout-dialog'),
      20_000,
      'the dialog is added to the page',
    );
    expect(dialog.open).to.equal(true);
    expect((part(dialog, 'dialog') as HTMLDialogElement).open, 'the <dialog> is open').to.equal(true);
    const checkout = await waitFor(
      () => dialog.shadowRoot!.querySelector<CryptoCheckout>('crypto-checkout'),
      20_000,
      'the checkout is in the dialog',
    );
    await expectAmountAndQr(checkout);
    dialog.close();
    const { status } = await result;
    expect(status).to.equal('open');
    expect(win.document.querySelector('crypto-checkout-dialog'), 'the dialog is removed').to.equal(null);
    expect(win.__log).to.deep.equal({ warnings: [], errors: [] });
  });

  it("the classic build imports WalletConnect from the ES build's chunk next to it, on demand", async () => {
    const session = await newSession();
    const win = await openPage(
      `<script src="${classic}"></script>
       <crypto-checkout session="${session.client_secret}" api="${apiUrl}"></crypto-checkout>`,
    );
    const el = win.document.querySelector('crypto-checkout')!;
    await waitFor(() => part(el, 'address'), 20_000, 'the payment is shown');
    expect(fetched(win)).to.deep.equal([classic]);
    el.setAttribute('walletconnect-project-id', 'test-project-0001');
    await waitFor(
      () => el.shadowRoot!.querySelector('[part~="wallet"] [part~="wallet-option"]'),
      20_000,
      'WalletConnect is offered',
    );
    // Fetched ahead of the tap, next to the script (this page is elsewhere), and it ran: it imports
    // the bundler's runtime chunk, and nothing that holds Lit.
    const chunk = await waitFor(
      () => fetched(win).find((path) => /\/walletconnect-sdk-[\w-]+\.js$/.test(path)),
      20_000,
      "WalletConnect's chunk is fetched",
    );
    expect(chunk.startsWith(classic.slice(0, classic.lastIndexOf('/') + 1))).to.equal(true);
    await waitFor(
      () => fetched(win).some((path) => /\/rolldown-runtime-[\w-]+\.js$/.test(path)),
      20_000,
      'it runs',
    );
    const status = (
      win.performance.getEntriesByName(new URL(chunk, location.href).href)[0] as PerformanceResourceTiming
    ).responseStatus;
    expect(status).to.equal(200);
    expect(win.litElementVersions, 'still one copy of Lit').to.have.length(1);
    expect(win.__log).to.deep.equal({ warnings: [], errors: [] });
  });

  describe('loading the package twice: the first definition wins, no exception', () => {
    type Build = 'es' | 'classic';
    // Deferred classic scripts and module scripts run in document order, so the tags load in order.
    const tag = (build: Build, src: string) =>
      build === 'es'
        ? `<script type="module" src="${src}"></script>`
        : `<script defer src="${src}"></script>`;
    const url = (build: Build) => (build === 'es' ? entry : classic);

    const cases: [Build, Build][] = [
      ['es', 'es'],
      ['classic', 'es'],
      ['es', 'classic'],
      ['classic', 'classic'],
    ];
    for (const [first, second] of cases) {
      it(`${first} then ${second}, same version: no warning`, async () => {
        // A second ES module must come from another URL to run again; a classic script runs every time.
        const secondUrl = second === 'es' && first === 'es' ? `${entry}?copy` : url(second);
        // Between the two, a deferred script (so that it runs in order) notes the first copy's global.
        const note = tag(
          'classic',
          `data:text/javascript,${encodeURIComponent('window.__afterFirst = window.CryptoCheckout')}`,
        );
        const win = await openPage(`${tag(first, url(first))}${note}${tag(second, secondUrl)}`);
        const registered = win.customElements.get('crypto-checkout') as CustomElementConstructor & {
          [VERSION_KEY]?: string;
        };
        expect(registered[VERSION_KEY]).to.equal(VERSION);
        expect(win.litElementVersions, 'both copies ran').to.have.length(2);
        if (first === 'classic') {
          expectSame(
            registered,
            win.CryptoCheckout!.CryptoCheckout,
            "the first copy's class stays registered",
          );
        }
        if (second === 'classic' && first === 'es') {
          expectSame(
            registered,
            win.CryptoCheckout!.CryptoCheckout,
            "the ES module's class stays registered",
            false,
          );
        }
        if (first === 'es' && second === 'es') {
          const a = (await win.eval(`import(${JSON.stringify(entry)})`)) as { CryptoCheckout: unknown };
          expectSame(registered, a.CryptoCheckout, "the first module's class stays registered");
        }
        if (first === 'classic' && second === 'classic') {
          expectSame(
            win.CryptoCheckout,
            (win as unknown as { __afterFirst: unknown }).__afterFirst,
            "the first copy's window.CryptoCheckout stays",
          );
        }
        expect(win.__log).to.deep.equal({ warnings: [], errors: [] });
      });

      it(`${first} then ${second} of another version: one warning naming both`, async () => {
        const win = await openPage(
          `${tag(first, url(first))}${tag(second, await copyWithVersion(url(second), OTHER_VERSION))}`,
        );
        const registered = win.customElements.get('crypto-checkout') as CustomElementConstructor & {
          [VERSION_KEY]?: string;
        };
        expect(registered[VERSION_KEY], 'the first copy stays registered').to.equal(VERSION);
        expect(win.__log.errors).to.deep.equal([]);
        const warnings = ourWarnings(win);
        const about = warnings.find((w) => w.startsWith('<crypto-checkout>:'));
        expect(about, warnings.join('\n')).to.contain(`crypto-checkout ${OTHER_VERSION} was loaded`);
        expect(about).to.contain(`version ${VERSION} is already registered`);
        // One per element name (the checkout, its dialog, its button), each naming both versions.
        expect(new Set(warnings).size).to.equal(warnings.length);
        for (const warning of warnings) expect(warning).to.contain(OTHER_VERSION).and.contain(VERSION);
        if (first === 'classic') expect(win.CryptoCheckout!.VERSION).to.equal(VERSION);
        if (first === 'es' && second === 'classic')
          expect(win.CryptoCheckout!.VERSION).to.equal(OTHER_VERSION);
      });
    }
  });

  describe('upgrade: properties set before the definition arrives are honoured', () => {
    for (const build of ['es', 'classic'] as const) {
      it(`${build}: session and api set on an undefined <crypto-checkout>, then the script`, async () => {
        const session = await newSession();
        const win = await openPage('<crypto-checkout></crypto-checkout>');
        const el = win.document.querySelector('crypto-checkout')! as HTMLElement & {
          session: string;
          api: string;
        };
        expectSame(win.customElements.get('crypto-checkout'), undefined, 'not defined yet');
        el.session = session.client_secret;
        el.api = apiUrl;
        // And one made by code, not yet in the page.
        const made = win.document.createElement('crypto-checkout') as typeof el;
        made.session = session.client_secret;
        made.api = apiUrl;
        await addScript(win, build === 'es' ? entry : classic, build === 'es' ? 'module' : undefined);
        expectSame(win.customElements.get('crypto-checkout'), undefined, 'defined now', false);
        await expectAmountAndQr(el);
        win.document.body.append(made);
        await expectAmountAndQr(made);
        expect(el.getAttribute('status')).to.equal('open');
        expect(win.__log).to.deep.equal({ warnings: [], errors: [] });
      });
    }
  });
});
