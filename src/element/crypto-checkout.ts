import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { BuyerSession, PaymentInstructions, SessionStatus } from '../protocol/index.js';
import { ApiClient, isTerminalStatus, toApiError, type CheckoutApiError } from './api-client.js';
import { styles } from './crypto-checkout.styles.js';
import {
  emit,
  type CheckoutErrorDetail,
  type CheckoutErrorEvent,
  type CheckoutExpiredEvent,
  type CheckoutPaidEvent,
  type CheckoutStatusChangeEvent,
} from './events.js';
import { formatCountdown, formatFiat, isPositive, shortHash, toAtomic, withUriAmount } from './format.js';

/**
 * Where the element is in its own life, as opposed to the session's `status`: `idle` without a
 * `session`, `loading` until the first answer, `ready` once a session is shown, `error` when loading
 * failed (a retry button is shown).
 */
export type CheckoutState = 'idle' | 'loading' | 'ready' | 'error';

const POLLING_INTERVAL = 5000;

// The QR encoder is half the weight of the element and only needed once a method is chosen, so it is
// a lazily loaded chunk, fetched while the session loads so that it is ready when the address is.
const loadQr = () => import('./qr.js');

/**
 * A crypto payment checkout for one session of a crypto-checkout backend. Give it the session's client
 * secret; it loads the amount and methods, lets the buyer choose a method, shows the deposit address,
 * amount and QR code, and follows the payment live (server-sent events, polling as a fallback) until
 * it is paid or expired. It takes no amount or address from the page: everything comes from the server.
 *
 * @summary Embeddable checkout: amount, method choice, address, QR, countdown and live status.
 * @tagname crypto-checkout
 *
 * @fires {CheckoutStatusChangeEvent} checkout-status-change - The session's status changed (also on the first load of a session). Detail: `{ status, previousStatus, session }`.
 * @fires {CheckoutPaidEvent} checkout-paid - The session was paid. Detail: `{ session }`. Fulfil orders from the server's webhook, not from this event.
 * @fires {CheckoutExpiredEvent} checkout-expired - The session expired. Detail: `{ session }`.
 * @fires {CheckoutErrorEvent} checkout-error - Loading the session or a buyer's action failed. Detail: `{ code, message }`.
 *
 * @csspart base - The wrapper of everything inside.
 * @csspart header - The price and order reference.
 * @csspart amount - The price in fiat currency.
 * @csspart order - The merchant's order reference.
 * @csspart status - The live status line (an `aria-live="polite"` region).
 * @csspart spinner - The loading indicator.
 * @csspart error - Error messages.
 * @csspart retry-button - The button that retries loading after an error.
 * @csspart countdown - The time left until the session expires.
 * @csspart methods - The group of payment method buttons.
 * @csspart method - One payment method button.
 * @csspart details - The payment instructions (network, token, amount, address).
 * @csspart network - The network name.
 * @csspart token - The token symbol and contract.
 * @csspart amount-due - The exact token amount to send.
 * @csspart address - The deposit address.
 * @csspart copy-button - The copy buttons beside the amount and the address.
 * @csspart qr - The QR code of the EIP-681 payment request.
 * @csspart note - Hints for the buyer (network fee, partial payments).
 * @csspart confirmations - The confirmations progress bar while processing.
 * @csspart transfers - The list of transfers seen.
 * @csspart transfer - One transfer (a link when the network has a block explorer).
 * @csspart success-link - The "Return to merchant" link after payment.
 *
 * @cssprop [--checkout-font=system-ui] - Font family of the element.
 * @cssprop [--checkout-fg=#111827] - Text color.
 * @cssprop [--checkout-bg=#fff] - Background color.
 * @cssprop [--checkout-muted=#6b7280] - Color of secondary text.
 * @cssprop [--checkout-border=#e5e7eb] - Border color of the card and buttons.
 * @cssprop [--checkout-accent=#4f46e5] - Accent color: primary buttons, links, focus ring.
 * @cssprop [--checkout-accent-fg=#fff] - Text color on the accent color.
 * @cssprop [--checkout-success=#047857] - Status color when paid.
 * @cssprop [--checkout-warning=#b45309] - Status color when underpaid.
 * @cssprop [--checkout-danger=#b91c1c] - Color of error messages.
 * @cssprop [--checkout-radius=12px] - Corner radius of the card (buttons use half).
 * @cssprop [--checkout-mono=ui-monospace] - Font family of the amount and address.
 * @cssprop [--checkout-qr-size=12.5rem] - Width of the QR code.
 */
export class CryptoCheckout extends LitElement {
  static override styles = styles;

  /** The session's client secret (`cs_…_secret_…`) that your server got when it created the session. */
  @property() session = '';

  /** Base URL of the crypto-checkout backend, e.g. `https://pay.example.com`; empty means this page's origin. */
  @property() api = '';

  /** BCP 47 locale for the fiat price; defaults to the page's `lang`, then the browser's language. */
  @property() locale = '';

  /**
   * The session's status as the server reports it (`open`, `processing`, `underpaid`, `paid`,
   * `expired`), reflected to the `status` attribute for styling. Unset while loading or after an error;
   * see `state` for those. Read-only: the element sets it.
   */
  @property({ reflect: true }) status?: SessionStatus;

  /** The element's own state (`idle`, `loading`, `ready`, `error`), reflected for styling. Read-only. */
  @property({ reflect: true }) state: CheckoutState = 'idle';

  @state() private _data: BuyerSession | null = null;
  @state() private _error: CheckoutErrorDetail | null = null;
  @state() private _notice = '';
  @state() private _offline = false;
  @state() private _choosing = '';
  @state() private _copied = '';
  @state() private _qr: { uri: string; svg: string } | null = null;
  @state() private _now = Date.now();

  private _key: string | null = null;
  private _client?: ApiClient;
  private _run?: AbortController;
  private _unwatch?: () => void;
  private _ticker?: ReturnType<typeof setInterval>;
  private _copyTimer?: ReturnType<typeof setTimeout>;
  private _skew = 0;
  private _nextExpiryCheck = 0;
  private _qrUri = '';

  override connectedCallback() {
    super.connectedCallback();
    // Back in the DOM after a removal: willUpdate starts loading and watching again.
    if (this.hasUpdated) this.requestUpdate();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._teardown();
  }

  protected override willUpdate(changed: PropertyValues<this>) {
    // `status` only ever says what the server said: undo a page setting the property or attribute.
    if (changed.has('status') && this.status !== this._data?.status) this.status = this._data?.status;
    // One place decides whether to (re)start: connected with a session, and a new api/session pair.
    const key = this.isConnected && this.session ? `${this.api} ${this.session}` : null;
    if (key !== this._key) {
      this._teardown();
      this._data = this._error = this._qr = null;
      this.status = undefined;
      this.state = 'idle';
      this._key = key;
      if (key) void this._load();
    }
    const uri = this._data && this._payUri(this._data);
    if (uri && uri !== this._qrUri) {
      this._qrUri = uri;
      loadQr()
        .then((qr) => qr.qrSvg(uri))
        .then(
          (svg) => {
            if (this._qrUri === uri) this._qr = { uri, svg };
          },
          () => {},
        );
    }
  }

  override render() {
    const s = this._data;
    const loading = this.state === 'loading';
    return html`<div part="base" aria-busy=${loading ? 'true' : 'false'}>
      ${
        s
          ? html`<header part="header">
              <p part="amount">
                ${formatFiat(s.amount, s.currency, this.locale || document.documentElement.lang)}
              </p>
              ${s.order_id ? html`<p part="order">Order ${s.order_id}</p>` : nothing}
            </header>`
          : nothing
      }
      <p part="status" role="status" aria-live="polite">
        ${loading ? html`<span part="spinner" aria-hidden="true"></span>` : nothing}${this._statusText(s)}
      </p>
      ${
        this.state === 'error'
          ? html`<button part="retry-button" @click=${this._retry}>Try again</button>`
          : nothing
      }
      ${this._notice ? html`<p part="error" role="alert">${this._notice}</p>` : nothing}
      ${this._offline ? html`<p part="error">Connection to the payment server lost. Retrying…</p>` : nothing}
      ${s ? this._renderSession(s) : nothing}
    </div>`;
  }

  private _statusText(s: BuyerSession | null): string {
    if (this.state === 'loading') return 'Loading checkout…';
    if (this._error) return this._error.message;
    const p = s?.payment;
    switch (s?.status) {
      case 'open':
        return p ? 'Waiting for payment' : 'Choose how to pay';
      case 'processing': {
        const seen = Math.max(0, ...s.transfers.map((t) => t.confirmations));
        const needed = p?.confirmations_required ?? 1;
        return `Payment seen, waiting for confirmations ${Math.min(seen, needed)}/${needed}`;
      }
      case 'underpaid':
        return `Partially paid: ${s.amount_remaining} ${p?.token} still due`;
      case 'paid':
        return 'Payment received. Thank you!';
      case 'expired':
        return 'This checkout has expired';
    }
    return '';
  }

  private _renderSession(s: BuyerSession) {
    const p = s.payment;
    const payable = s.status === 'open' || s.status === 'underpaid';
    const left = Date.parse(s.expires_at) - (this._now + this._skew);
    return html`
      ${
        payable
          ? html`<p part="countdown" role="timer">
              ${left > 0 ? html`Expires in <time>${formatCountdown(left)}</time>` : 'Time is up, checking…'}
            </p>`
          : nothing
      }
      ${
        !p && s.status === 'open'
          ? html`<div part="methods" role="group" aria-label="Payment method">
              ${s.methods.map(
                (m) =>
                  html`<button
                    part="method"
                    data-method=${m.id}
                    ?disabled=${!!this._choosing}
                    @click=${() => this._choose(m.id)}
                  >
                    ${m.token} <span class="muted">on ${m.network}</span>
                  </button>`,
              )}
            </div>`
          : nothing
      }
      ${p && payable ? this._renderPayment(s, p) : nothing}
      ${
        p && s.status === 'processing'
          ? html`<progress
              part="confirmations"
              aria-label="Confirmations"
              max=${p.confirmations_required}
              .value=${Math.max(0, ...s.transfers.map((t) => t.confirmations))}
            ></progress>`
          : nothing
      }
      ${
        p && s.transfers.length && s.status !== 'expired'
          ? html`<ul part="transfers" class="muted">
              ${s.transfers.map((t) => {
                const label = `${t.amount} ${p.token} in ${shortHash(t.tx_hash)}`;
                return html`<li>
                  ${
                    p.explorer_url
                      ? html`<a
                          part="transfer"
                          href=${`${p.explorer_url.replace(/\/+$/, '')}/tx/${t.tx_hash}`}
                          target="_blank"
                          rel="noopener noreferrer"
                          >${label}</a
                        >`
                      : html`<span part="transfer">${label}</span>`
                  }
                </li>`;
              })}
            </ul>`
          : nothing
      }
      ${s.status === 'paid' ? this._renderPaid(s, p) : nothing}
      ${
        s.status === 'expired'
          ? html`<p part="note">
              ${
                p && isPositive(s.amount_received)
                  ? `A partial payment of ${s.amount_received} ${p.token} was received. The merchant will contact you about it.`
                  : 'Payments to this checkout are no longer accepted. Please start a new checkout.'
              }
            </p>`
          : nothing
      }
    `;
  }

  private _renderPayment(s: BuyerSession, p: PaymentInstructions) {
    const underpaid = s.status === 'underpaid' && !!s.amount_remaining;
    const amount = underpaid ? s.amount_remaining! : p.amount_due;
    const uri = this._payUri(s);
    // A token transfer is paid for in the chain's own coin; name it when the session offers it too.
    const gasCoin = s.methods.find((m) => m.kind === 'native' && m.chain_id === p.chain_id)?.token;
    return html`
      ${
        underpaid
          ? html`<p part="note">
              Received ${s.amount_received} ${p.token}. Send the remaining amount to the same address.
            </p>`
          : nothing
      }
      <dl part="details">
        <dt>Network</dt>
        <dd><span part="network">${p.network}</span></dd>
        <dt>Token</dt>
        <dd>
          <span part="token"
            >${p.token}${
              p.token_address
                ? html` <span class="muted">(contract <code>${p.token_address}</code>)</span>`
                : nothing
            }</span
          >
        </dd>
        <dt>${underpaid ? 'Amount still due' : 'Amount'} (${p.token})</dt>
        <dd><code part="amount-due">${amount}</code>${this._copyButton('amount', amount)}</dd>
        <dt>Address</dt>
        <dd><code part="address">${p.address}</code>${this._copyButton('address', p.address)}</dd>
      </dl>
      ${
        uri
          ? html`<div
              part="qr"
              role="img"
              aria-label=${`QR code: pay ${amount} ${p.token} on ${p.network} to ${p.address}`}
            >
              ${this._qr?.uri === uri ? unsafeHTML(this._qr.svg) : nothing}
            </div>`
          : nothing
      }
      <p part="note">
        ${
          p.kind === 'erc20'
            ? `Sending ${p.token} needs a little ${gasCoin ?? "of the network's own coin"} on ${p.network} for the network fee. `
            : `The network fee is paid on top of the amount. `
        }Send
        only ${p.token} on ${p.network}; other tokens or networks cannot be credited.
      </p>
    `;
  }

  private _renderPaid(s: BuyerSession, p: PaymentInstructions | null) {
    const over =
      p && s.amount_received && toAtomic(s.amount_received, p.decimals) > BigInt(p.amount_due_atomic);
    // success_url is validated by the server; checking the scheme again keeps javascript: URLs out.
    const back = s.success_url && /^https?:\/\//i.test(s.success_url) ? s.success_url : '';
    return html`
      ${
        over
          ? html`<p part="note">
              You sent ${s.amount_received} ${p.token}, more than the ${p.amount_due} due. Contact the
              merchant about the difference.
            </p>`
          : nothing
      }
      ${back ? html`<p><a part="success-link" href=${back}>Return to merchant</a></p>` : nothing}
    `;
  }

  private _copyButton(what: string, text: string) {
    return html`<button part="copy-button" @click=${() => this._copy(what, text)}>
      ${this._copied === what ? 'Copied' : 'Copy'}<span class="sr-only"> ${what}</span>
    </button>`;
  }

  /** The URI for the QR code: the server's, or for an underpayment the same with the amount still due. */
  private _payUri(s: BuyerSession): string | null {
    const p = s.payment;
    if (!p || (s.status !== 'open' && s.status !== 'underpaid')) return null;
    return s.status === 'underpaid' && s.amount_remaining
      ? withUriAmount(p.uri, toAtomic(s.amount_remaining, p.decimals))
      : p.uri;
  }

  private async _load() {
    const run = (this._run = new AbortController());
    loadQr().catch(() => {});
    this.state = 'loading';
    this._error = null;
    try {
      const client = (this._client = new ApiClient(this.api, this.session));
      const session = await client.getSession(run.signal);
      if (run.signal.aborted) return;
      this._apply(session, true);
      if (!session.payment && session.status === 'open' && session.methods.length === 1) {
        void this._choose(session.methods[0]!.id);
      }
      if (!isTerminalStatus(session.status)) {
        this._unwatch = client.watchSession({
          onSession: (next) => this._apply(next),
          onError: () => (this._offline = true),
          pollingInterval: POLLING_INTERVAL,
        });
      }
    } catch (error) {
      if (run.signal.aborted) return;
      const e = toApiError(error);
      this.state = 'error';
      this._error = { code: e.code, message: buyerMessage(e) };
      emit(this, 'checkout-error', { code: e.code, message: e.message });
    }
  }

  /** Takes a session state from the server, fires events for a status change and keeps timers in step. */
  private _apply(s: BuyerSession, fresh = false) {
    const prev = this._data;
    // A terminal status never changes, and a chosen method never goes away: anything else is a late,
    // stale answer racing a newer one (e.g. the stream's first snapshot and the choose-method answer).
    if (prev && (isTerminalStatus(prev.status) || (prev.payment && !s.payment))) return;
    if (fresh) this._skew = Date.parse(s.server_time) - Date.now();
    this._data = s;
    this._now = Date.now();
    this._offline = false;
    this.state = 'ready';
    this.status = s.status;
    const previousStatus = prev?.status ?? null;
    if (s.status !== previousStatus) {
      emit(this, 'checkout-status-change', { status: s.status, previousStatus, session: s });
      if (s.status === 'paid') emit(this, 'checkout-paid', { session: s });
      if (s.status === 'expired') emit(this, 'checkout-expired', { session: s });
    }
    clearInterval(this._ticker);
    this._ticker = undefined;
    if (!isTerminalStatus(s.status)) this._ticker = setInterval(() => this._tick(), 1000);
  }

  private _tick() {
    this._now = Date.now();
    const s = this._data;
    // At expiry ask the server (every 5 s until it says so) instead of trusting the local clock.
    if (s && Date.parse(s.expires_at) <= this._now + this._skew && this._now >= this._nextExpiryCheck) {
      this._nextExpiryCheck = this._now + POLLING_INTERVAL;
      this._client?.getSession(this._run?.signal).then(
        (next) => this._apply(next, true),
        () => {},
      );
    }
  }

  private async _choose(method: string) {
    const client = this._client;
    const run = this._run;
    if (!client || !run || this._choosing) return;
    this._choosing = method;
    this._notice = '';
    try {
      this._apply(await client.choosePayment(method, run.signal), true);
    } catch (error) {
      if (run.signal.aborted) return;
      let e = toApiError(error);
      if (e.code === 'method_already_chosen' || e.code === 'session_not_open') {
        // Chosen in another tab, or paid or expired meanwhile: show what the server has now.
        try {
          return this._apply(await client.getSession(run.signal), true);
        } catch (again) {
          if (run.signal.aborted) return;
          e = toApiError(again);
        }
      }
      this._notice = e.message;
      emit(this, 'checkout-error', { code: e.code, message: e.message });
    } finally {
      if (this._run === run) this._choosing = '';
    }
  }

  private async _copy(what: string, text: string) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard API (insecure context, old browser): copy through a selected textarea.
      const area = Object.assign(document.createElement('textarea'), { value: text });
      this.renderRoot.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    this._copied = what;
    clearTimeout(this._copyTimer);
    this._copyTimer = setTimeout(() => (this._copied = ''), 2000);
  }

  private _retry() {
    this._key = null;
    this.requestUpdate();
  }

  /** Stops everything that runs in the background: requests, the stream, polls and timers. */
  private _teardown() {
    this._run?.abort();
    this._unwatch?.();
    clearInterval(this._ticker);
    clearTimeout(this._copyTimer);
    this._run = this._unwatch = this._ticker = this._copyTimer = undefined;
    this._key = null;
    this._choosing = '';
    this._offline = false;
    this._notice = '';
    this._qrUri = '';
  }
}

/** What the buyer reads for an error: the server's messages are written for developers. */
const buyerMessage = (e: CheckoutApiError): string =>
  e.code === 'unauthorized' || e.code === 'not_found' || e.code === 'invalid_client_secret'
    ? 'This checkout could not be found. Please ask the merchant for a new payment link.'
    : e.code === 'network_error'
      ? 'Could not reach the payment server. Check your connection and try again.'
      : `Something went wrong: ${e.message}`;

declare global {
  interface HTMLElementTagNameMap {
    'crypto-checkout': CryptoCheckout;
  }
  interface GlobalEventHandlersEventMap {
    'checkout-status-change': CheckoutStatusChangeEvent;
    'checkout-paid': CheckoutPaidEvent;
    'checkout-expired': CheckoutExpiredEvent;
    'checkout-error': CheckoutErrorEvent;
  }
}
