/// <reference types="mocha" />
/**
 * The session controller on its own: a minimal Lit host and a fake API client, so that each test
 * decides which answer arrives when — the orders (a stale snapshot after a newer answer, a late answer
 * of a replaced session, a listener reacting to an event) that a real backend gives only by chance.
 * The element with the real backend is tested in the other files.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { ReactiveElement } from 'lit';
import { property } from 'lit/decorators.js';
import type { BuyerSession, SessionStatus } from '@crypto-checkout/protocol';
import { CheckoutApiError, type WatchSessionOptions } from '../../src/element/api-client.js';
import type { CheckoutErrorDetail } from '../../src/element/events.js';
import type { CheckoutState } from '../../src/element/crypto-checkout.js';
import { SessionController, supersedes, type SessionClient } from '../../src/element/session-controller.js';
import { recordEvents, transitions, until } from './helpers.js';

/** A request the fake client received; the test answers it. */
interface Pending {
  resolve: (session: BuyerSession) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
}

/** An API client whose answers the test gives, one request at a time. */
class FakeClient implements SessionClient {
  readonly gets: Pending[] = [];
  readonly choices: (Pending & { method: string })[] = [];
  readonly drops: Pending[] = [];
  watching?: WatchSessionOptions;
  unwatched = 0;

  constructor(
    readonly api: string,
    readonly clientSecret: string,
  ) {
    // As ApiClient does: a secret of the wrong shape fails before any request.
    if (clientSecret === 'bad') throw new CheckoutApiError('invalid_client_secret', 'not a client secret');
  }

  getSession(signal?: AbortSignal) {
    return this.request(signal, (pending) => this.gets.push(pending));
  }

  choosePayment(method: string, signal?: AbortSignal) {
    return this.request(signal, (pending) => this.choices.push({ ...pending, method }));
  }

  dropPayment(signal?: AbortSignal) {
    return this.request(signal, (pending) => this.drops.push(pending));
  }

  watchSession(options: WatchSessionOptions) {
    this.watching = options;
    return () => void this.unwatched++;
  }

  private request(signal: AbortSignal | undefined, record: (pending: Pending) => void) {
    return new Promise<BuyerSession>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      record({ resolve, reject, signal });
    });
  }
}

/** Every client the hosts made, in order. */
let clients: FakeClient[] = [];

/** The smallest host of a session controller: the four properties it reads and writes. */
class SessionTestHost extends ReactiveElement {
  @property() api = 'https://pay.test';
  @property() session = '';
  @property({ reflect: true }) state: CheckoutState = 'idle';
  @property({ reflect: true }) status?: SessionStatus;
  readonly controller = new SessionController(this, {
    createClient: (api, secret) => {
      const client = new FakeClient(api, secret);
      clients.push(client);
      return client;
    },
    pollingInterval: 100,
  });
}
customElements.define('session-test-host', SessionTestHost);

const USDC = {
  id: 'usdc@anvil',
  token: 'USDC',
  kind: 'erc20' as const,
  family: 'evm' as const,
  token_address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  decimals: 6,
  chain_id: 31337,
  network: 'Anvil (local)',
  quote: null,
};
const ETH = {
  ...USDC,
  id: 'eth@anvil',
  token: 'ETH',
  kind: 'native' as const,
  family: 'evm' as const,
  token_address: null,
  decimals: 18,
};
const ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** A session as the server would send it, open with two methods unless `patch` says otherwise. */
function buyer(patch: Partial<BuyerSession> = {}): BuyerSession {
  const now = Date.now();
  return {
    id: 'cs_test',
    status: 'open',
    amount: '10.00',
    currency: 'USD',
    order_id: null,
    methods: [USDC, ETH],
    payment: null,
    can_change_method: false,
    amount_received: null,
    amount_remaining: null,
    amount_overpaid: null,
    pay_uri: null,
    amount_payable: null,
    watch_until: null,
    transfers: [],
    success_url: null,
    cancel_url: null,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + 15 * 60_000).toISOString(),
    paid_at: null,
    canceled_at: null,
    server_time: new Date(now).toISOString(),
    walletconnect_project_id: null,
    merchant: { name: null, logo_url: null },
    ...patch,
  };
}

/** A session whose buyer chose USDC, with `patch` on top. */
function paying(patch: Partial<BuyerSession> = {}): BuyerSession {
  const base = buyer();
  return {
    ...base,
    payment: {
      ...USDC,
      address: ADDRESS,
      amount_due: '10',
      amount_due_atomic: '10000000',
      rate: '1',
      rate_locked_until: null,
      rate_sources: [],
      confirmations_required: 1,
      uri: `ethereum:${USDC.token_address}@31337/transfer?address=${ADDRESS}&uint256=10000000`,
      explorer_url: null,
    },
    amount_received: '0',
    amount_remaining: '10',
    amount_overpaid: '0',
    pay_uri: `ethereum:${USDC.token_address}@31337/transfer?address=${ADDRESS}&uint256=10000000`,
    amount_payable: '10',
    watch_until: new Date(Date.parse(base.expires_at) + 3_600_000).toISOString(),
    ...patch,
  };
}

/** Mounts a host for `secret` with an event recorder (and `before`) attached first. */
async function mountHost(secret = 'cs_test_secret_one', before?: (host: SessionTestHost) => void) {
  const host = document.createElement('session-test-host') as SessionTestHost;
  const events = recordEvents(host);
  before?.(host);
  host.session = secret;
  await fixture(html`${host}`);
  return { host, events, view: () => host.controller.view };
}

/** Mounts a host and answers its first request with `session`. */
async function loaded(session: BuyerSession = buyer()) {
  const mounted = await mountHost();
  const client = await until(() => clients.at(-1)?.gets[0] && clients.at(-1), 'the session is requested');
  client.gets[0]!.resolve(session);
  await until(() => mounted.view().state === 'ready', 'the session is shown');
  await mounted.host.updateComplete;
  return { ...mounted, client };
}

describe('SessionController', () => {
  beforeEach(() => {
    clients = [];
  });

  it('loads the session: loading in the first render, then ready, mirrored to state and status', async () => {
    const { host, events, view } = await mountHost();
    expect(host.state).to.equal('loading');
    expect(host.getAttribute('state')).to.equal('loading');
    expect(host.hasAttribute('status')).to.equal(false);
    const client = await until(() => clients[0]?.gets[0] && clients[0], 'the session is requested');
    expect([client.api, client.clientSecret]).to.deep.equal(['https://pay.test', 'cs_test_secret_one']);

    client.gets[0]!.resolve(buyer());
    await until(() => host.status === 'open', 'the status is shown');
    await host.updateComplete;
    expect(host.getAttribute('state')).to.equal('ready');
    expect(host.getAttribute('status')).to.equal('open');
    expect(view().session?.id).to.equal('cs_test');
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal(['null→open']);
    expect(client.watching, 'an open session is followed').to.not.equal(undefined);
    expect(client.choices, 'two methods: the buyer chooses').to.have.length(0);
  });

  it('fires each status change once, in order, and ignores what comes after a terminal status', async () => {
    const { host, events, client } = await loaded(paying());
    const { onSession } = client.watching!;
    onSession(paying({ status: 'processing' }));
    onSession(paying({ status: 'processing' }));
    onSession(paying({ status: 'paid', amount_remaining: '0' }));
    onSession(paying({ status: 'overpaid', amount_overpaid: '1' }));
    await host.updateComplete;

    expect(transitions(events.of('checkout-status-change'))).to.deep.equal([
      'null→open',
      'open→processing',
      'processing→paid',
    ]);
    expect(events.of('checkout-paid')).to.have.length(1);
    expect(host.status).to.equal('paid');
    expect(host.controller.view.session?.status).to.equal('paid');
  });

  it('never takes a chosen method away: a stale snapshot without the payment is ignored', async () => {
    const { host, events, client } = await loaded(paying());
    client.watching!.onSession(buyer({ status: 'open' }));
    client.watching!.onSession(buyer({ status: 'expired' }));
    await host.updateComplete;
    expect(host.controller.view.session?.payment?.address).to.equal(ADDRESS);
    expect(host.status).to.equal('open');
    expect(events.of('checkout-expired')).to.have.length(0);
    expect(supersedes(paying(), buyer()), 'the rule on its own').to.equal(false);
    expect(supersedes(paying(), paying({ status: 'processing' }))).to.equal(true);
    expect(supersedes(null, buyer())).to.equal(true);
  });

  it('ignores a request answer older than the state the stream already showed', async () => {
    const { host, view, client } = await loaded(buyer());
    void host.controller.choose('usdc@anvil');
    const choice = await until(() => client.choices[0], 'the method is chosen');
    const answeredAt = Date.now();
    // The stream shows the choice and then an underpayment before the choose answer arrives.
    const later = (ms: number) => new Date(answeredAt + ms).toISOString();
    client.watching!.onSession(paying({ server_time: later(10) }));
    client.watching!.onSession(
      paying({ status: 'underpaid', amount_remaining: '4', server_time: later(20) }),
    );
    await until(() => host.status === 'underpaid', 'the underpayment is shown');
    choice.resolve(paying({ server_time: later(0) }));
    await until(() => view().choosing === '', 'the choice is done');
    await host.updateComplete;
    expect(host.status, 'the late answer does not put the session back to open').to.equal('underpaid');
    expect(view().session?.amount_remaining).to.equal('4');
    // A newer answer is taken as before.
    client.watching!.onSession(paying({ status: 'processing', server_time: later(30) }));
    await until(() => host.status === 'processing', 'a newer state is shown');
  });

  it('chooses the only method by itself, and shows the payment', async () => {
    const { host, client, view } = await loaded(buyer({ methods: [USDC] }));
    const choice = await until(() => client.choices[0], 'the method is chosen');
    expect(choice.method).to.equal('usdc@anvil');
    expect(view().choosing).to.equal('usdc@anvil');

    choice.resolve(paying());
    await until(() => view().session?.payment, 'the payment is shown');
    expect(view().choosing).to.equal('');
    expect(host.status).to.equal('open');
    await until(() => view().qr?.uri === paying().pay_uri, 'the QR code of the pay URI is drawn');
    expect(view().qr!.svg).to.match(/^<svg/);
  });

  it('shows what the server has when the method was chosen elsewhere, without an error', async () => {
    const { host, events, client, view } = await loaded();
    const chose = host.controller.choose('eth@anvil');
    await until(() => client.choices[0], 'the choice is sent');
    client.choices[0]!.reject(new CheckoutApiError('method_already_chosen', 'already chosen', 409));
    const again = await until(() => client.gets[1], 'the session is fetched again');
    again.resolve(paying());
    await chose;
    expect(view().session?.payment?.id).to.equal('usdc@anvil');
    expect(view().notice).to.equal('');
    expect(events.of('checkout-error')).to.have.length(0);
  });

  it('goes back to the methods: the answer without the payment replaces the one shown', async () => {
    const { client, view, host } = await loaded(paying());
    const back = host.controller.changeMethod();
    expect(view().changing).to.equal(true);
    const drop = await until(() => client.drops[0], 'the drop is sent');
    drop.resolve(buyer());
    await back;
    expect(view().session?.payment).to.equal(null);
    expect(view().changing).to.equal(false);
    // The stream's next snapshot without a payment is shown as usual; a chosen method comes back only
    // by choosing again.
    client.watching!.onSession(buyer({ amount: '10.00' }));
    expect(view().session?.payment).to.equal(null);
  });

  it('keeps the payment when money arrived meanwhile (409 payment_in_progress), without an error', async () => {
    const { client, view, host, events } = await loaded(paying());
    const back = host.controller.changeMethod();
    const drop = await until(() => client.drops[0], 'the drop is sent');
    drop.reject(new CheckoutApiError('payment_in_progress' as never, 'a payment is on its way', 409));
    const again = await until(() => client.gets[1], 'the session is fetched again');
    again.resolve(paying({ status: 'processing' }));
    await back;
    expect(view().session?.payment?.address).to.equal(ADDRESS);
    expect(view().session?.status).to.equal('processing');
    expect(events.of('checkout-error')).to.have.length(0);
  });

  it('reports a failed choice as a notice and a checkout-error, and the buyer can choose again', async () => {
    const { host, events, client, view } = await loaded();
    const first = host.controller.choose('eth@anvil');
    void host.controller.choose('usdc@anvil');
    expect(client.choices, 'one choice at a time').to.have.length(1);
    client.choices[0]!.reject(new TypeError('Failed to fetch'));
    await first;
    expect(view().notice).to.equal('Could not reach the payment server. Please try again.');
    expect(view().choosing).to.equal('');
    expect(events.of<CheckoutErrorDetail>('checkout-error').map((e) => e.detail.code)).to.deep.equal([
      'network_error',
    ]);

    const second = host.controller.choose('usdc@anvil');
    await until(() => client.choices[1], 'the second choice is sent');
    expect(view().notice, 'a new attempt clears the notice').to.equal('');
    client.choices[1]!.resolve(paying());
    await second;
    expect(view().session?.payment?.id).to.equal('usdc@anvil');
  });

  it('goes to error when loading fails, and retry loads again with a new client', async () => {
    const { host, events, view } = await mountHost();
    const client = await until(() => clients[0]?.gets[0] && clients[0], 'the session is requested');
    client.gets[0]!.reject(new CheckoutApiError('not_found', 'No such session.', 404));
    const error = await events.next<CheckoutErrorDetail>('checkout-error');
    expect(error.detail).to.deep.equal({ code: 'not_found', message: 'No such session.' });
    await host.updateComplete;
    expect(host.getAttribute('state')).to.equal('error');
    expect(host.hasAttribute('status')).to.equal(false);
    expect(view().error?.code).to.equal('not_found');
    expect(client.watching).to.equal(undefined);

    host.controller.retry();
    await host.updateComplete;
    expect(host.state).to.equal('loading');
    expect(view().error).to.equal(null);
    const retried = await until(() => clients[1]?.gets[0] && clients[1], 'the session is requested again');
    retried.gets[0]!.resolve(buyer());
    await until(() => host.state === 'ready', 'the retry shows the session');
  });

  it('asks the server at expiry by the server clock, not the local one', async function () {
    this.timeout(10_000);
    // The server's clock is a minute ahead: by it, the session expires in half a second; the browser's
    // clock would still count down a minute.
    const serverNow = Date.now() + 60_000;
    const session = paying({
      server_time: new Date(serverNow).toISOString(),
      expires_at: new Date(serverNow + 500).toISOString(),
    });
    const { host, events, client } = await loaded(session);
    const check = await until(() => client.gets[1], 'the server is asked at expiry', 3000);
    check.resolve({ ...session, status: 'expired', pay_uri: null, amount_payable: null });
    await events.next('checkout-expired');
    expect(host.status).to.equal('expired');
    expect(transitions(events.of('checkout-status-change'))).to.deep.equal(['null→open', 'open→expired']);
  });

  it('ignores the late answer of a session that was replaced', async () => {
    const { host, events, view } = await mountHost('cs_test_secret_one');
    const first = await until(() => clients[0]?.gets[0], 'the first session is requested');
    host.session = 'cs_test_secret_two';
    const second = await until(() => clients[1]?.gets[0], 'the second session is requested');
    expect(first.signal?.aborted, 'the first request is cancelled').to.equal(true);

    first.resolve(buyer({ id: 'cs_one' }));
    await host.updateComplete;
    expect(view().session).to.equal(null);
    expect(host.state).to.equal('loading');
    second.resolve(buyer({ id: 'cs_two' }));
    await until(() => view().session?.id === 'cs_two', 'the second session is shown');
    expect(events.of('checkout-status-change')).to.have.length(1);
  });

  it('stops following when the host leaves the document and starts again when it comes back', async () => {
    const { host, client, view } = await loaded(paying());
    const parent = host.parentElement!;
    host.remove();
    expect(client.unwatched).to.equal(1);

    parent.append(host);
    await host.updateComplete;
    expect(host.state, 'loading again').to.equal('loading');
    expect(view().session).to.equal(null);
    const again = await until(() => clients[1]?.gets[0], 'the session is requested again');
    again.resolve(paying());
    await until(() => host.state === 'ready', 'the session is shown again');
    expect(clients[1]!.watching).to.not.equal(undefined);
  });

  it('puts the status back when the page sets it', async () => {
    const { host, events } = await loaded();
    const fired = events.events.length;
    host.status = 'paid';
    await host.updateComplete;
    expect(host.status).to.equal('open');
    host.setAttribute('state', 'error');
    await host.updateComplete;
    expect(host.getAttribute('state')).to.equal('ready');
    expect(events.events.length).to.equal(fired);
  });

  it('fires checkout-error after the update, so that a listener can give a new session', async () => {
    const { host, events } = await mountHost('bad', (el) =>
      el.addEventListener('checkout-error', () => (el.session = 'cs_test_secret_good'), { once: true }),
    );
    const error = await events.next<CheckoutErrorDetail>('checkout-error');
    expect(error.detail.code).to.equal('invalid_client_secret');
    const client = await until(
      () => clients.find((c) => c.clientSecret === 'cs_test_secret_good'),
      'a client',
    );
    await until(() => client.gets[0], 'the new session is requested');
    expect(host.state).to.equal('loading');
  });
});
