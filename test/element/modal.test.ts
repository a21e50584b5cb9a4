/// <reference types="mocha" />
import { expect, fixture, html, nextFrame } from '@open-wc/testing';
import { emulateMedia, sendKeys, sendMouse, setViewport } from '@web/test-runner-commands';
import type { BuyerSession, CreateSessionRequest } from '@crypto-checkout/protocol';
import { CHECKOUT_PARTS } from '../../src/element/checkout-dialog.js';
import {
  openCheckout,
  type CheckoutButton,
  type CheckoutCloseDetail,
  type CheckoutCloseRequestEvent,
  type CheckoutDialog,
  type CheckoutStatusChangeDetail,
  type CryptoCheckout,
} from '../../src/element/index.js';
import { api, buyerSession, part, recordEvents, spyNetwork, stack, transitions, until } from './helpers.js';

/** The focused element, inside shadow roots too. */
function deepActive(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/**
 * A short name of an element for assertions: comparing elements themselves makes a failing assertion
 * hang the test runner, which serialises both sides of it.
 */
function label(el: Element | null): string {
  if (!el) return 'nothing';
  return [el.localName, el.getAttribute('part'), el.getAttribute('data-method'), el.id && `#${el.id}`]
    .filter(Boolean)
    .join(' ');
}

/** Whether `node` is `container` or inside it, across shadow roots. */
function isInside(node: Node | null, container: Node): boolean {
  for (let n = node; n; n = n.parentNode ?? (n instanceof ShadowRoot ? n.host : null)) {
    if (n === container) return true;
  }
  return false;
}

const dialogOf = (button: CheckoutButton) =>
  button.shadowRoot!.querySelector('crypto-checkout-dialog') as CheckoutDialog;
const nativeOf = (dialog: CheckoutDialog) => dialog.shadowRoot!.querySelector('dialog')!;
const checkoutIn = (dialog: CheckoutDialog) =>
  dialog.shadowRoot!.querySelector('crypto-checkout') as CryptoCheckout | null;
const dialogPart = (dialog: CheckoutDialog, name: string) =>
  dialog.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`)!;
const pageButtonOf = (button: CheckoutButton) =>
  button.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!;

/** The middle of an element, in viewport pixels, for sendMouse. */
function center(el: Element): [number, number] {
  const r = el.getBoundingClientRect();
  return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];
}

/** Resolves once the open animation (if any) has run, so that axe and layout see the final state. */
async function settled(dialog: CheckoutDialog) {
  await Promise.all(
    nativeOf(dialog)
      .getAnimations({ subtree: true })
      .map((a) => a.finished),
  );
}

/** Resolves after `ms`: only for proving that nothing happens, never for waiting on something. */
const quietFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A page with a button of its own and a `<crypto-checkout-button>` for a new session, as a merchant's
 * page would have them.
 */
async function mountButton(
  body: Partial<CreateSessionRequest> = {},
  attributes: Record<string, string> = {},
) {
  const session = await stack.createSession(body);
  const page = await fixture<HTMLElement>(
    html`<main>
      <h1>Shop</h1>
      <p>One mug, 10 USD.</p>
      <button id="behind">Keep shopping</button>
      <crypto-checkout-button session=${session.client_secret} api=${await api()}></crypto-checkout-button>
    </main>`,
  );
  const button = page.querySelector('crypto-checkout-button')!;
  for (const [name, value] of Object.entries(attributes)) button.setAttribute(name, value);
  await button.updateComplete;
  return { page, button, session, dialog: dialogOf(button), events: recordEvents(button) };
}

/** Opens the button's dialog with a real click and waits until it is open. */
async function openByMouse(button: CheckoutButton) {
  await sendMouse({ type: 'click', position: center(pageButtonOf(button)) });
  const dialog = dialogOf(button);
  await until(() => nativeOf(dialog).open, 'the dialog opens');
  return dialog;
}

/** Every part name rendered in the checkout's shadow root. */
const renderedParts = (checkout: CryptoCheckout) => [
  ...new Set(
    [...checkout.shadowRoot!.querySelectorAll('[part]')].flatMap((el) =>
      el.getAttribute('part')!.split(/\s+/),
    ),
  ),
];

describe('<crypto-checkout-button> and <crypto-checkout-dialog>', () => {
  afterEach(() => sendMouse({ type: 'move', position: [0, 0] }));

  it('opens with Enter and Space, moves focus into the modal, and Escape closes it with focus back on the button', async () => {
    const { button, dialog } = await mountButton();
    const closes: CheckoutCloseDetail[] = [];
    const requests: string[] = [];
    button.addEventListener('checkout-close', (e) => closes.push(e.detail));
    button.addEventListener('checkout-close-request', (e) => requests.push(e.detail.reason));
    const trigger = pageButtonOf(button);
    expect(trigger.textContent!.trim()).to.equal('Pay with crypto');
    expect(label(checkoutIn(dialog)), 'nothing loads before the dialog opens').to.equal('nothing');

    button.focus();
    expect(label(deepActive())).to.equal(label(trigger));
    await sendKeys({ press: 'Enter' });
    await until(() => nativeOf(dialog).open, 'Enter opens the dialog');
    const native = nativeOf(dialog);
    expect(dialog.open).to.equal(true);
    expect(dialog.hasAttribute('open')).to.equal(true);
    expect(native.matches(':modal'), 'in the top layer, the page inert').to.equal(true);
    expect(label(deepActive())).to.equal(label(native));
    const title = dialog.shadowRoot!.getElementById(native.getAttribute('aria-labelledby')!);
    expect(title?.textContent!.trim()).to.equal('Crypto payment');
    expect(dialogPart(dialog, 'close-button').getAttribute('aria-label')).to.equal('Close');
    const checkout = checkoutIn(dialog)!;
    await until(() => checkout.state === 'ready', 'the checkout inside has loaded');

    await sendKeys({ press: 'Escape' });
    await until(() => !dialog.open, 'Escape closes the dialog');
    expect(native.open).to.equal(false);
    expect(label(checkoutIn(dialog)), 'the checkout is removed').to.equal('nothing');
    expect(checkout.isConnected).to.equal(false);
    expect(label(deepActive())).to.equal(label(trigger));
    expect(requests).to.deep.equal(['escape']);
    expect(closes.map((c) => [c.status, c.session?.status])).to.deep.equal([['open', 'open']]);

    await sendKeys({ press: 'Space' });
    await until(() => nativeOf(dialog).open, 'Space opens the dialog again');
    expect(label(deepActive())).to.equal(label(native));
    await sendKeys({ press: 'Escape' });
    await until(() => !dialog.open, 'Escape closes it again');
    expect(label(deepActive())).to.equal(label(trigger));
  });

  it('opens on a click, ignores a click on the backdrop, locks the page’s scrolling, and closes with the close button', async () => {
    document.documentElement.style.overflow = 'clip';
    const { button, events } = await mountButton();
    const requests: string[] = [];
    button.addEventListener('checkout-close-request', (e) => requests.push(e.detail.reason));
    const dialog = await openByMouse(button);
    await settled(dialog);
    expect(label(deepActive())).to.equal(label(nativeOf(dialog)));
    await events.next('checkout-status-change');

    // Outside the dialog's box: the backdrop, over the page.
    const box = nativeOf(dialog).getBoundingClientRect();
    expect(box.left).to.be.greaterThan(10);
    await sendMouse({ type: 'click', position: [5, 5] });
    await dialog.updateComplete;
    await nextFrame();
    expect(dialog.open, 'a click on the backdrop does not close').to.equal(true);
    expect(nativeOf(dialog).open).to.equal(true);
    expect(requests).to.deep.equal([]);
    expect(document.documentElement.style.overflow, 'the page behind does not scroll').to.equal('hidden');

    await sendMouse({ type: 'click', position: center(dialogPart(dialog, 'close-button')) });
    await until(() => !dialog.open, 'the close button closes the dialog');
    expect(requests).to.deep.equal(['close-button']);
    expect(document.documentElement.style.overflow, 'the page’s own setting is back').to.equal('clip');
    document.documentElement.style.overflow = '';
    expect(nativeOf(dialog).open).to.equal(false);
    expect(label(deepActive())).to.equal(label(pageButtonOf(button)));
  });

  it('keeps Tab and Shift+Tab inside the dialog, through the controls in the checkout’s shadow root', async () => {
    const { button, page } = await mountButton();
    button.focus();
    await sendKeys({ press: 'Enter' });
    const dialog = dialogOf(button);
    await until(() => nativeOf(dialog).open, 'the dialog opens');
    const checkout = checkoutIn(dialog)!;
    const methods = await until(() => {
      const found = [...checkout.shadowRoot!.querySelectorAll<HTMLElement>('[part~="method"]')];
      return found.length === 2 ? found : null;
    }, 'the two methods are shown');
    // Everything that takes focus in the dialog, in order; the method buttons are in the shadow root,
    // one tab stop for the group (roving focus: the arrow keys move between methods).
    const cycle = [dialogPart(dialog, 'close-button'), methods[0]!];
    const behind = [page.querySelector('#behind'), pageButtonOf(button)];

    const forward: string[] = [];
    for (let i = 0; i < 15; i++) {
      await sendKeys({ press: 'Tab' });
      const active = deepActive();
      expect(isInside(active, nativeOf(dialog)), `Tab ${i + 1} stays in the dialog`).to.equal(true);
      expect(behind.map(label)).to.not.include(label(active));
      forward.push(label(active));
    }
    expect(forward).to.deep.equal(Array.from({ length: 15 }, (_, i) => label(cycle[i % 2]!)));
    expect(forward.filter((name) => name.includes('method'))).to.have.length(7);

    const backward: string[] = [];
    for (let i = 0; i < 15; i++) {
      await sendKeys({ press: 'Shift+Tab' });
      const active = deepActive();
      expect(isInside(active, nativeOf(dialog)), `Shift+Tab ${i + 1} stays in the dialog`).to.equal(true);
      expect(behind.map(label)).to.not.include(label(active));
      backward.push(label(active));
    }
    // After 15 Tabs focus is on the close button (index 0): Shift+Tab goes 1, 0, 1, …
    expect(backward).to.deep.equal(Array.from({ length: 15 }, (_, i) => label(cycle[(i + 1) % 2]!)));
  });

  it('brings focus back into the dialog on Tab when the focused control went away', async () => {
    const { button } = await mountButton();
    const dialog = await openByMouse(button);
    const checkout = checkoutIn(dialog)!;
    const usdc = await until(() => part(checkout, 'method'), 'the methods are shown');
    usdc.focus();
    expect(label(deepActive())).to.equal(label(usdc));
    usdc.click(); // choosing a method replaces the buttons by the payment: focus falls to the body
    await until(() => part(checkout, 'address'), 'the address is shown');
    expect(label(deepActive())).to.equal(label(document.body));

    await sendKeys({ press: 'Tab' });
    expect(isInside(deepActive(), nativeOf(dialog))).to.equal(true);
    await sendKeys({ press: 'Shift+Tab' });
    expect(isInside(deepActive(), nativeOf(dialog))).to.equal(true);
  });

  it('stays open while a checkout-close-request listener vetoes, for Escape and the close button, and closes once it stops', async () => {
    const { button } = await mountButton();
    let veto = true;
    const requests: CheckoutCloseRequestEvent[] = [];
    const closes: CheckoutCloseDetail[] = [];
    button.addEventListener('checkout-close-request', (e) => {
      requests.push(e);
      if (veto) e.preventDefault();
    });
    button.addEventListener('checkout-close', (e) => closes.push(e.detail));
    button.focus();
    await sendKeys({ press: 'Enter' });
    const dialog = dialogOf(button);
    await until(() => nativeOf(dialog).open, 'the dialog opens');
    let nativeCloses = 0;
    nativeOf(dialog).addEventListener('close', () => nativeCloses++);
    const checkout = checkoutIn(dialog)!;

    await sendKeys({ press: 'Escape' });
    await dialog.updateComplete;
    await nextFrame();
    expect(requests.map((e) => e.detail.reason)).to.deep.equal(['escape']);
    expect(requests[0]!.cancelable && requests[0]!.bubbles && requests[0]!.composed).to.equal(true);
    expect(dialog.open).to.equal(true);
    expect(nativeOf(dialog).open).to.equal(true);
    expect(nativeCloses, 'the browser did not close it either, not even for a moment').to.equal(0);
    expect(checkout.isConnected).to.equal(true);
    expect(isInside(deepActive(), nativeOf(dialog))).to.equal(true);

    await sendMouse({ type: 'click', position: center(dialogPart(dialog, 'close-button')) });
    await dialog.updateComplete;
    await nextFrame();
    expect(requests.map((e) => e.detail.reason)).to.deep.equal(['escape', 'close-button']);
    expect(dialog.open).to.equal(true);
    expect(closes).to.deep.equal([]);

    expect(dialog.requestClose(), 'requestClose() is vetoed too').to.equal(false);
    expect(requests.at(-1)!.detail.reason).to.equal('method');
    expect(dialog.open).to.equal(true);

    veto = false;
    await sendMouse({ type: 'click', position: center(dialogPart(dialog, 'close-button')) });
    await until(() => !dialog.open, 'the dialog closes once the listener lets it');
    expect(requests.map((e) => e.detail.reason)).to.deep.equal([
      'escape',
      'close-button',
      'method',
      'close-button',
    ]);
    await until(() => closes.length === 1, 'checkout-close is fired');
    expect(nativeOf(dialog).open).to.equal(false);
    expect(label(deepActive())).to.equal(label(pageButtonOf(button)));
  });

  it('close() closes without asking, and the closed dialog’s checkout stops its stream', async () => {
    const network = spyNetwork();
    try {
      const { button } = await mountButton();
      const requests: string[] = [];
      button.addEventListener('checkout-close-request', (e) => {
        requests.push(e.detail.reason);
        e.preventDefault();
      });
      const dialog = await openByMouse(button);
      await until(() => network.streams[0]?.readyState === EventSource.OPEN, 'the checkout’s stream is open');
      dialog.close();
      await until(() => !nativeOf(dialog).open, 'the dialog closes');
      expect(requests).to.deep.equal([]);
      expect(label(checkoutIn(dialog))).to.equal('nothing');
      expect(network.live()).to.have.length(0);
    } finally {
      network.restore();
    }
  });

  it('lets checkout-status-change and checkout-paid of a real payment bubble out of the button, and reports the last status on close', async function () {
    this.timeout(60_000);
    const { button, events, session } = await mountButton({ methods: ['usdc@anvil'] });
    const closes: CheckoutCloseDetail[] = [];
    button.addEventListener('checkout-close', (e) => closes.push(e.detail));
    const dialog = await openByMouse(button);
    const checkout = checkoutIn(dialog)!;
    await until(() => part(checkout, 'address'), 'the address is shown');
    const { payment } = await buyerSession(session);
    const shown = renderedParts(checkout);

    await stack.pay(payment!.address, payment!.amount_due);
    await until(() => checkout.status === 'processing', 'the payment is seen');
    await stack.mine(1);
    const paid = await events.next<{ session: BuyerSession }>('checkout-paid');
    expect(paid.detail.session.status).to.equal('paid');
    expect(transitions(events.of<CheckoutStatusChangeDetail>('checkout-status-change'))).to.deep.equal([
      'null→open',
      'open→processing',
      'processing→paid',
    ]);
    expect(dialog.open, 'paying does not close the dialog').to.equal(true);
    // The dialog re-exports every part the checkout showed (with a `checkout-` prefix).
    expect(
      [...shown, ...renderedParts(checkout)].filter(
        (p) => !(CHECKOUT_PARTS as readonly string[]).includes(p),
      ),
    ).to.deep.equal([]);

    await sendKeys({ press: 'Escape' });
    await until(() => closes.length === 1, 'the dialog closes');
    expect(closes[0]!.status).to.equal('paid');
    expect(closes[0]!.session?.id).to.equal(paid.detail.session.id);
  });

  it('speaks the language of its locale, and forwards the theme to the checkout', async () => {
    const { button, dialog } = await mountButton({}, { locale: 'ar', theme: 'dark' });
    await until(
      () => pageButtonOf(button).textContent!.trim() === 'ادفع بالعملات المشفرة',
      'the button speaks Arabic',
    );
    const opened = await openByMouse(button);
    expect(opened === dialog).to.equal(true);
    await until(
      () => dialogPart(dialog, 'title').textContent!.trim() === 'الدفع بالعملات المشفرة',
      'the title is Arabic',
    );
    expect(dialogPart(dialog, 'close-button').getAttribute('aria-label')).to.equal('إغلاق');
    expect(nativeOf(dialog).getAttribute('dir')).to.equal('rtl');
    const checkout = checkoutIn(dialog)!;
    expect(checkout.getAttribute('theme')).to.equal('dark');
    expect(checkout.getAttribute('locale')).to.equal('ar');
    expect(getComputedStyle(nativeOf(dialog)).backgroundColor).to.equal('rgb(17, 24, 39)');
    await sendKeys({ press: 'Escape' });
    await until(() => !dialog.open, 'the dialog closes');
  });

  it('has no axe violations with the dialog open over the page', async () => {
    const { page, button } = await mountButton({ methods: ['usdc@anvil'] });
    await expect(page).to.be.accessible();
    const dialog = await openByMouse(button);
    await until(
      () => checkoutIn(dialog) && part(checkoutIn(dialog)!, 'qr')?.querySelector('svg'),
      'the QR code is shown',
    );
    await settled(dialog);
    await expect(page).to.be.accessible();
  });

  it('animates opening only without prefers-reduced-motion', async () => {
    try {
      await emulateMedia({ reducedMotion: 'reduce' });
      const { button } = await mountButton();
      let dialog = await openByMouse(button);
      expect(getComputedStyle(nativeOf(dialog)).animationName).to.equal('none');
      dialog.close();
      await until(() => !nativeOf(dialog).open, 'the dialog closes');

      await emulateMedia({ reducedMotion: 'no-preference' });
      dialog = await openByMouse(button);
      expect(getComputedStyle(nativeOf(dialog)).animationName).to.equal('checkout-dialog-in');
      dialog.close();
    } finally {
      await emulateMedia({ reducedMotion: 'no-preference' });
    }
  });

  it('is as wide as a 320 px screen and scrolls when taller than it', async () => {
    const viewport = { width: window.innerWidth, height: window.innerHeight };
    try {
      await setViewport({ width: 320, height: 480 });
      const { button } = await mountButton({ methods: ['usdc@anvil'] });
      const dialog = await openByMouse(button);
      const native = nativeOf(dialog);
      await until(
        () => checkoutIn(dialog) && part(checkoutIn(dialog)!, 'qr')?.querySelector('svg'),
        'the QR code is shown',
      );
      await settled(dialog);
      const box = native.getBoundingClientRect();
      expect([box.left, box.width]).to.deep.equal([0, 320]);
      expect(box.bottom).to.be.at.most(480);
      expect(native.scrollHeight).to.be.greaterThan(native.clientHeight);
      native.scrollTop = native.scrollHeight;
      expect(native.scrollTop).to.be.greaterThan(0);
      // The header with the close button stays in view while the content scrolls.
      const header = dialogPart(dialog, 'header').getBoundingClientRect();
      expect(header.top).to.be.closeTo(box.top + 1, 1);
    } finally {
      await setViewport(viewport);
    }
  });
});

describe('openCheckout()', () => {
  let network: ReturnType<typeof spyNetwork>;
  let breakStreams = false;
  beforeEach(() => {
    breakStreams = false;
    network = spyNetwork({ breakStreams: () => breakStreams });
  });
  afterEach(() => {
    network.restore();
    // A failed test may leave its dialog open; the next one starts without it.
    for (const dialog of document.querySelectorAll('body > crypto-checkout-dialog')) dialog.remove();
  });

  it('resolves with the last status once closed, calls onStatusChange and onPaid, and removes the dialog', async function () {
    this.timeout(60_000);
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const statuses: string[] = [];
    const paid: BuyerSession[] = [];
    const errors: unknown[] = [];
    const result = openCheckout({
      session: session.client_secret,
      api: await api(),
      onStatusChange: (detail) => statuses.push(detail.status),
      onPaid: (s) => paid.push(s),
      onError: (detail) => errors.push(detail),
    });
    const dialog = await until(
      () => document.body.querySelector<CheckoutDialog>(':scope > crypto-checkout-dialog'),
      'the dialog is in the page',
    );
    await until(() => nativeOf(dialog).open, 'the dialog opens');
    expect(label(deepActive())).to.equal(label(nativeOf(dialog)));
    const checkout = checkoutIn(dialog)!;
    await until(() => part(checkout, 'address'), 'the address is shown');
    const { payment } = await buyerSession(session);
    await settled(dialog);
    await expect(dialog).to.be.accessible();

    await stack.pay(payment!.address, payment!.amount_due);
    await until(() => statuses.includes('processing'), 'the payment is seen');
    await stack.mine(1);
    await until(() => paid.length === 1, 'onPaid is called');
    expect(paid[0]!.id).to.equal(session.id);
    expect(paid[0]!.status).to.equal('paid');

    await sendKeys({ press: 'Escape' });
    const { status, session: last } = await result;
    expect(status).to.equal('paid');
    expect(last?.id).to.equal(session.id);
    expect(statuses).to.deep.equal(['open', 'processing', 'paid']);
    expect(errors).to.deep.equal([]);
    expect(label(document.querySelector('crypto-checkout-dialog')), 'the dialog is removed').to.equal(
      'nothing',
    );
    expect(dialog.isConnected).to.equal(false);
    expect(network.live()).to.have.length(0);
  });

  it('lets onCloseRequest veto, closes on abort, and then sends no more requests', async function () {
    this.timeout(60_000);
    breakStreams = true; // the checkout polls every 5 s: something to stop
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const controller = new AbortController();
    const reasons: string[] = [];
    const result = openCheckout({
      session: session.client_secret,
      api: await api(),
      onCloseRequest: (event) => {
        reasons.push(event.detail.reason);
        event.preventDefault();
      },
      signal: controller.signal,
    });
    const dialog = await until(
      () => document.body.querySelector<CheckoutDialog>(':scope > crypto-checkout-dialog'),
      'the dialog is in the page',
    );
    await until(() => nativeOf(dialog).open, 'the dialog opens');
    await sendKeys({ press: 'Escape' });
    await dialog.updateComplete;
    expect(reasons).to.deep.equal(['escape']);
    expect(dialog.open).to.equal(true);

    const gets = () =>
      network.requests.filter((r) => r.startsWith('GET ') && r.endsWith(`/v1/sessions/${session.id}`)).length;
    await until(() => gets() >= 2, 'the checkout has polled (the load, then a poll)', 15_000);

    controller.abort();
    expect(await result).to.deep.include({ status: 'open' });
    expect(label(document.querySelector('crypto-checkout-dialog'))).to.equal('nothing');
    const requests = network.requests.length;
    const streams = network.streams.length;
    expect(network.live()).to.have.length(0);
    await quietFor(6000); // longer than the polling interval and the stream's retry
    expect(network.requests.length, 'no poll after closing').to.equal(requests);
    expect(network.streams.length, 'no stream retried after closing').to.equal(streams);
  });

  it('resolves at once without opening when the signal is already aborted', async () => {
    const session = await stack.createSession();
    const controller = new AbortController();
    controller.abort();
    const result = await openCheckout({
      session: session.client_secret,
      api: await api(),
      signal: controller.signal,
    });
    expect(result).to.deep.equal({ status: null, session: null });
    expect(label(document.querySelector('crypto-checkout-dialog'))).to.equal('nothing');
    expect(network.requests).to.deep.equal([]);
  });
});
