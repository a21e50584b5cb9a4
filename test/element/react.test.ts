/// <reference types="mocha" />
import { expect } from '@open-wc/testing';
import { createElement, createRef, type Ref } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, hydrateRoot, type Root } from 'react-dom/client';
import {
  CryptoCheckout,
  CryptoCheckoutButton,
  type CheckoutCloseEvent,
  type CheckoutCloseRequestEvent,
  type CheckoutPaidEvent,
  type CheckoutStatusChangeEvent,
  type CryptoCheckoutElement,
  type CryptoCheckoutButtonProps,
  type CryptoCheckoutProps,
} from '../../src/react/index.js';
import { api, buyerSession, part, spyNetwork, stack, text, until } from './helpers.js';

// crypto-checkout/react in a React 19 app (react-dom/client), against the real backend and chain.
describe('crypto-checkout/react', () => {
  let container: HTMLElement;
  let root: Root;
  let network: ReturnType<typeof spyNetwork>;
  beforeEach(() => {
    network = spyNetwork();
    container = document.body.appendChild(document.createElement('div'));
    root = createRoot(container);
  });
  afterEach(() => {
    root.unmount();
    container.remove();
    network.restore();
  });

  /** Renders `<CryptoCheckout {...props}>` and resolves once React has committed it. */
  const render = (props: CryptoCheckoutProps & { ref?: Ref<CryptoCheckoutElement> }) =>
    flushSync(() => root.render(createElement(CryptoCheckout, props)));
  const element = () => container.querySelector('crypto-checkout')!;
  /** The stream URLs (one per session the element followed) that are still open. */
  const liveStreams = () => network.live().map((s) => s.url);

  it('shows the session of its props and calls onStatusChange and onPaid as it is paid', async () => {
    const session = await stack.createSession({ amount: '31.20', methods: ['usdc@anvil'] });
    const statuses: string[] = [];
    const paid: CheckoutPaidEvent[] = [];
    const ref = createRef<CryptoCheckoutElement>();
    render({
      ref,
      session: session.client_secret,
      api: await api(),
      className: 'shop-checkout',
      onStatusChange: (e) => statuses.push(`${e.detail.previousStatus}→${e.detail.status}`),
      onPaid: (e) => paid.push(e),
    });

    const el = element();
    expect(ref.current, 'the ref is the element').to.equal(el);
    expect(el.session, 'session is set as a property').to.equal(session.client_secret);
    expect(el.classList.contains('shop-checkout'), 'className becomes class').to.equal(true);
    await until(() => part(el, 'address'), 'the deposit address is shown');
    expect(text(el, 'amount')).to.equal('$31.20');

    const { payment } = await buyerSession(session);
    await stack.pay(payment!.address, payment!.amount_due);
    await until(() => el.status === 'processing', 'the payment is confirming');
    await stack.mine(1);
    await until(() => paid.length === 1, 'onPaid is called');
    expect(paid[0]!.detail.session.status).to.equal('paid');
    expect(statuses).to.deep.equal(['null→open', 'open→processing', 'processing→paid']);
    expect(el.getAttribute('status')).to.equal('paid');
  });

  it('switches to another session when the session prop changes, with one stream open', async () => {
    const first = await stack.createSession({ amount: '5.00', methods: ['usdc@anvil'] });
    const second = await stack.createSession({ amount: '7.00', methods: ['usdc@anvil'] });
    const seen: string[] = [];
    const props = {
      api: await api(),
      onStatusChange: (e: CheckoutStatusChangeEvent) => seen.push(e.detail.session.id),
    };
    render({ ...props, session: first.client_secret });
    await until(
      () => text(element(), 'amount') === '$5.00' && liveStreams().length === 1,
      'the first session is shown',
    );
    const el = element();

    render({ ...props, session: second.client_secret });
    expect(element(), 'React keeps the element and changes its property').to.equal(el);
    await until(() => text(el, 'amount') === '$7.00', 'the second session is shown');
    await until(
      () => liveStreams().length === 1 && liveStreams()[0]!.includes(second.id),
      "only the second session's stream is open",
    );
    expect(seen[0]).to.equal(first.id);
    expect(seen.at(-1)).to.equal(second.id);
  });

  it('closes its stream when it is unmounted', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    render({ session: session.client_secret, api: await api() });
    await until(() => network.streams[0]?.readyState === EventSource.OPEN, 'the stream is open');

    flushSync(() => root.render(null));
    expect(container.querySelector('crypto-checkout')).to.equal(null);
    expect(network.streams[0]!.readyState).to.equal(EventSource.CLOSED);
    expect(network.streams).to.have.length(1);
  });

  it('hydrates the markup that server rendering makes, keeping the element, without a warning', async () => {
    const session = await stack.createSession({ amount: '9.00', methods: ['usdc@anvil'] });
    const apiUrl = await api();
    // What renderToString(<CryptoCheckout session api />) gives (test/server/ssr.test.ts checks it).
    const server = document.body.appendChild(document.createElement('div'));
    server.innerHTML = `<crypto-checkout session="${session.client_secret}" api="${apiUrl}"></crypto-checkout>`;
    const el = server.querySelector('crypto-checkout')!;
    await until(() => text(el, 'amount') === '$9.00', 'the server-rendered element loads by itself');

    const problems: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => problems.push(args);
    const statuses: string[] = [];
    try {
      const hydrated = hydrateRoot(
        server,
        createElement(CryptoCheckout, {
          session: session.client_secret,
          api: apiUrl,
          onStatusChange: (e) => statuses.push(e.detail.status),
        }),
        { onRecoverableError: (error) => problems.push(error) },
      );
      // React marks the nodes it has hydrated with its fiber.
      await until(() => Object.keys(el).some((key) => key.startsWith('__reactFiber')), 'React hydrated it');
      const { payment } = await buyerSession(session);
      await stack.pay(payment!.address, payment!.amount_due);
      await until(() => statuses.includes('processing'), 'onStatusChange is attached by hydration');
      expect(server.querySelector('crypto-checkout'), 'the same element').to.equal(el);
      expect(problems).to.deep.equal([]);
      hydrated.unmount();
    } finally {
      console.error = consoleError;
      server.remove();
    }
  });

  it('CryptoCheckoutButton opens the dialog, and onCloseRequest can keep it open until onClose', async () => {
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const requests: CheckoutCloseRequestEvent[] = [];
    const closes: CheckoutCloseEvent[] = [];
    const props: CryptoCheckoutButtonProps = {
      session: session.client_secret,
      api: await api(),
      children: 'Pay now',
      // The first request is refused, as a shop would while a payment confirms.
      onCloseRequest: (e) => requests.push(e) === 1 && e.preventDefault(),
      onClose: (e) => closes.push(e),
    };
    flushSync(() => root.render(createElement(CryptoCheckoutButton, props)));
    const button = container.querySelector('crypto-checkout-button')!;
    expect(button.textContent).to.equal('Pay now');
    await button.updateComplete;

    button.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!.click();
    const dialog = button.shadowRoot!.querySelector('crypto-checkout-dialog')!;
    await until(() => dialog.open, 'the dialog is open');
    const checkout = await until(
      () => dialog.shadowRoot!.querySelector('crypto-checkout'),
      'the checkout is in it',
    );
    await until(() => text(checkout, 'amount'), 'the checkout shows the session');
    const close = () => dialog.shadowRoot!.querySelector<HTMLElement>('[part~="close-button"]')!.click();

    close();
    expect(requests.map((e) => e.detail.reason)).to.deep.equal(['close-button']);
    expect(dialog.open, 'onCloseRequest called preventDefault').to.equal(true);
    close();
    await until(() => closes.length === 1, 'onClose is called');
    expect(dialog.open).to.equal(false);
    expect(closes[0]!.detail.status).to.equal('open');
  });
});
