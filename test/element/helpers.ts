/**
 * Helpers for the element tests: the real stack (through the wtr plugin in web-test-runner.config.mjs),
 * mounting, querying the shadow DOM, awaiting conditions and recording events.
 */
import { fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import QRCode from 'qrcode';
import type { BuyerSession, CreateSessionRequest, Session } from '@crypto-checkout/protocol';
import '../../src/element/index.js';
import type { CheckoutStatusChangeDetail, CryptoCheckout } from '../../src/element/index.js';
import { FIXTURE_NOW } from '../support/session-fixtures.js';
import { waitFor } from '../support/wait-for.js';

/** The real backend and anvil chain started by the test runner. */
export const stack = {
  info: () => executeServerCommand<{ apiUrl: string }, undefined>('stack-info'),
  createSession: (body: Partial<CreateSessionRequest> = {}) =>
    executeServerCommand<Session, Partial<CreateSessionRequest>>('stack-create-session', body),
  /** Sends a real transfer of `amount` whole tokens and resolves once it is mined. */
  pay: (address: string, amount: string, token: 'usdc' | 'eth' = 'usdc') =>
    executeServerCommand<string, object>('stack-pay', { address, amount, token }),
  mine: (blocks: number) => executeServerCommand<boolean, object>('stack-mine', { blocks }),
  expire: (sessionId: string) => executeServerCommand<boolean, object>('stack-expire', { sessionId }),
  /** The merchant cancels the session with the secret key (`POST /v1/sessions/:id/cancel`). */
  cancel: (sessionId: string) =>
    executeServerCommand<{ status: number; body: Session }, object>('stack-cancel', { sessionId }),
  /** Makes the next block's timestamp later than now, so that a payment mined in it is late. */
  nextBlockAfterNow: () => executeServerCommand<boolean, undefined>('stack-next-block-after-now'),
};

let apiUrl: string | undefined;
/** Base URL of the test backend. */
export async function api(): Promise<string> {
  return (apiUrl ??= (await stack.info()).apiUrl);
}

/** Reads a session the way the buyer's browser does, to compare with what the element shows. */
export async function buyerSession(session: Session): Promise<BuyerSession> {
  const response = await fetch(`${await api()}/v1/sessions/${session.id}`, {
    headers: { authorization: `Bearer ${session.client_secret}` },
  });
  if (!response.ok) throw new Error(`GET session: ${response.status}`);
  return (await response.json()) as BuyerSession;
}

/**
 * Creates `<crypto-checkout>` for a client secret against the test backend, with an event recorder
 * attached before it loads. Not yet in the document: pass it to {@link mount} or a fixture.
 */
export async function create(clientSecret: string): Promise<{ el: CryptoCheckout; events: Recorder }> {
  const el = document.createElement('crypto-checkout');
  el.setAttribute('api', await api());
  el.setAttribute('session', clientSecret);
  return { el, events: recordEvents(el) };
}

/** Creates and mounts `<crypto-checkout>` (see {@link create}); the fixture is removed after the test. */
export async function mount(clientSecret: string): Promise<{ el: CryptoCheckout; events: Recorder }> {
  const mounted = await create(clientSecret);
  await fixture(html`${mounted.el}`);
  return mounted;
}

/** Mounts a USDC-only session (the method is chosen by itself) and waits until its address is shown. */
export async function mountUsdc(body: Partial<CreateSessionRequest> = {}) {
  const session = await stack.createSession({ methods: ['usdc@anvil'], ...body });
  const mounted = await mount(session.client_secret);
  await until(() => part(mounted.el, 'address'), 'the deposit address is shown');
  const buyer = await buyerSession(session);
  return { ...mounted, session, payment: buyer.payment! };
}

/** `checkout-status-change` events as `previous→status` strings, e.g. `null→open`. */
export const transitions = (events: CustomEvent<CheckoutStatusChangeDetail>[]) =>
  events.map((e) => `${e.detail.previousStatus}→${e.detail.status}`);

/** The first element in the shadow root with this part, or null. */
export function part(el: CryptoCheckout, name: string): HTMLElement | null {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
}

/** Every element in the shadow root with this part. */
export function parts(el: CryptoCheckout, name: string): HTMLElement[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLElement>(`[part~="${name}"]`)];
}

/** Text of a part with whitespace collapsed, or '' when the part is absent. */
export function text(el: CryptoCheckout, name: string): string {
  return (part(el, name)?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Resolves once `condition` returns a truthy value (which it resolves with); rejects with `message`
 * and the last value seen after `timeout` ms. For conditions that no event signals.
 */
export function until<T>(
  condition: () => T | Promise<T>,
  message: string,
  timeout = 20_000,
): Promise<NonNullable<T>> {
  return waitFor(condition, timeout, `until ${message}`);
}

/** What {@link recordEvents} returns. */
export type Recorder = ReturnType<typeof recordEvents>;

/** Records the element's events (on `target`, before they happen) so tests can await and inspect them. */
export function recordEvents(target: EventTarget) {
  const names = [
    'checkout-status-change',
    'checkout-paid',
    'checkout-expired',
    'checkout-canceled',
    'checkout-error',
  ] as const;
  const events: CustomEvent[] = [];
  for (const name of names) target.addEventListener(name, (e) => events.push(e as CustomEvent));
  return {
    events,
    /** The recorded events of one name. */
    of: <D = unknown>(name: (typeof names)[number]) =>
      events.filter((e) => e.type === name) as CustomEvent<D>[],
    /** Resolves with the first recorded event of `name` matching `predicate`, waiting for it if needed. */
    next: <D = unknown>(name: (typeof names)[number], predicate: (detail: D) => boolean = () => true) =>
      until(
        () => events.find((e) => e.type === name && predicate(e.detail as D)) as CustomEvent<D> | undefined,
        `${name} is fired`,
      ),
  };
}

/** Wraps window.fetch and window.EventSource to observe the element's requests and streams. */
export function spyNetwork(options: { breakStreams?: () => boolean } = {}) {
  const realFetch = window.fetch;
  const RealEventSource = window.EventSource;
  const requests: string[] = [];
  const streams: EventSource[] = [];
  window.fetch = (input, init) => {
    requests.push(`${init?.method ?? 'GET'} ${String(input instanceof Request ? input.url : input)}`);
    return realFetch(input, init);
  };
  class SpyEventSource extends RealEventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      // A stream URL that answers 404 makes EventSource give up (readyState CLOSED), like a broken proxy.
      super(options.breakStreams?.() ? String(url).replace('/events?', '/no-such-stream?') : url, init);
      streams.push(this);
    }
  }
  window.EventSource = SpyEventSource;
  return {
    requests,
    streams,
    /** Streams not closed yet. */
    live: () => streams.filter((s) => s.readyState !== EventSource.CLOSED),
    restore() {
      window.fetch = realFetch;
      window.EventSource = RealEventSource;
    },
  };
}

/**
 * Replaces `navigator.clipboard` with one that records what is written, until `restore()`; the real
 * one needs a permission that headless Chromium does not grant.
 */
export function spyClipboard() {
  const copied: string[] = [];
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: { writeText: async (value: string) => void copied.push(value) },
  });
  return {
    copied,
    restore: () => delete (navigator as { clipboard?: unknown }).clipboard,
  };
}

/** The `d` attributes of the QR code's paths in `host`, which identify the encoded text. */
export function qrPaths(host: Element | null): string[] {
  return [...(host?.querySelectorAll('svg path') ?? [])].map((p) => p.getAttribute('d') ?? '');
}

/** The paths a QR code of `text` must have (same encoder options as the element: level M, margin 2). */
export async function expectedQrPaths(text: string): Promise<string[]> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return qrPaths(new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement);
}

export { FIXTURE_NOW, sessionFixture, type FixtureState } from '../support/session-fixtures.js';

/**
 * Makes the page's backend answer every request with `answer` (a session, or an HTTP status for an
 * error), keeps every stream connecting forever (nothing arrives on it) and stops the clock at
 * {@link FIXTURE_NOW}, until `restore()`. For screens that must not change between runs.
 */
export function serveFixture(answer: BuyerSession | number) {
  const realFetch = window.fetch;
  const RealEventSource = window.EventSource;
  const realNow = Date.now;
  window.fetch = async () =>
    typeof answer === 'number'
      ? new Response(JSON.stringify({ error: { code: 'not_found', message: 'No such session.' } }), {
          status: answer,
          headers: { 'content-type': 'application/json' },
        })
      : new Response(JSON.stringify(answer), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
  class SilentEventSource extends EventTarget {
    readonly readyState = 0;
    close() {}
  }
  window.EventSource = SilentEventSource as unknown as typeof EventSource;
  Date.now = () => FIXTURE_NOW;
  return {
    restore() {
      window.fetch = realFetch;
      window.EventSource = RealEventSource;
      Date.now = realNow;
    },
  };
}

/**
 * Mounts the element against a stubbed backend answering `answer(method, url)`; restores fetch after.
 * Wallets are off (`no-wallet`) unless `wallet` is set.
 */
export async function mountStubbed(
  answer: (method: string, url: string) => BuyerSession,
  options: { wallet?: boolean } = {},
) {
  const requests: string[] = [];
  const realFetch = window.fetch;
  window.fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const url = String(input instanceof Request ? input.url : input);
    requests.push(`${method} ${new URL(url).pathname}`);
    return new Response(JSON.stringify(answer(method, url)), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  const el = document.createElement('crypto-checkout');
  el.setAttribute('api', 'https://pay.test');
  el.setAttribute('session', 'cs_testfixture_secret_abcdefghijklmnop');
  el.toggleAttribute('no-wallet', !options.wallet);
  await fixture(html`${el}`);
  return { el, requests, restore: () => (window.fetch = realFetch) };
}
