import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { build } from 'vite';
import es from '../../src/element/locales/es.js';
import type { Session } from '@crypto-checkout/protocol';
import { launchChromium } from '../support/browser.js';
import { FIXTURE_NOW, sessionFixture } from '../support/session-fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { visualDiff } from '../support/visual-diff.js';
import { waitFor } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MERCHANT = 'Acme & Sons <Shop>';
const SUCCESS_URL = 'https://shop.example/thanks?order=A-1';
const CANCEL_URL = 'https://shop.example/cart';

/** What went wrong in a tab: uncaught errors, console errors, CSP violations, failed requests. */
interface Problems {
  errors: string[];
  violations: string[];
  requests: { url: string; referer?: string; status?: number }[];
}

describe('end to end: hosted checkout page (backend serving a fresh build + anvil + Chromium)', () => {
  let stack: Stack;
  let browser: Browser;
  let dist: string;

  before(async () => {
    // A build of its own, in a temporary folder: the test checks today's sources, and never races
    // another `npm run build` writing dist/.
    dist = await mkdtemp(join(tmpdir(), 'cc-hosted-dist-'));
    await build({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: dist, emptyOutDir: true },
    });
    [stack, browser] = await Promise.all([
      startStack({ confirmations: 1, distDir: dist, config: { merchant_name: MERCHANT } }),
      launchChromium(),
    ]);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  /** Opens `url` in a fresh context and records every problem the page has. */
  const open = async (
    url: string,
    options: BrowserContextOptions = {},
    beforeLoad?: () => void,
    preamble?: string,
  ): Promise<{ tab: Page; problems: Problems }> => {
    const context = await browser.newContext({
      viewport: { width: 320, height: 640 },
      locale: 'en-US',
      ...options,
    });
    const problems: Problems = { errors: [], violations: [], requests: [] };
    // Init scripts are injected by the browser itself, outside the page's CSP.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`),
      );
    });
    if (preamble) await context.addInitScript({ content: preamble });
    if (beforeLoad) await context.addInitScript(beforeLoad);
    const tab = await context.newPage();
    tab.on('pageerror', (error) => problems.errors.push(`pageerror: ${error.message}`));
    tab.on('console', (message) => {
      if (message.type() !== 'error') return;
      (message.text().startsWith('CSP violation') || message.text().includes('Content Security Policy')
        ? problems.violations
        : problems.errors
      ).push(`${message.text()} (${message.location().url})`);
    });
    tab.on('request', (request) =>
      problems.requests.push({ url: request.url(), referer: request.headers().referer }),
    );
    tab.on('response', (response) => {
      const entry = problems.requests.find((r) => r.url === response.url() && r.status === undefined);
      if (entry) entry.status = response.status();
    });
    const response = await tab.goto(url);
    assert.ok(response, 'no response');
    const csp = response.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.equal(response.headers()['referrer-policy'], 'no-referrer');
    return { tab, problems };
  };

  const returnLink = (tab: Page) => tab.locator('#return-link');

  test('a buyer opens checkout_url, chooses USDC, pays on chain and gets the link back to the merchant', async () => {
    const session = await stack.createSession({
      amount: '24.00',
      methods: ['usdc@anvil', 'eth@anvil'],
      success_url: SUCCESS_URL,
      cancel_url: CANCEL_URL,
    });
    assert.equal(session.checkout_url, `${stack.apiUrl}/checkout/${session.id}#${session.client_secret}`);
    const { tab, problems } = await open(session.checkout_url);

    // The merchant's name (escaped by the server, set as text by the script) and the amount.
    await tab.getByRole('heading', { level: 1, name: `Pay ${MERCHANT}` }).waitFor();
    assert.equal(await tab.title(), `Pay ${MERCHANT}`);
    await tab.getByText('$24.00').first().waitFor();
    // Before paying: the way back is "cancel", to cancel_url, with the note that the payment counts anyway.
    await waitFor(
      async () => (await returnLink(tab).textContent()) === `Cancel and return to ${MERCHANT}`,
      10_000,
      'cancel link',
    );
    assert.equal(await returnLink(tab).getAttribute('href'), CANCEL_URL);
    assert.ok(await tab.locator('#note').isVisible());
    assert.equal(await tab.locator('#incomplete').isVisible(), false);

    // The buyer chooses USDC; the QR code (a lazily loaded chunk, SVG) and the address appear.
    await tab.locator('crypto-checkout [part="method"][data-method="usdc@anvil"]').click();
    const address = await waitFor(async () => {
      const response = await fetch(`${stack.apiUrl}/v1/sessions/${session.id}`, {
        headers: { authorization: `Bearer ${stack.secretKey}` },
      });
      return ((await response.json()) as Session).payment?.address;
    });
    await tab.getByText(address).first().waitFor();
    await tab.locator('crypto-checkout svg path').first().waitFor();

    await stack.pay(address, '24');
    await tab.locator('crypto-checkout[status="paid"]').waitFor({ timeout: 15_000 });
    await waitFor(
      async () => (await returnLink(tab).textContent()) === `Return to ${MERCHANT}`,
      10_000,
      'return link',
    );
    assert.equal(await returnLink(tab).getAttribute('href'), SUCCESS_URL);
    // The page's link replaces the element's own unnamed one.
    assert.equal(await tab.locator('crypto-checkout [part="success-link"]').isVisible(), false);

    // It works under the CSP: styles adopted, chunks fetched from /checkout/assets/, nothing blocked.
    assert.ok(
      await tab
        .locator('crypto-checkout')
        .evaluate((el) => (el.shadowRoot?.adoptedStyleSheets.length ?? 0) > 0),
      'the element adopted its stylesheet',
    );
    const assets = problems.requests.filter((r) => new URL(r.url).pathname.startsWith('/checkout/assets/'));
    for (const name of ['hosted-page.js', 'crypto-checkout.js']) {
      assert.ok(
        assets.some((r) => r.url.endsWith(`/${name}`) && r.status === 200),
        `${name} loaded`,
      );
    }
    assert.ok(
      assets.some((r) => /\/qr-[\w-]+\.js$/.test(r.url) && r.status === 200),
      `the QR chunk was loaded: ${JSON.stringify(assets)}`,
    );
    assert.deepEqual(problems.violations, []);
    assert.deepEqual(problems.errors, []);
    // No request leaves a Referer, and the page URL's secret (the fragment) is never a request's path.
    assert.deepEqual(
      problems.requests.filter((r) => r.referer),
      [],
    );
    for (const request of problems.requests)
      assert.ok(!new URL(request.url).pathname.includes('secret'), request.url);
    // Mobile first: nothing wider than a 320 px screen.
    assert.ok(
      await tab.evaluate(() => document.documentElement.scrollWidth <= 320),
      'no horizontal scrolling at 320 px',
    );
    await tab.context().close();
  });

  // Issue 18's above-the-fold rule on the hosted page: once a method is chosen, the page's heading and
  // the checkout's amount, network, QR code, address and copy button, countdown and (on a touch screen)
  // wallet action are all in the window without scrolling, on a phone and on a laptop.
  for (const screen of [
    { width: 360, height: 640, isMobile: true, hasTouch: true },
    { width: 1280, height: 800, isMobile: false, hasTouch: false },
  ]) {
    test(`at ${screen.width}×${screen.height} the page shows the payment's essentials without scrolling`, async () => {
      const session = await stack.createSession({
        amount: '24.00',
        methods: ['usdc@anvil', 'eth@anvil'],
        order_id: 'A-10495',
        success_url: SUCCESS_URL,
        cancel_url: CANCEL_URL,
      });
      const { width, height, ...device } = screen;
      const { tab, problems } = await open(session.checkout_url, { viewport: { width, height }, ...device });
      await tab.locator('crypto-checkout [part="method"][data-method="usdc@anvil"]').click();
      await tab.locator('crypto-checkout [part~="qr"] svg').waitFor();
      await tab.locator('crypto-checkout [part~="address"]').waitFor();
      const essentials = ['amount', 'amount-due', 'network', 'qr', 'address', 'copy-button', 'countdown'];
      if (device.hasTouch) essentials.push('open-in-wallet');
      const boxes = [['heading', await tab.locator('h1').boundingBox()]];
      for (const name of essentials)
        boxes.push([name, await tab.locator(`crypto-checkout [part~="${name}"]`).last().boundingBox()]);
      for (const [name, box] of boxes as [
        string,
        { x: number; y: number; width: number; height: number } | null,
      ][]) {
        assert.ok(box && box.width * box.height > 0, `${name} is shown`);
        const where = `${name} at ${JSON.stringify(box)}`;
        assert.ok(box.y >= 0 && box.x >= 0, `${where} is above or left of the window`);
        assert.ok(box.y + box.height <= height, `${where} is below the fold (${height})`);
        assert.ok(box.x + box.width <= width, `${where} is off to the side (${width})`);
      }
      assert.ok(
        await tab.evaluate(() => scrollY === 0 && document.documentElement.scrollWidth <= innerWidth),
        'nothing scrolled, nothing wider than the window',
      );
      assert.deepEqual(problems.errors, []);
      await tab.context().close();
    });
  }

  // Screenshots of the page on a phone (360 px wide), light and dark, waiting and paid, compared with baselines in
  // test/e2e/screenshots/ (support/visual-diff.ts). The page is a real one for a real session; the
  // session's answers are fixtures and the clock is stopped, so that nothing changes between runs.
  for (const scheme of ['light', 'dark'] as const) {
    test(`looks as before on a phone, ${scheme}: waiting and paid`, async () => {
      const session = await stack.createSession({ methods: ['usdc@anvil', 'eth@anvil'] });
      for (const state of ['waiting', 'paid'] as const) {
        const fixture = sessionFixture(state, {
          id: session.id,
          merchant: { name: MERCHANT, logo_url: null },
        });
        const { tab, problems } = await open(
          session.checkout_url,
          {
            // A phone's width, and tall enough for the whole page: a screenshot taller than the window
            // makes Playwright resize the window for it, which loses the touch emulation (the "Open in
            // wallet app" link, shown only on touch screens, vanished from the picture).
            viewport: { width: 360, height: 960 },
            isMobile: true,
            hasTouch: true,
            colorScheme: scheme,
            reducedMotion: 'reduce',
            timezoneId: 'UTC',
          },
          undefined,
          // Before the page's scripts (as text: a function here would carry the test compiler's helpers
          // into the page): the clock stops at the fixtures' "now" and streams connect, silently, forever.
          `Date.now = () => ${FIXTURE_NOW};
           window.EventSource = class extends EventTarget { get readyState() { return 0; } close() {} };`,
        );
        await tab.route(
          (url) => url.pathname.startsWith('/v1/'),
          (route) => route.fulfill({ json: fixture }),
        );
        await tab.reload();
        await tab.locator(`crypto-checkout[state="ready"]`).waitFor();
        if (state === 'waiting') await tab.locator('crypto-checkout [part~="qr"] svg').waitFor();
        else await tab.locator('crypto-checkout [part~="receipt"]').waitFor();
        await waitFor(async () => await returnLink(tab).isVisible(), 10_000, 'the return link');
        await visualDiff(tab.locator('html'), `hosted-${state}-phone-${scheme}`);
        assert.deepEqual(problems.errors, []);
        await tab.context().close();
      }
    });
  }

  test('without the fragment the page says the link is incomplete and shows no checkout', async () => {
    const session = await stack.createSession({ cancel_url: CANCEL_URL });
    const other = await stack.createSession();
    for (const url of [
      session.checkout_url.replace(/#.*$/, ''),
      `${session.checkout_url.replace(/#.*$/, '')}#${other.client_secret}`,
    ]) {
      const { tab, problems } = await open(url);
      await tab.getByRole('alert').filter({ hasText: 'This payment link is incomplete.' }).waitFor();
      assert.equal(await tab.locator('crypto-checkout').count(), 0);
      assert.equal(await tab.locator('#return').isVisible(), false);
      await tab.getByRole('heading', { level: 1, name: `Pay ${MERCHANT}` }).waitFor();
      assert.deepEqual(problems.violations, []);
      assert.deepEqual(problems.errors, []);
      await tab.context().close();
    }
  });

  test('in a browser without constructable stylesheets the element styles itself with the CSP nonce', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    // As in Safari before 16.4: Lit then writes <style> elements, which the CSP admits only with its nonce.
    const { tab, problems } = await open(session.checkout_url, {}, () => {
      delete (Document.prototype as { adoptedStyleSheets?: unknown }).adoptedStyleSheets;
    });
    await tab.getByText('$10.00').first().waitFor();
    const checkout = tab.locator('crypto-checkout');
    const nonces = await checkout.evaluate((el) =>
      [...(el.shadowRoot?.querySelectorAll('style') ?? [])].map((style) => style.nonce),
    );
    assert.ok(nonces.length > 0, 'Lit fell back to <style> elements');
    assert.ok(nonces.every(Boolean), 'each carries the nonce');
    // The element's styles apply: its amount is not in the page's font size.
    const size = await checkout.evaluate(
      (el) => getComputedStyle(el.shadowRoot!.querySelector('[part="amount"]')!).fontSize,
    );
    assert.notEqual(size, '16px');
    assert.deepEqual(problems.violations, []);
    assert.deepEqual(problems.errors, []);
    await tab.context().close();
  });

  test('a Spanish browser in dark mode gets the page and the checkout in Spanish, dark', async (t) => {
    const session = await stack.createSession({
      amount: '10.00',
      methods: ['usdc@anvil'],
      cancel_url: CANCEL_URL,
    });
    const { tab, problems } = await open(session.checkout_url, { locale: 'es-ES', colorScheme: 'dark' });
    await tab.getByRole('heading', { level: 1, name: es.hosted.title(MERCHANT) }).waitFor();
    assert.equal(await tab.title(), es.hosted.title(MERCHANT));
    assert.equal(await tab.evaluate(() => document.documentElement.lang), 'es-ES');
    assert.equal(await tab.evaluate(() => document.documentElement.dir), 'ltr');
    await waitFor(
      async () => (await returnLink(tab).textContent()) === es.hosted.cancelAndReturn(MERCHANT),
      10_000,
      'Spanish cancel link',
    );
    assert.equal(await tab.locator('#note').textContent(), es.hosted.returnNote);
    // The element speaks Spanish too (one method: it chooses it and waits for the payment).
    await tab.getByText(es.waiting).first().waitFor();
    // Dark: the page's background follows prefers-color-scheme.
    assert.equal(
      await tab.evaluate(() => getComputedStyle(document.body).backgroundColor),
      'rgb(11, 17, 32)',
    );
    assert.deepEqual(problems.violations, []);
    assert.deepEqual(problems.errors, []);
    t.diagnostic(
      `chunks fetched: ${problems.requests.filter((r) => r.url.includes('/checkout/assets/')).length}`,
    );
    await tab.context().close();
  });
});
