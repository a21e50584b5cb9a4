import { LitElement, css, html } from 'lit';
import { property } from 'lit/decorators.js';
import { DIALOG_PARTS, type CheckoutDialog } from './checkout-dialog.js';
import { CheckoutOptions } from './checkout-options.js';
import { palette } from './crypto-checkout.styles.js';
import { LocaleController } from './i18n.js';

const styles = css`
  :host {
    display: inline-block;
  }
  :host([hidden]) {
    display: none;
  }
  [part~='button'] {
    box-sizing: border-box;
    /* 44 px: a finger's target (WCAG 2.5.5). */
    min-height: 2.75rem;
    padding: 0.625rem 1.125rem;
    font: 600 1rem/1.25 var(--checkout-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color: var(--_accent-fg);
    background: var(--_accent);
    border: 1px solid transparent;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
    cursor: pointer;
  }
  [part~='button']:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  [part~='button']:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
`;

/**
 * A button that opens the checkout in a modal dialog: the one-tag way to take crypto payments from a
 * page that has a "Pay" button rather than room for the checkout. It renders a `<button>` and its own
 * `<crypto-checkout-dialog>`; a click, Enter or Space opens the dialog, and focus comes back to the
 * button when it closes. Every event of the checkout and the dialog bubbles out of this element, so
 * `button.addEventListener('checkout-paid', …)` works. The checkout starts loading when the dialog
 * opens, not before.
 *
 * @summary A "Pay with crypto" button that opens the checkout in a modal dialog.
 * @tagname crypto-checkout-button
 * @attribute {string} lang - The global `lang` attribute: when `locale` is empty, the language of the texts (an ancestor's `lang`, the page's, then the browser's languages are the next candidates). A change re-renders in the new language.
 *
 * @slot - The button's text; "Pay with crypto" in the buyer's language when empty.
 *
 * @fires {CheckoutCloseRequestEvent} checkout-close-request - From the dialog: the buyer pressed Escape or the close button. Cancelable: `preventDefault()` keeps the dialog open. Detail: `{ reason }`.
 * @fires {CheckoutCloseEvent} checkout-close - From the dialog: it closed. Detail: `{ status, session }`.
 * @fires {CheckoutStatusChangeEvent} checkout-status-change - From the checkout (see `<crypto-checkout>`).
 * @fires {CheckoutPaidEvent} checkout-paid - From the checkout.
 * @fires {CheckoutExpiredEvent} checkout-expired - From the checkout.
 * @fires {CheckoutCanceledEvent} checkout-canceled - From the checkout.
 * @fires {CheckoutErrorEvent} checkout-error - From the checkout.
 * @fires {CheckoutTransactionSentEvent} checkout-transaction-sent - From the checkout.
 * @fires {CheckoutCompleteEvent} checkout-complete - From the checkout (cancelable).
 * @fires {CheckoutRestartEvent} checkout-restart - From the checkout (cancelable).
 *
 * @csspart button - The button.
 * @csspart dialog - The dialog's parts, re-exported under the same names as on `<crypto-checkout-dialog>`: `dialog`, `header`, `title`, `close-button`, `body`, `checkout`, and the checkout's parts prefixed with `checkout-`.
 *
 * @cssprop [--checkout-font=system-ui] - Font family.
 * @cssprop [--checkout-accent=#4f46e5] - The button's color (dark theme: #a5b4fc).
 * @cssprop [--checkout-accent-fg=#fff] - The button's text color (dark theme: #111827).
 * @cssprop [--checkout-radius=12px] - Corner radius (the button uses half).
 *
 * @example
 * ```html
 * <crypto-checkout-button session="cs_…_secret_…" api="https://pay.example.com"></crypto-checkout-button>
 * <crypto-checkout-button session="cs_…_secret_…">Pay 12 USDC</crypto-checkout-button>
 * ```
 */
export class CheckoutButton extends CheckoutOptions(LitElement) {
  static override styles = [palette, styles];

  /** @internal `button.focus()` focuses the inner `<button>`. */
  static override shadowRootOptions: ShadowRootInit = {
    ...LitElement.shadowRootOptions,
    delegatesFocus: true,
  };

  /** Disables the button; a dialog already open stays open. */
  @property({ type: Boolean, reflect: true }) disabled = false;

  private _i18n = new LocaleController(this);
  // Getters rather than lit's @query, which does the same lookup: its decorator module is ≈ 150 B of
  // the initial script's budget.
  private get _button() {
    return this.renderRoot?.querySelector('button') as HTMLButtonElement;
  }
  private get _dialog() {
    return this.renderRoot?.querySelector('crypto-checkout-dialog') as CheckoutDialog;
  }

  /** Opens the dialog, as a click on the button does. */
  show(): void {
    this._button.focus();
    this._dialog.show();
  }

  /** Closes the dialog at once, without a `checkout-close-request`. */
  close(): void {
    this._dialog.close();
  }

  override render() {
    const m = this._i18n.m.dialog;
    return html`<button
        part="button"
        type="button"
        lang=${this._i18n.locale.tag}
        ?disabled=${this.disabled}
        @click=${this.show}
      >
        <slot>${m.button}</slot></button
      ><crypto-checkout-dialog
        exportparts=${DIALOG_PARTS.join(', ')}
        session=${this.session}
        api=${this.api}
        locale=${this.locale}
        theme=${this.theme}
        walletconnect-project-id=${this.walletconnectProjectId}
        ?no-wallet=${this.noWallet}
      ></crypto-checkout-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'crypto-checkout-button': CheckoutButton;
  }
}
