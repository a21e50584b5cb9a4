/**
 * The session behind one `<crypto-checkout>`, as a Lit reactive controller: it loads the session,
 * follows it live (the API client's stream, with polling and reconnects), runs the countdown and the
 * check with the server at expiry, chooses the payment method, draws the QR code and keeps the
 * element's `state` and `status` in step. The element only renders what {@link SessionController.view}
 * holds and calls {@link SessionController.choose} and {@link SessionController.retry}.
 * @module
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { BuyerSession, SessionStatus } from '@crypto-checkout/protocol';
import {
  ApiClient,
  isSessionSettled,
  isTerminalStatus,
  toApiError,
  type WatchSessionOptions,
} from './api-client.js';
// A type only: the element's public type stays declared with the element (no runtime cycle).
import type { CheckoutState } from './crypto-checkout.js';
import { emit, type CheckoutErrorDetail } from './events.js';
import type * as Extras from './payment-extras.js';
import type * as Qr from './qr.js';
import { takesPayment } from './progress.js';

/** Milliseconds between polls while the stream is down, and between checks with the server at expiry. */
const POLLING_INTERVAL = 5000;

/** The lazily loaded module of what a chosen method or a payment shows; see payment-extras.ts. */
export type PaymentExtras = typeof Extras;

/**
 * How the payment extras chunk is fetched, and how many milliseconds to wait before each new attempt
 * when it fails (a CDN hiccup, a blocked request, a phone going offline). The one seam where tests make
 * the chunk fail (test/element/extras.test.ts); nothing else should change it.
 */
export const extrasChunk = {
  // The QR encoder is half the weight of the element and only needed once a method is chosen, so it is
  // a lazily loaded chunk, with the rest of what only a chosen method or a payment shows (methods,
  // payment, details, steps, receipt: payment-extras.ts), fetched while the session loads so that it is
  // ready when the address is.
  load: (): Promise<PaymentExtras> => import('./payment-extras.js'),
  retryDelays: [1000, 3000],
};

/**
 * How the QR encoder (qr.ts, its own lazily loaded chunk) is fetched: apart from the payment extras, so
 * that the plain view shown when those fail still has its QR code when this chunk loads. The seam where
 * tests make it fail; nothing else should change it.
 */
export const qrChunk = {
  load: (): Promise<typeof Qr> => import('./qr.js'),
};

let extrasLoading: Promise<PaymentExtras> | undefined;

/**
 * Loads the payment extras, trying again after each of `extrasChunk.retryDelays`; callers meanwhile
 * (the session's load and its QR code) share the attempts. Once settled it is forgotten: a loaded
 * chunk comes from the browser's module map, and after a final failure the buyer's retry starts
 * another round.
 */
const loadExtras = (): Promise<PaymentExtras> =>
  (extrasLoading ??= attemptExtras(0).finally(() => (extrasLoading = undefined)));

const attemptExtras = (attempt: number): Promise<PaymentExtras> =>
  extrasChunk.load().catch((error: unknown) => {
    const delay = extrasChunk.retryDelays[attempt];
    if (delay === undefined) throw error;
    return new Promise((wait) => setTimeout(wait, delay)).then(() => attemptExtras(attempt + 1));
  });

export { confirmationProgress, takesPayment } from './progress.js';

/**
 * Whether a session state from the server replaces the one shown. After a terminal status the buyer's
 * part is over (a later change such as paid → overpaid is the merchant's business), and a chosen
 * method never goes away: anything else is a late, stale answer racing a newer one (e.g. the stream's
 * first snapshot and the choose-method answer).
 * @example supersedes(shown, incoming) // false when `shown` is paid
 */
export function supersedes(shown: BuyerSession | null, incoming: BuyerSession): boolean {
  return !shown || (!isTerminalStatus(shown.status) && !(shown.payment && !incoming.payment));
}

/** What the controller needs of the API: {@link ApiClient} implements it; tests pass a fake. */
export interface SessionClient {
  /** Fetches the buyer's view of the session. */
  getSession(signal?: AbortSignal): Promise<BuyerSession>;
  /** Chooses the payment method; answers with the session including `payment`. */
  choosePayment(method: string, signal?: AbortSignal): Promise<BuyerSession>;
  /** Drops the chosen method (the back action); answers with the session without `payment`. */
  dropPayment?(signal?: AbortSignal): Promise<BuyerSession>;
  /** Follows the session live until it settles; returns the function that stops following it. */
  watchSession(options: WatchSessionOptions): () => void;
}

/** The element a {@link SessionController} serves: which session to load, and where to show its state. */
export type SessionHost = ReactiveControllerHost &
  EventTarget & {
    /** Whether the element is in a document: only then is the session loaded and followed. */
    readonly isConnected: boolean;
    /** Base URL of the backend; `''` means the page's own origin. */
    readonly api: string;
    /** The session's client secret; `''` means no session. */
    readonly session: string;
    /** The element's reflected `state`, which the controller sets. */
    state: CheckoutState;
    /** The element's reflected `status`, which the controller sets to what the server said. */
    status?: SessionStatus;
  };

/** Options of {@link SessionController}. */
export interface SessionControllerOptions {
  /** Makes the client of a backend and client secret. Default: `new ApiClient(api, clientSecret)`. */
  createClient?: (api: string, clientSecret: string) => SessionClient;
  /** Milliseconds between polls while the stream is down, and between checks at expiry. Default 5000. */
  pollingInterval?: number;
}

/** Everything the element shows of its session, replaced as a whole on every change. */
export interface SessionView {
  /** Where the element is in its own life; mirrored to the host's `state`. */
  readonly state: CheckoutState;
  /** The session as the server last sent it, or `null` before it has loaded. */
  readonly session: BuyerSession | null;
  /** Why loading failed (with `state` `error`), or `null`. */
  readonly error: CheckoutErrorDetail | null;
  /** Why the buyer's last action (choosing a method) failed, in the server's words, or `''`. */
  readonly notice: string;
  /** Whether following the session fails (a poll failed); cleared by the next session state. */
  readonly offline: boolean;
  /** The method being chosen (a request is on its way), or `''`. */
  readonly choosing: string;
  /** Whether the chosen method is being dropped (the back action's request is on its way). */
  readonly changing: boolean;
  /** The server's clock at the last tick of the countdown, in milliseconds since the epoch. */
  readonly now: number;
  /** The QR code of a `pay_uri` once drawn (an SVG document), or `null`. */
  readonly qr: { readonly uri: string; readonly svg: string } | null;
  /** The lazily loaded renderers of methods, payment, details, steps and receipt, once loaded; `null` before. */
  readonly extras: PaymentExtras | null;
  /** Whether loading them failed after every retry: the element shows the essentials without them. */
  readonly extrasFailed: boolean;
}

const IDLE: SessionView = {
  state: 'idle',
  session: null,
  error: null,
  notice: '',
  offline: false,
  choosing: '',
  changing: false,
  now: 0,
  qr: null,
  extras: null,
  extrasFailed: false,
};

/**
 * Loads and follows the session of one `<crypto-checkout>`. Before each update of its host it compares
 * the host's `api` and `session` with those it runs for and, when they changed (or the host came back
 * into the document), stops everything and starts again — as `@lit/task` starts its task from the
 * same hook, so that a new session is loading in the very render that shows it. Everything else
 * happens in answers, stream events and timers, and ends with a new {@link view} and a host update.
 * Fires the session events (`checkout-status-change`, `checkout-paid`, `checkout-expired`,
 * `checkout-canceled`, `checkout-error`) on the host.
 * @example
 * private checkout = new SessionController(this);
 * render() { return html`${this.checkout.view.session?.status}`; }
 */
export class SessionController implements ReactiveController {
  private current: SessionView = IDLE;
  /** `api` and client secret of the session this runs for, or `null` when it runs for none. */
  private key: string | null = null;
  private client?: SessionClient;
  /** Aborted when this run ends: its requests are cancelled and their late answers ignored. */
  private run?: AbortController;
  private unwatch?: () => void;
  private ticker?: ReturnType<typeof setInterval>;
  /** The server's clock minus the browser's, from the last answer fetched. */
  private skew = 0;
  private nextExpiryCheck = 0;
  private qrUri = '';

  constructor(
    private readonly host: SessionHost,
    private readonly options: SessionControllerOptions = {},
  ) {
    host.addController(this);
  }

  /** What to show; replaced, never changed in place, so that a render sees one consistent state. */
  get view(): SessionView {
    return this.current;
  }

  hostConnected(): void {
    // Back in the document after a removal: the next update starts loading and following again.
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.stop();
  }

  hostUpdate(): void {
    const { host } = this;
    const key = host.isConnected && host.session ? `${host.api} ${host.session}` : null;
    if (key !== this.key) this.restart(key);
    // `state` and `status` only ever say what the controller knows: undo a page setting either.
    this.sync();
  }

  /** Loads the session again, from the start (the retry button after an error). */
  retry(): void {
    this.restart(this.key);
  }

  /** Loads the payment extras again, after they failed (the retry action beside the essentials). */
  retryExtras(): void {
    if (this.run && this.view.extrasFailed) this.fetchExtras(this.run);
  }

  /**
   * Chooses the payment method `method` (e.g. `usdc@anvil`) and shows the payment. When the server
   * says it was chosen elsewhere or the session is no longer open, shows what the server has now;
   * any other failure becomes {@link SessionView.notice} and a `checkout-error`.
   */
  async choose(method: string): Promise<void> {
    const { client, run } = this;
    if (!client || !run || this.view.choosing) return;
    this.set({ choosing: method, notice: '' });
    try {
      this.apply(await client.choosePayment(method, run.signal), true);
    } catch (error) {
      if (run.signal.aborted) return;
      let e = toApiError(error);
      if (e.code === 'method_already_chosen' || e.code === 'session_not_open') {
        // Chosen in another tab, or paid or expired meanwhile: show what the server has now.
        try {
          return this.apply(await client.getSession(run.signal), true);
        } catch (again) {
          if (run.signal.aborted) return;
          e = toApiError(again);
        }
      }
      this.set({ notice: e.message });
      emit(this.host, 'checkout-error', { code: e.code, message: e.message });
    } finally {
      if (this.run === run) this.set({ choosing: '' });
    }
  }

  /**
   * Goes back to the choice of methods (the server's `DELETE /v1/sessions/:id/payment`), allowed while
   * the session's `can_change_method` is true. When money arrived meanwhile (409
   * `payment_in_progress`) the payment stays and the server's session is shown; any other failure
   * becomes {@link SessionView.notice} and a `checkout-error`.
   */
  async changeMethod(): Promise<void> {
    const { client, run } = this;
    if (!client?.dropPayment || !run || this.view.changing || this.view.choosing) return;
    this.set({ changing: true, notice: '' });
    try {
      this.apply(await client.dropPayment(run.signal), true, true);
    } catch (error) {
      if (run.signal.aborted) return;
      const e = toApiError(error);
      // A string until the protocol's error codes name it (h-pricing's wire change).
      if ((e.code as string) === 'payment_in_progress') {
        try {
          return this.apply(await client.getSession(run.signal), true);
        } catch {
          // Keep what is shown; the stream brings the new state.
        }
      }
      this.set({ notice: e.message });
      emit(this.host, 'checkout-error', { code: e.code, message: e.message });
    } finally {
      if (this.run === run) this.set({ changing: false });
    }
  }

  /** Stops the current run and starts one for `key` (none when `null`), from an empty view. */
  private restart(key: string | null) {
    this.stop();
    this.key = key;
    this.current = IDLE;
    this.sync();
    if (key) void this.load(this.host.api, this.host.session);
  }

  private async load(api: string, clientSecret: string) {
    const run = (this.run = new AbortController());
    this.fetchExtras(run);
    this.set({ state: 'loading' });
    // The rest after the host's update: the events fired below may make a listener change the host's
    // properties, and a change made while the host updates would not start another update.
    await Promise.resolve();
    if (run.signal.aborted) return;
    try {
      const client = (this.client = (this.options.createClient ?? newApiClient)(api, clientSecret));
      const session = await client.getSession(run.signal);
      if (run.signal.aborted) return;
      this.apply(session, true);
      if (!session.payment && session.status === 'open' && session.methods.length === 1) {
        void this.choose(session.methods[0]!.id);
      }
      if (!isSessionSettled(session, new Date(session.server_time))) {
        this.unwatch = client.watchSession({
          onSession: (next) => this.apply(next),
          onError: () => this.set({ offline: true }),
          pollingInterval: this.pollingInterval,
        });
      }
    } catch (error) {
      if (run.signal.aborted) return;
      const e = toApiError(error);
      this.set({ state: 'error', error: { code: e.code, message: e.message } });
      emit(this.host, 'checkout-error', { code: e.code, message: e.message });
    }
  }

  /**
   * Loads the payment extras for `run`. When every attempt failed, the element shows the essentials it
   * draws itself (amount, token, network, address) with a notice and a retry, rather than a spinner
   * forever, and the page hears of it (`checkout-error`, `extras_unavailable`).
   */
  private fetchExtras(run: AbortController) {
    this.set({ extrasFailed: false });
    loadExtras().then(
      (extras) => {
        if (this.run !== run) return;
        this.set({ extras });
        // The QR encoder may have failed with it (the connection was down): draw the code if it is not.
        if (this.view.session) this.drawQr(this.view.session);
      },
      () => {
        if (this.run !== run) return;
        this.set({ extrasFailed: true });
        emit(this.host, 'checkout-error', {
          code: 'extras_unavailable',
          message: 'The payment view could not be loaded.',
        });
      },
    );
  }

  /**
   * Takes a session state from the server (`fetched`: the answer to a request, whose `server_time`
   * is fresh enough to correct the clock): shows it, fires the events of a status change and keeps
   * the countdown in step. `dropped` marks the answer to {@link changeMethod}, whose session has no
   * `payment` any more.
   */
  private apply(s: BuyerSession, fetched = false, dropped = false) {
    const shown = this.view.session;
    // `dropped`: the answer to the back action, the one time a chosen method goes away.
    if (!dropped && !supersedes(shown, s)) return;
    // A request's answer built before the state shown is stale: the stream got there first (e.g. an
    // underpayment seen while the choose-method answer was still on its way). The stream's and the
    // polls' states are not compared by clock: they come in order, and another instance's clock may
    // run a little behind, so a newer state would be dropped and never sent again.
    if (fetched && !dropped && shown && Date.parse(s.server_time) < Date.parse(shown.server_time)) return;
    if (dropped) this.qrUri = '';
    if (fetched) this.skew = Date.parse(s.server_time) - Date.now();
    this.set({ state: 'ready', session: s, offline: false, now: Date.now() + this.skew });
    this.drawQr(s);
    const previousStatus = shown?.status ?? null;
    if (s.status !== previousStatus) {
      emit(this.host, 'checkout-status-change', { status: s.status, previousStatus, session: s });
      if (s.status === 'paid' || s.status === 'overpaid') emit(this.host, 'checkout-paid', { session: s });
      if (s.status === 'expired') emit(this.host, 'checkout-expired', { session: s });
      if (s.status === 'canceled') emit(this.host, 'checkout-canceled', { session: s });
    }
    clearInterval(this.ticker);
    this.ticker = undefined;
    // The countdown, and the check with the server at expiry; an expired session has neither.
    if (takesPayment(s) || s.status === 'processing') this.ticker = setInterval(() => this.tick(), 1000);
  }

  private tick() {
    const now = Date.now() + this.skew;
    this.set({ now });
    const s = this.view.session;
    // At expiry ask the server (every polling interval until it says so) instead of trusting the clock.
    if (s && Date.parse(s.expires_at) <= now && now >= this.nextExpiryCheck) {
      this.nextExpiryCheck = now + this.pollingInterval;
      const run = this.run;
      this.client?.getSession(run?.signal).then(
        (next) => this.run === run && this.apply(next, true),
        () => {},
      );
    }
  }

  /** Draws the QR code of exactly what is still due (the remainder after an underpayment). */
  private drawQr(s: BuyerSession) {
    const uri = takesPayment(s) ? s.pay_uri : null;
    if (!uri || uri === this.qrUri) return;
    this.qrUri = uri;
    qrChunk
      .load()
      .then((qr) => qr.qrSvg(uri))
      .then(
        (svg) => this.qrUri === uri && this.set({ qr: { uri, svg } }),
        // Not drawn: forget it, so that the buyer's retry (of the extras) draws it.
        () => this.qrUri === uri && (this.qrUri = ''),
      );
  }

  /** Shows `patch` on top of the current view: mirrors `state` and `status` and updates the host. */
  private set(patch: Partial<SessionView>) {
    this.current = { ...this.current, ...patch };
    this.sync();
    this.host.requestUpdate();
  }

  /** Mirrors the view's state and the session's status to the host's reflected properties. */
  private sync() {
    const { host, view } = this;
    if (host.state !== view.state) host.state = view.state;
    if (host.status !== view.session?.status) host.status = view.session?.status;
  }

  private get pollingInterval() {
    return this.options.pollingInterval ?? POLLING_INTERVAL;
  }

  /** Stops everything that runs in the background: requests, the stream, polls and timers. */
  private stop() {
    this.run?.abort();
    this.unwatch?.();
    clearInterval(this.ticker);
    this.run = this.unwatch = this.ticker = this.client = undefined;
    this.key = null;
    this.qrUri = '';
    this.nextExpiryCheck = 0;
  }
}

const newApiClient = (api: string, clientSecret: string): SessionClient => new ApiClient(api, clientSecret);
