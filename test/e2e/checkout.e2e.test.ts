import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Session } from '@crypto-checkout/protocol';
import { launchChromium } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const DIST = join(import.meta.dirname, '..', '..', 'dist');

/** A plain page, as a merchant's server would render it: the script tag and the element. */
const page = (session: Session, api: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script type="module" src="/dist/crypto-checkout.js"></script></head>
<body>
<crypto-checkout session="${session.client_secret}" api="${api}"></crypto-checkout>
<script>
  window.checkoutEvents = [];
  for (const type of ['checkout-status-change', 'checkout-paid', 'checkout-expired', 'checkout-error']) {
    document.addEventListener(type, (event) => window.checkoutEvents.push({ type, status: event.detail && event.detail.status, at: performance.timeOrigin + performance.now() }));
  }
</script>
</body></html>`;

describe('end to end: built element + backend + anvil + Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let http: Server;
  let origin: string;
  const pages = new Map<string, string>();

  before(async () => {
    // One confirmation, so the measured latency is chain → watcher → SSE → screen, nothing else.
    [stack, browser] = await Promise.all([startStack({ confirmations: 1 }), launchChromium()]);
    http = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (pages.has(url.pathname)) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(pages.get(url.pathname));
      } else if (url.pathname.startsWith('/dist/') && !url.pathname.includes('..')) {
        try {
          const body = await readFile(join(DIST, url.pathname.slice(6)));
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
        } catch {
          res.writeHead(404).end();
        }
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });

  after(async () => {
    await browser?.close();
    http?.close();
    await stack?.stop();
  });

  const waitForPayment = (id: string) =>
    waitFor(
      async () => {
        const response = await fetch(`${stack.apiUrl}/v1/sessions/${id}`, {
          headers: { authorization: `Bearer ${stack.secretKey}` },
        });
        return ((await response.json()) as Session).payment;
      },
      10_000,
      'the element to choose a payment method',
    );

  const open = async (session: Session): Promise<Page> => {
    pages.set(`/${session.id}`, page(session, stack.apiUrl));
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(`${origin}/${session.id}`);
    assert.deepEqual(errors, []);
    return tab;
  };

  test('a USDC payment on chain turns the element paid and fires checkout-paid', async () => {
    const session = await stack.createSession({ amount: '24.00', methods: ['usdc@anvil'] });
    const tab = await open(session);
    const payment = await waitForPayment(session.id);
    // The buyer sees the real derived address and the amount, from the backend, not from the page.
    await tab.getByText(payment.address).first().waitFor();
    await tab.getByText('24', { exact: false }).first().waitFor();
    assert.equal(await tab.locator('crypto-checkout').getAttribute('status'), 'open');

    await stack.pay(payment.address, '24');
    const minedAt = Date.now();
    await tab.locator('crypto-checkout[status="paid"]').waitFor({ timeout: 15_000 });
    const shownAt = Date.now();
    const events = (await tab.evaluate('window.checkoutEvents')) as {
      type: string;
      status?: string;
      at: number;
    }[];
    assert.ok(
      events.some((e) => e.type === 'checkout-paid'),
      JSON.stringify(events),
    );
    assert.ok(events.some((e) => e.type === 'checkout-status-change' && e.status === 'paid'));
    const paidEvent = events.find((e) => e.type === 'checkout-paid')!;
    console.log(
      `  figure: payment mined → element shows paid in ${shownAt - minedAt} ms (checkout-paid fired ${Math.round(paidEvent.at - minedAt)} ms after mining)`,
    );
    await tab.close();
  });

  test('an underpayment shows what is still due, and a top-up completes it', async () => {
    const session = await stack.createSession({ amount: '10.00', methods: ['usdc@anvil'] });
    const tab = await open(session);
    const payment = await waitForPayment(session.id);
    await stack.pay(payment.address, '4');
    await tab.locator('crypto-checkout[status="underpaid"]').waitFor({ timeout: 15_000 });
    await tab.getByText('6', { exact: false }).first().waitFor();
    await stack.pay(payment.address, '6');
    await tab.locator('crypto-checkout[status="paid"]').waitFor({ timeout: 15_000 });
    await tab.close();
  });
});
