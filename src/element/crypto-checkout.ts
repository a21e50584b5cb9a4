/**
 * `<crypto-checkout>`: the element, which renders its session and dispatches the buyer's actions. Its
 * session controller (session-controller.ts) loads and follows the session; the wallet panel is a
 * lazily loaded chunk (wallet-loader.ts, wallet/).
 * @module
 */
import { LitElement, html, nothing, svg } from 'lit';
import { property, state } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { BuyerSession, PaymentInstructions, SessionStatus } from '@crypto-checkout/protocol';
import type { CheckoutApiError } from './api-client.js';
import { CheckoutOptions } from './checkout-options.js';
import { palette, styles } from './crypto-checkout.styles.js';
import type {
  CheckoutCanceledEvent,
  CheckoutCompleteEvent,
  CheckoutErrorEvent,
  CheckoutExpiredEvent,
  CheckoutPaidEvent,
  CheckoutRestartEvent,
  CheckoutStatusChangeEvent,
  CheckoutTransactionSentEvent,
} from './events.js';
import {
  formatAmount,
  formatCountdown,
  formatFiat,
  formatTime,
  isPositive,
  shortHash,
  trimAmount,
} from './format.js';
import { emit } from './events.js';
import { httpUrl } from './http-url.js';
import { LocaleController } from './i18n.js';
import type { Messages } from './messages.js';
import { openCheckout, type CheckoutResult, type OpenCheckoutOptions } from './open-checkout.js';
import type { ExtrasContext } from './payment-extras.js';
import {
  SessionController,
  confirmationProgress,
  takesPayment,
  type PaymentExtras,
} from './session-controller.js';
import { WalletLoader } from './wallet-loader.js';

/**
 * Where the element is in its own life, as opposed to the session's `status`: `idle` without a
 * `session`, `loading` until the first answer, `ready` once a session is shown, `error` when loading
 * failed (a retry button is shown).
 */
export type CheckoutState = 'idle' | 'loading' | 'ready' | 'error';

/**
 * A crypto payment checkout for one session of a crypto-checkout backend. Give it the session's client
 * secret; it loads the amount and methods, lets the buyer choose a method, shows the deposit address,
 * amount and QR code, and follows the payment live (server-sent events, polling as a fallback) until
 * the buyer's part is over: paid, overpaid, paid late or canceled. An expired session is still
 * followed (without a countdown), because a late payment may complete it. Partial payments, the amount
 * still due, overpayments and tokens sent that this checkout does not accept are all shown as text.
 * It takes no amount or address from the page: everything comes from the server.
 *
 * @summary Embeddable checkout: amount, method choice, address, QR, countdown and live status.
 * @tagname crypto-checkout
 * @attribute {string} lang - The global `lang` attribute: when `locale` is empty, the language of the texts (an ancestor's `lang`, the page's, then the browser's languages are the next candidates). A change re-renders in the new language.
 *
 * @fires {CheckoutStatusChangeEvent} checkout-status-change - The session's status changed (also on the first load of a session). Detail: `{ status, previousStatus, session }`.
 * @fires {CheckoutPaidEvent} checkout-paid - The session was paid in full (`paid`, or `overpaid`). Detail: `{ session }`. Fulfil orders from the server's webhook, not from this event.
 * @fires {CheckoutExpiredEvent} checkout-expired - The session expired; it may still become `paid_late`. Detail: `{ session }`.
 * @fires {CheckoutCanceledEvent} checkout-canceled - The merchant canceled the session. Detail: `{ session }`.
 * @fires {CheckoutErrorEvent} checkout-error - Loading the session or a buyer's action failed. Detail: `{ code, message }`.
 * @fires {CheckoutCompleteEvent} checkout-complete - Cancelable: the buyer pressed "Return to merchant" on the receipt. Detail: `{ session, url }`; `preventDefault()` keeps the page from following `success_url`.
 * @fires {CheckoutRestartEvent} checkout-restart - Cancelable: the buyer pressed "Start again" on an expired session. Detail: `{ session, url }`; `preventDefault()` keeps the page from following `cancel_url`.
 * @fires {CheckoutTransactionSentEvent} checkout-transaction-sent - The buyer's wallet sent the payment; the status changes follow once the server sees it on chain. Detail: `{ txHash, chainId, wallet }`.
 *
 * @csspart base - The wrapper of everything inside.
 * @csspart header - The merchant, the price and order reference.
 * @csspart merchant - The merchant's name (and logo) at the top, when the backend is configured with them.
 * @csspart merchant-logo - The merchant's logo image.
 * @csspart amount - The price in fiat currency.
 * @csspart order - The merchant's order reference.
 * @csspart status - The live status line (an `aria-live="polite"` region).
 * @csspart status-detail - The second sentence of the status line: what is still due, the excess received, what to do about money sent to an expired or canceled session.
 * @csspart warning - A warning that a token or network this checkout does not accept was sent to its address.
 * @csspart spinner - The loading indicator.
 * @csspart error - Error messages.
 * @csspart retry-button - The button that retries loading after an error.
 * @csspart countdown - The time left until the session expires.
 * @csspart methods - The group of payment method buttons (arrow keys move between them).
 * @csspart method-group - The methods of one token, when there are many methods.
 * @csspart method - One payment method button.
 * @csspart method-amount - The amount a method would cost at the current rate, when the server quotes it.
 * @csspart token-mark - A token's round mark (its initial on its color).
 * @csspart network-mark - A network's square mark.
 * @csspart due - The amount to send, its token and network (with the change-method button).
 * @csspart amount-due - The exact token amount to send (without trailing zeros).
 * @csspart token - The token symbol.
 * @csspart network - The network name.
 * @csspart change-method - The button that goes back to the choice of methods while nothing was received.
 * @csspart qr - The QR code of the EIP-681 payment request.
 * @csspart address - The deposit address, in groups of four characters that never break.
 * @csspart copy-button - The copy buttons beside the amount and the address.
 * @csspart network-warning - Which network to send on (the same address exists on other networks).
 * @csspart details - The disclosure with the token contract, rate, confirmations and fee notes.
 * @csspart open-in-wallet - The "Open in wallet app" link (the EIP-681 or BIP21 URI), shown on touch screens.
 * @csspart wallet - The "pay from a wallet" panel.
 * @csspart wallet-heading - The panel's heading, with the amount.
 * @csspart wallet-option - One wallet to pay with (injected wallets by name and icon, WalletConnect).
 * @csspart wallet-icon - A wallet's icon.
 * @csspart wallet-status - What the wallet flow waits for, or that the transaction was sent.
 * @csspart wallet-qr - The WalletConnect pairing QR code.
 * @csspart wallet-link - A link that opens the wallet app (WalletConnect pairing, confirming a request).
 * @csspart pay-button - The button that sends the payment from the connected wallet.
 * @csspart wallet-transaction - The sent transaction's hash (a link when the network has an explorer).
 * @csspart wallet-error - What went wrong in the wallet, in words.
 * @csspart wallet-retry - The button that tries the wallet again.
 * @csspart wallet-cancel - The button that stops waiting for the wallet.
 * @csspart wallet-back - The button that goes back to the choice of wallets.
 * @csspart wallet-or - The line between the wallet panel and the manual instructions.
 * @csspart note - Hints for the buyer (network fee, which token and network to send).
 * @csspart confirmations - The confirmations progress bar while processing.
 * @csspart transfers - The list of transfers seen, those that do not count included.
 * @csspart transfers-details - Once paid: the closed disclosure ("Transfers (2)") around that list, shown when there is more than the receipt's transaction.
 * @csspart transfer - One transfer (a link when its network has a block explorer).
 * @csspart steps - The progress from sent to confirming to paid (the current step has `aria-current`).
 * @csspart receipt - What was paid, when, in which transaction, for which order.
 * @csspart receipt-transaction - The receipt's transaction hash (a link when the network has an explorer).
 * @csspart success-link - The "Return to merchant" link after payment (fires `checkout-complete`).
 * @csspart restart - The "Start again" link of an expired session (fires `checkout-restart`).
 *
 * @cssprop [--checkout-font=system-ui] - Font family of the element.
 * @cssprop [--checkout-fg=#111827] - Text color (dark scheme: #f3f4f6). Set on the element, a color applies to both schemes; scope it, e.g. `crypto-checkout[theme=dark] { … }`, to change one.
 * @cssprop [--checkout-bg=#fff] - Background color (dark: #111827).
 * @cssprop [--checkout-muted=#6b7280] - Color of secondary text (dark: #9ca3af).
 * @cssprop [--checkout-border=#e5e7eb] - Border color of the card and buttons (dark: #374151).
 * @cssprop [--checkout-accent=#4f46e5] - Accent color: primary buttons, links, focus ring (dark: #a5b4fc).
 * @cssprop [--checkout-accent-fg=#fff] - Text color on the accent color (dark: #111827).
 * @cssprop [--checkout-success=#047857] - Status color when paid or overpaid (dark: #34d399).
 * @cssprop [--checkout-warning=#b45309] - Status color when underpaid or paid late, and of warnings (dark: #fbbf24).
 * @cssprop [--checkout-danger=#b91c1c] - Color of error messages (dark: #f87171).
 * @cssprop [--checkout-radius=12px] - Corner radius of the card (buttons use half).
 * @cssprop [--checkout-mono=ui-monospace] - Font family of the amount and address.
 * @cssprop [--checkout-qr-size=min(12.5rem, 46vw)] - Width of the QR code.
 */
export class CryptoCheckout extends CheckoutOptions(LitElement) {
  static override styles = [palette, styles];

  /**
   * Opens the checkout of a session in a modal dialog and resolves when the buyer closes it, with the
   * last status seen; see {@link openCheckout}. With the classic script: `CryptoCheckout.open({…})`.
   * @example
   * const { status } = await CryptoCheckout.open({ session: clientSecret, api: 'https://pay.example.com' });
   */
  static open(options: OpenCheckoutOptions): Promise<CheckoutResult> {
    return openCheckout(options);
  }

  /**
   * The session's status as the server reports it (`open`, `processing`, `underpaid`, `paid`,
   * `overpaid`, `paid_late`, `expired`, `canceled`), reflected to the `status` attribute for styling,
   * e.g. `crypto-checkout[status="paid_late"]`. Unset while loading or after an error; see `state`
   * for those. Read-only: the element sets it.
   */
  @property({ reflect: true }) status?: SessionStatus;

  /** The element's own state (`idle`, `loading`, `ready`, `error`), reflected for styling. Read-only. */
  @property({ reflect: true }) state: CheckoutState = 'idle';

  /** Which button's text was just copied (`amount`, `address`), for two seconds; `''` otherwise. */
  @state() private _copied = '';
  /** Index of the method button in the tab order (roving focus). */
  @state() private _focus = 0;
  private _copyTimer?: ReturnType<typeof setTimeout>;
  private _i18n = new LocaleController(this);
  /** The session: loading, following, countdown, method choice. Added after the language controller. */
  private _session = new SessionController(this);
  /** Paying from a wallet, once there is a payment on screen and unless `no-wallet`. */
  private _wallet = new WalletLoader(this, () => {
    const s = this._session.view.session;
    // Browser wallets pay EVM chains only; elsewhere the QR code, the URI link and copy buttons do.
    return this.noWallet || s?.payment?.family !== 'evm' || !takesPayment(s)
      ? null
      : {
          session: s,
          payment: s.payment,
          projectId: this.walletconnectProjectId || s.walletconnect_project_id || '',
        };
  });

  /** The messages in the buyer's language (English until another language has loaded). */
  private get m(): Messages {
    return this._i18n.m;
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this._copyTimer);
    this._copied = '';
  }

  override render() {
    const { tag, dir } = this._i18n.locale;
    if (!this._i18n.messages) {
      // The buyer's language is on its way (one small chunk): a spinner, rather than English first.
      return html`<div part="base" aria-busy="true" lang=${tag} dir=${dir}>
        <p part="status" role="status" aria-live="polite"><span part="spinner" aria-hidden="true"></span></p>
      </div>`;
    }
    const { session: s, state: current, notice, offline } = this._session.view;
    const loading = current === 'loading';
    const [headline, detail] = this._statusLines(s);
    // The header is a <div>: a <header> would be a banner landmark, one per checkout on the page.
    return html`<div part="base" aria-busy=${loading ? 'true' : 'false'} lang=${tag} dir=${dir}>
      ${
        s
          ? html`<div part="header">
              <div>
                ${this._renderMerchant(s)}
                <p part="amount">${formatFiat(s.amount, s.currency, tag)}</p>
                ${s.order_id ? html`<p part="order">${this.m.order(s.order_id)}</p>` : nothing}
              </div>
              ${this._renderCountdown(s)}
            </div>`
          : nothing
      }
      <p part="status" role="status" aria-live="polite">
        ${loading ? html`<span part="spinner" aria-hidden="true"></span>` : nothing}${headline}${
          detail ? html` <span part="status-detail">${detail}</span>` : nothing
        }
      </p>
      ${current === 'error' ? html`<button part="retry-button" @click=${this._retry}>${this.m.retry}</button>` : nothing}
      ${notice ? html`<p part="error" role="alert">${notice}</p>` : nothing}
      ${offline ? html`<p part="error">${this.m.offline}</p>` : nothing}
      ${s ? this._renderSession(s) : nothing}
    </div>`;
  }

  /**
   * The status line, for the live region: a headline for the status and, where the buyer needs to know
   * more (what is still due, what to do about money sent), a detail.
   */
  private _statusLines(s: BuyerSession | null): [string, string?] {
    const { state: current, error } = this._session.view;
    if (current === 'loading') return [this.m.loading];
    if (error) return [buyerMessage(this.m, error)];
    const p = s?.payment;
    const token = p?.token ?? '';
    const received = s?.amount_received ?? '0';
    const a = (amount: string) => formatAmount(amount, this._i18n.locale.tag);
    switch (s?.status) {
      case 'open':
        return [p ? this.m.waiting : this.m.choose];
      case 'processing':
        return [this.m.confirming(...confirmationProgress(s))];
      case 'underpaid':
        return [
          this.m.underpaid(a(received), a(s.amount_remaining ?? ''), token),
          this.m.sendRemainder(a(s.amount_remaining ?? ''), token),
        ];
      case 'paid':
        return [this.m.paid];
      case 'overpaid':
        return [
          this.m.paid,
          isPositive(s.amount_overpaid) ? this.m.overpaid(a(s.amount_overpaid!), token) : undefined,
        ];
      case 'paid_late':
        return [this.m.paidLate];
      case 'expired':
        return [
          this.m.expired,
          p && isPositive(received)
            ? this.m.expiredPartly(a(received), a(p.amount_due), token)
            : this.m.expiredUnpaid,
        ];
      case 'canceled':
        return [
          this.m.canceled,
          isPositive(received) ? this.m.canceledButSent(a(received), token) : undefined,
        ];
    }
    return [''];
  }

  /** Who the buyer pays, from the server's configuration: the logo (http(s) only) and the name. */
  private _renderMerchant(s: BuyerSession) {
    // Optional chaining: a backend older than the element sends no `merchant`.
    const name = s.merchant?.name;
    const logo = httpUrl(s.merchant?.logo_url);
    if (!name && !logo) return nothing;
    // The logo's alt text is empty beside the name (it would be read twice), the name alone without it.
    return html`<p part="merchant">
      ${
        logo
          ? html`<img
              part="merchant-logo"
              src=${logo}
              alt=${name ? '' : 'logo'}
              referrerpolicy="no-referrer"
            />`
          : nothing
      }${name ?? nothing}
    </p>`;
  }

  /** The time left, at the header's end while the session takes payment. */
  private _renderCountdown(s: BuyerSession) {
    if (!takesPayment(s)) return nothing;
    const left = Date.parse(s.expires_at) - this._session.view.now;
    const { tag } = this._i18n.locale;
    return html`<p part="countdown" role="timer">
      ${left > 0 ? this.m.expiresIn(formatCountdown(left, tag), formatTime(s.expires_at, tag)) : this.m.timeUp}
    </p>`;
  }

  /** The lazily loaded renderers (payment-extras.ts) and what they need, or `null` until loaded. */
  private _extras(): [PaymentExtras, ExtrasContext] | [null, null] {
    const x = this._session.view.extras;
    if (!x) return [null, null];
    x.adoptExtrasStyles(this);
    const explorer = httpUrl(this._session.view.session?.payment?.explorer_url)?.replace(/\/+$/, '') ?? null;
    const { tag, dir } = this._i18n.locale;
    return [x, { m: this.m, tag, rtl: dir === 'rtl', explorer, html, svg, nothing, format: FORMAT }];
  }

  private _renderSession(s: BuyerSession) {
    const p = s.payment;
    const paid = s.status === 'paid' || s.status === 'overpaid';
    const [x, c] = this._extras();
    return html`
      ${!p && s.status === 'open' ? this._renderMethods(s) : nothing}
      ${s.transfers.map((t) =>
        t.expected
          ? nothing
          : html`<p part="warning" role="alert">
              ${this.m.unexpectedAsset(formatAmount(t.amount, this._i18n.locale.tag), t.token, t.network)}
            </p>`,
      )}
      ${p && takesPayment(s) ? this._renderPayment(s, p) : nothing}
      ${p && x && (s.status === 'processing' || paid) ? x.renderSteps(c, s) : nothing}
      ${
        p && s.status === 'processing'
          ? html`<progress
              part="confirmations"
              aria-label=${this.m.confirmations}
              max=${confirmationProgress(s)[1]}
              .value=${confirmationProgress(s)[0]}
            ></progress>`
          : nothing
      }
      ${p && x && paid ? x.renderReceipt(c, s, p) : nothing}
      ${p && x && s.transfers.length ? x.renderTransfers(c, s, p) : nothing}
      ${paid ? this._renderLink('success-link', s.success_url, this.m.returnToMerchant, s) : nothing}
      ${s.status === 'expired' ? this._renderLink('restart', s.cancel_url, this.m.startAgain, s) : nothing}
    `;
  }

  /**
   * The methods (drawn by the lazily loaded payment extras, fetched with the session; a spinner until
   * then): one tab stop, the arrow keys move between them.
   */
  private _renderMethods(s: BuyerSession) {
    const [x, c] = this._extras();
    if (!x) {
      const { extrasFailed, choosing } = this._session.view;
      return extrasFailed
        ? html`${this._renderExtrasFailed()}
            <div part="methods" role="group" aria-label=${this.m.methodGroup}>
              ${s.methods.map(
                (method) =>
                  html`<button
                    part="method"
                    data-method=${method.id}
                    ?disabled=${!!choosing}
                    @click=${() => void this._session.choose(method.id)}
                  >
                    ${method.token} ${this.m.methodOn(method.network)}
                  </button>`,
              )}
            </div>`
        : html`<p><span part="spinner" aria-hidden="true"></span></p>`;
    }
    return x.renderMethods(c, s, {
      choosing: this._session.view.choosing,
      focus: this._focus,
      choose: (id) => void this._session.choose(id),
      setFocus: (index) => (this._focus = index),
    });
  }

  /**
   * The payment: drawn by the lazily loaded payment extras (fetched while the session loaded, so
   * normally there before a method is chosen); a spinner in the meantime.
   */
  private _renderPayment(s: BuyerSession, p: PaymentInstructions) {
    const [x, c] = this._extras();
    if (!x) {
      if (!this._session.view.extrasFailed)
        return html`<p><span part="spinner" aria-hidden="true"></span></p>`;
      // Without the chunk: what the buyer needs to pay, as plain text, the QR code (its encoder is a
      // chunk of its own, which may have loaded) and the way back to the methods.
      const amount = trimAmount(
        s.status === 'underpaid' && s.amount_remaining ? s.amount_remaining : p.amount_due,
      );
      const back = this._changeMethod(s);
      return html`${this._renderExtrasFailed()}
        <p part="due">
          <code part="amount-due" dir="ltr">${amount}</code> <span part="token">${p.token}</span>
          ${this._copyButton('amount', amount)}
        </p>
        <p>
          <span part="network">${p.network}</span>
          ${
            back
              ? html`<button part="change-method" ?disabled=${this._session.view.changing} @click=${back}>
                  ${this.m.changeMethod}
                </button>`
              : nothing
          }
        </p>
        ${this._qr(s, p, amount)}
        <p><code part="address" dir="ltr">${p.address}</code> ${this._copyButton('address', p.address)}</p>
        <p part="network-warning">${this.m.sendOnlyOn(p.token, p.network)}</p>`;
    }
    return x.renderPayment(c, s, p, {
      qr: this._qr(s, p, '', true),
      copy: (what, text) => this._copyButton(what, text),
      wallet: this._wallet.render(),
      changeMethod: this._changeMethod(s),
      changing: this._session.view.changing,
    });
  }

  /**
   * The QR code of the session's `pay_uri` once drawn: its SVG alone (`bare`, for the payment extras,
   * which frame it) or in its `qr` part with the accessible name; `nothing` while it draws.
   */
  private _qr(s: BuyerSession, p: PaymentInstructions, amount: string, bare = false) {
    const { qr } = this._session.view;
    if (!qr || qr.uri !== s.pay_uri) return nothing;
    const code = unsafeHTML(qr.svg);
    return bare
      ? code
      : html`<div
          part="qr"
          role="img"
          aria-label=${this.m.qr(formatAmount(amount, this._i18n.locale.tag), p.token, p.network, p.address)}
        >
          ${code}
        </div>`;
  }

  /** Goes back to the methods, while the session allows it and there is another method; else `null`. */
  private _changeMethod(s: BuyerSession) {
    const canChange = (s as BuyerSession & { can_change_method?: boolean }).can_change_method === true;
    return canChange && s.methods.length > 1 ? () => void this._session.changeMethod() : null;
  }

  /** The notice that the full payment view did not load, with the action that loads it again. */
  private _renderExtrasFailed() {
    return html`<p part="error" role="alert">${this.m.extrasFailed}</p>
      <button part="retry-button" @click=${() => this._session.retryExtras()}>${this.m.retry}</button>`;
  }

  /**
   * The way out after paying (`success-link`, to the session's `success_url`, firing
   * `checkout-complete`) or after expiry (`restart`, to its `cancel_url`, firing `checkout-restart`).
   * Both events are cancelable: a page that handles them itself (closes a dialog, starts a new
   * session) calls `preventDefault()` and the link is not followed.
   */
  private _renderLink(which: 'success-link' | 'restart', url: string | null, label: string, s: BuyerSession) {
    // The URLs are validated by the server; checking the scheme again keeps javascript: URLs out.
    const href = httpUrl(url);
    if (!href) return nothing;
    const onClick = (e: MouseEvent) => {
      const name = which === 'success-link' ? 'checkout-complete' : 'checkout-restart';
      if (emit(this, name, { session: s, url: href }, { cancelable: true }).defaultPrevented)
        e.preventDefault();
    };
    return html`<p><a part=${which} href=${href} @click=${onClick}>${label}</a></p>`;
  }

  private _copyButton(what: keyof Messages['copyLabel'], text: string) {
    const copied = this._copied === what;
    // The name says what is copied ("Copy address"), in the language's own word order.
    return html`<button
      part="copy-button"
      aria-label=${copied ? this.m.copied : this.m.copyLabel[what]}
      @click=${() => this._copy(what, text)}
    >
      ${copied ? this.m.copied : this.m.copy}
    </button>`;
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
    this._session.retry();
  }
}

/** The helpers the lazily loaded payment extras format with (they import none themselves). */
const FORMAT: ExtrasContext['format'] = {
  confirmationProgress,
  formatAmount,
  formatFiat,
  formatTime,
  shortHash,
  trimAmount,
};

/** What the buyer reads for an error: the server's messages are written for developers. */
const buyerMessage = (m: Messages, e: Pick<CheckoutApiError, 'code' | 'message'>): string =>
  e.code === 'unauthorized' ||
  e.code === 'forbidden' ||
  e.code === 'not_found' ||
  e.code === 'invalid_client_secret'
    ? m.notFound
    : e.code === 'network_error'
      ? m.unreachable
      : m.failed(e.message);

declare global {
  interface HTMLElementTagNameMap {
    'crypto-checkout': CryptoCheckout;
  }
  interface GlobalEventHandlersEventMap {
    'checkout-status-change': CheckoutStatusChangeEvent;
    'checkout-paid': CheckoutPaidEvent;
    'checkout-expired': CheckoutExpiredEvent;
    'checkout-canceled': CheckoutCanceledEvent;
    'checkout-error': CheckoutErrorEvent;
    'checkout-transaction-sent': CheckoutTransactionSentEvent;
    'checkout-complete': CheckoutCompleteEvent;
    'checkout-restart': CheckoutRestartEvent;
  }
}
