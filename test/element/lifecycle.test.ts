/// <reference types="mocha" />
import { expect, fixture, html } from '@open-wc/testing';
import type { CheckoutErrorDetail } from '../../src/element/index.js';
import { buyerSession, create, mount, part, spyNetwork, stack, text, until } from './helpers.js';

const sessionGets = (requests: string[], id: string) =>
  requests.filter((r) => r.startsWith('GET ') && r.endsWith(`/v1/sessions/${id}`)).length;

/** Resolves after `ms`: only for proving that nothing happens, never for waiting on something. */
const quietFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('<crypto-checkout> lifecycle', () => {
  let network: ReturnType<typeof spyNetwork>;
  let breakStreams = false;
  beforeEach(() => {
    breakStreams = false;
    network = spyNetwork({ breakStreams: () => breakStreams });
  });
  afterEach(() => network.restore());

  it('shows an error with a retry button and fires checkout-error for a wrong client secret', async () => {
    const session = await stack.createSession();
    const wrong = session.client_secret.replace(/_secret_.*$/, '_secret_notTheRightOne');
    const { el, events } = await mount(wrong);

    const error = await events.next<CheckoutErrorDetail>('checkout-error');
    expect(error.detail.code).to.equal('unauthorized');
    expect(error.detail.message).to.be.a('string').and.not.equal('');
    expect(el.state).to.equal('error');
    expect(el.getAttribute('state')).to.equal('error');
    expect(el.hasAttribute('status'), 'status is only what the server said').to.equal(false);
    expect(text(el, 'status')).to.equal(
      'This checkout could not be found. Please ask the merchant for a new payment link.',
    );
    expect(part(el, 'spinner')).to.equal(null);
    expect(network.streams).to.have.length(0);
    await expect(el).to.be.accessible();

    const before = sessionGets(network.requests, session.id);
    part(el, 'retry-button')!.click();
    await until(() => events.of('checkout-error').length === 2, 'the retry fails again');
    expect(sessionGets(network.requests, session.id)).to.equal(before + 1);

    // Given the right secret, the element tears down and loads the session.
    el.setAttribute('session', session.client_secret);
    await until(() => el.status === 'open', 'the session is loaded');
    expect(el.state).to.equal('ready');
    expect(part(el, 'retry-button')).to.equal(null);
    expect(events.of('checkout-status-change')[0]?.detail).to.deep.include({
      previousStatus: null,
      status: 'open',
    });
  });

  it('reports a malformed client secret without calling the server', async () => {
    const { el, events } = await mount('not-a-client-secret');
    const error = await events.next<CheckoutErrorDetail>('checkout-error');
    expect(error.detail.code).to.equal('invalid_client_secret');
    expect(el.state).to.equal('error');
    expect(network.requests).to.deep.equal([]);
  });

  it('reports an unreachable backend as a network error', async () => {
    const session = await stack.createSession();
    const { el, events } = await create(session.client_secret);
    el.api = 'http://127.0.0.1:9'; // discard port: nothing listens
    await fixture(html`${el}`);
    const error = await events.next<CheckoutErrorDetail>('checkout-error');
    expect(error.detail.code).to.equal('network_error');
    expect(text(el, 'status')).to.equal(
      'Could not reach the payment server. Check your connection and try again.',
    );
    expect(part(el, 'retry-button')).to.not.equal(null);
  });

  it('reflects the status attribute from the server only, and fires nothing when the page sets it', async () => {
    const session = await stack.createSession();
    const { el, events } = await mount(session.client_secret);
    await until(() => el.getAttribute('status') === 'open', 'the status attribute is reflected');
    const fired = events.events.length;

    el.status = 'paid';
    await el.updateComplete;
    expect(el.getAttribute('status')).to.equal('open');
    el.setAttribute('status', 'expired');
    await el.updateComplete;
    expect(el.status).to.equal('open');
    expect(el.getAttribute('status')).to.equal('open');
    expect(events.events.length).to.equal(fired);
  });

  it('closes its stream when removed and opens exactly one again when re-added', async () => {
    const session = await stack.createSession();
    const { el } = await mount(session.client_secret);
    await until(() => network.streams[0]?.readyState === EventSource.OPEN, 'the stream is open');
    const parent = el.parentElement!;

    el.remove();
    expect(network.streams[0]!.readyState).to.equal(EventSource.CLOSED);
    expect(network.live()).to.have.length(0);
    const countdown = text(el, 'countdown');
    const requests = network.requests.length;
    await quietFor(2500); // the countdown ticks every second while running
    expect(text(el, 'countdown'), 'the countdown timer is stopped').to.equal(countdown);
    expect(network.requests.length).to.equal(requests);

    parent.append(el);
    await until(() => network.streams[1]?.readyState === EventSource.OPEN, 'a new stream is open');
    expect(network.streams).to.have.length(2);
    expect(network.live()).to.have.length(1);
    await until(() => text(el, 'countdown') !== countdown, 'the countdown runs again');
  });

  it('falls back to polling while the stream fails and goes back to the stream when it works', async function () {
    this.timeout(60_000);
    breakStreams = true;
    const session = await stack.createSession({ methods: ['usdc@anvil'] });
    const { el, events } = await mount(session.client_secret);
    await until(() => part(el, 'address'), 'the deposit address is shown');
    await until(() => network.streams[0]?.readyState === EventSource.CLOSED, 'the first stream failed');
    const { payment } = await buyerSession(session);

    await stack.pay(payment!.address, payment!.amount_due);
    await until(() => el.status === 'processing', 'polling shows the payment', 10_000);
    expect(network.live()).to.have.length(0);
    expect(sessionGets(network.requests, session.id)).to.be.at.least(2); // the load, then polls

    breakStreams = false;
    await until(
      () => network.live().some((s) => s.readyState === EventSource.OPEN),
      'the stream is retried and open',
      30_000,
    );
    const polls = sessionGets(network.requests, session.id);
    await stack.mine(1);
    await events.next('checkout-paid');
    expect(sessionGets(network.requests, session.id), 'no polls while the stream works').to.equal(polls);
    expect(network.live()).to.have.length(0);
  });

  it('stops polling when removed', async function () {
    this.timeout(30_000);
    breakStreams = true;
    const session = await stack.createSession();
    const { el } = await mount(session.client_secret);
    await until(() => sessionGets(network.requests, session.id) >= 2, 'the element polls');

    el.remove();
    const requests = network.requests.length;
    const streams = network.streams.length;
    await quietFor(6000); // longer than the 5 s polling interval and the first stream retry
    expect(network.requests.length, 'no request after removal').to.equal(requests);
    expect(network.streams.length, 'no stream after removal').to.equal(streams);
  });

  it('runs two elements on one page without interference', async () => {
    const [a, b] = await Promise.all([
      stack.createSession({ methods: ['usdc@anvil'], order_id: 'a' }),
      stack.createSession({ methods: ['usdc@anvil'], order_id: 'b' }),
    ]);
    const first = await create(a.client_secret);
    const second = await create(b.client_secret);
    await fixture(html`<div>${first.el}${second.el}</div>`);
    await until(() => part(first.el, 'address') && part(second.el, 'address'), 'both addresses are shown');
    expect(text(first.el, 'order')).to.equal('Order a');
    expect(text(second.el, 'order')).to.equal('Order b');
    expect(text(first.el, 'address')).to.not.equal(text(second.el, 'address'));
    await until(() => network.live().length === 2, 'each element has its own stream');

    const { payment } = await buyerSession(a);
    await stack.pay(payment!.address, payment!.amount_due);
    await stack.mine(1);
    await first.events.next('checkout-paid');
    expect(first.el.status).to.equal('paid');
    expect(second.el.status).to.equal('open');
    expect(second.events.of('checkout-paid')).to.have.length(0);
    expect(second.events.of('checkout-status-change')).to.have.length(1);
    expect(network.live()).to.have.length(1);
  });
});
