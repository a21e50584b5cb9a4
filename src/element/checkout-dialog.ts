import { LitElement, css, html, nothing, svg, type PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import {
  emit,
  type CheckoutCloseDetail,
  type CheckoutCloseEvent,
  type CheckoutCloseReason,
  type CheckoutCloseRequestEvent,
} from './events.js';
import { LocaleController } from './i18n.js';
import { CheckoutOptions } from './checkout-options.js';
import { palette } from './crypto-checkout.styles.js';

/**
 * The parts of `<crypto-checkout>`, which the dialog re-exports with a `checkout-` prefix
 * (`::part(checkout-address)`), so that they do not clash with the dialog's own `header`. A part the
 * checkout gains must be added here too (test/element/modal.test.ts checks that none is missing).
 * @internal
 */
export const CHECKOUT_PARTS = [
  'base',
  'header',
  'amount',
  'order',
  'merchant',
  'merchant-logo',
  'status',
  'status-detail',
  'warning',
  'spinner',
  'error',
  'retry-button',
  'countdown',
  'methods',
  'method',
  'details',
  'network',
  'token',
  'amount-due',
  'address',
  'copy-button',
  'qr',
  'open-in-wallet',
  'wallet',
  'wallet-heading',
  'wallet-option',
  'wallet-icon',
  'wallet-status',
  'wallet-qr',
  'wallet-link',
  'pay-button',
  'wallet-transaction',
  'wallet-error',
  'wallet-retry',
  'wallet-cancel',
  'wallet-back',
  'wallet-or',
  'note',
  'confirmations',
  'transfers',
  'transfers-details',
  'transfer',
  'success-link',
  'due',
  'method-group',
  'method-amount',
  'token-mark',
  'network-mark',
  'change-method',
  'network-warning',
  'steps',
  'receipt',
  'receipt-transaction',
  'restart',
] as const;

/**
 * Every part a page can style on `<crypto-checkout-dialog>`: its own, and the checkout's prefixed.
 * @internal
 */
export const DIALOG_PARTS = [
  'dialog',
  'header',
  'title',
  'close-button',
  'body',
  'checkout',
  ...CHECKOUT_PARTS.map((name) => `checkout-${name}`),
];

const styles = css`
  :host {
    /* The dialog is in the top layer; the element itself takes no room in the page. */
    display: contents;
  }
  dialog {
    box-sizing: border-box;
    width: min(30rem, calc(100% - 2rem));
    max-width: 100%;
    max-height: calc(100% - 2rem);
    padding: 0;
    /* Taller than the screen (a small phone, a large font): the dialog scrolls, not the page. */
    overflow: auto;
    overscroll-behavior: contain;
    font: 400 1rem/1.45 var(--checkout-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--checkout-radius, 12px);
    box-shadow: 0 1.25rem 3rem rgb(0 0 0 / 0.25);
  }
  dialog:focus {
    /* Focus rests on the dialog itself only when it opens, for screen readers to read its name. */
    outline: none;
  }
  dialog::backdrop {
    background: var(--checkout-backdrop, rgb(17 24 39 / 0.6));
  }
  [part~='header'] {
    position: sticky;
    top: 0;
    z-index: 1;
    display: flex;
    gap: 0.75rem;
    align-items: center;
    justify-content: space-between;
    padding-block: 0.5rem;
    padding-inline: 1.25rem 0.5rem;
    background: var(--_bg);
    border-bottom: 1px solid var(--_border);
  }
  [part~='title'] {
    margin: 0;
    font-size: 1rem;
    font-weight: 600;
  }
  [part~='close-button'] {
    display: inline-grid;
    flex: none;
    place-items: center;
    /* 44 px: a finger's target (WCAG 2.5.5). */
    width: 2.75rem;
    height: 2.75rem;
    padding: 0;
    color: var(--_muted);
    background: transparent;
    border: 1px solid transparent;
    border-radius: calc(var(--checkout-radius, 12px) / 2);
    cursor: pointer;
  }
  [part~='close-button']:hover {
    color: var(--_fg);
    border-color: var(--_border);
  }
  [part~='close-button'] svg {
    width: 1.25rem;
    height: 1.25rem;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  /* The checkout is the dialog's content here, not a card of its own. */
  crypto-checkout {
    max-width: none;
    border: 0;
    border-radius: 0;
  }
  @media (prefers-reduced-motion: no-preference) {
    dialog[open] {
      animation: checkout-dialog-in 160ms ease-out;
    }
    dialog[open]::backdrop {
      animation: checkout-backdrop-in 160ms ease-out;
    }
  }
  @keyframes checkout-dialog-in {
    from {
      opacity: 0;
      transform: translateY(0.75rem);
    }
  }
  @keyframes checkout-backdrop-in {
    from {
      opacity: 0;
    }
  }
  /* Phones: a sheet as wide as the screen, from the bottom edge, up to its full height. */
  @media (max-width: 32rem) {
    dialog {
      width: 100%;
      max-height: 100%;
      margin-block-end: 0;
      border-inline: 0;
      border-bottom: 0;
      border-radius: var(--checkout-radius, 12px) var(--checkout-radius, 12px) 0 0;
    }
  }
`;

const closeIcon = svg`<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false">
  <path d="M5 5l10 10M15 5L5 15" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
</svg>`;

/** The open dialogs of this copy of the package, last opened last: only the top one handles keys. */
const openDialogs: CheckoutDialog[] = [];

/** The page's own inline `overflow` on `<html>`, kept while a dialog locks the page's scrolling. */
let pageOverflow: string | null = null;

/**
 * Stops the page behind from scrolling while a dialog is open (a wheel or a swipe over the backdrop
 * would scroll it otherwise), and gives the page its own setting back when the last dialog closes.
 */
function lockPageScroll(locked: boolean) {
  const style = document.documentElement.style;
  if (locked && pageOverflow === null) {
    pageOverflow = style.overflow;
    style.overflow = 'hidden';
  } else if (!locked && pageOverflow !== null) {
    style.overflow = pageOverflow;
    pageOverflow = null;
  }
}

/** The focused element, inside shadow roots too. */
function deepActiveElement(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** The children of `el` in the flat tree: its shadow root's, or a slot's assigned elements. */
function flatChildren(el: Element): Iterable<Element> {
  if (el.shadowRoot) return el.shadowRoot.children;
  if (el instanceof HTMLSlotElement) {
    const assigned = el.assignedElements({ flatten: true });
    if (assigned.length) return assigned;
  }
  return el.children;
}

/** Whether Tab stops at `el`: focusable in sequence, enabled and rendered. */
function isTabbable(el: Element): el is HTMLElement {
  return (
    el instanceof HTMLElement &&
    el.tabIndex >= 0 &&
    !el.matches(':disabled') &&
    // A host that delegates focus passes it to its first focusable child, which is visited anyway.
    !el.shadowRoot?.delegatesFocus &&
    // checkVisibility() is newer than <dialog> (Safari 17.4): without it, a rendered box will do.
    (typeof el.checkVisibility === 'function'
      ? el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true })
      : el.getClientRects().length > 0)
  );
}

/**
 * Tab stops inside `root` in flat-tree order, through open shadow roots (the checkout's controls are
 * in its shadow root, which the browser's own modal focus order does not always keep to), and how
 * many of them come before `active`.
 */
function tabStops(root: Element, active: Element | null): { stops: HTMLElement[]; before: number } {
  const stops: HTMLElement[] = [];
  let before = 0;
  const visit = (el: Element) => {
    if (el === active) before = stops.length;
    if (el instanceof HTMLElement && (el.inert || el.hidden)) return;
    if (isTabbable(el)) stops.push(el);
    for (const child of flatChildren(el)) visit(child);
  };
  for (const child of flatChildren(root)) visit(child);
  return { stops, before };
}

/**
 * `<crypto-checkout>` in a modal dialog, for a page that opens the checkout from its own button (or
 * use `<crypto-checkout-button>`, or `CryptoCheckout.open()`). The dialog is a native `<dialog>`
 * opened with `showModal()`: it is in the top layer and the page behind it is inert. Focus moves into
 * it when it opens, Tab and Shift+Tab stay inside it (the checkout's controls included), and it goes
 * back to where it was when the dialog closes. Escape and the close button ask to close with a
 * cancelable `checkout-close-request`; a click on the backdrop does nothing, so that a buyer does not
 * lose the address in the middle of paying. The checkout exists only while the dialog is open: closing
 * removes it, which stops its stream and timers. The checkout's events bubble out of this element.
 *
 * @summary A modal dialog with the checkout: focus kept inside, Escape and a close button to close.
 * @tagname crypto-checkout-dialog
 * @attribute {string} lang - The global `lang` attribute: when `locale` is empty, the language of the texts (an ancestor's `lang`, the page's, then the browser's languages are the next candidates). A change re-renders in the new language.
 *
 * @fires {CheckoutCloseRequestEvent} checkout-close-request - The buyer pressed Escape or the close button, or the page called `requestClose()`. Cancelable: `preventDefault()` keeps the dialog open. Detail: `{ reason }` (`escape`, `close-button`, `method`).
 * @fires {CheckoutCloseEvent} checkout-close - The dialog closed. Detail: `{ status, session }`, the last the checkout received (`null` when none).
 * @fires {CheckoutStatusChangeEvent} checkout-status-change - From the checkout inside (see `<crypto-checkout>`).
 * @fires {CheckoutPaidEvent} checkout-paid - From the checkout inside.
 * @fires {CheckoutExpiredEvent} checkout-expired - From the checkout inside.
 * @fires {CheckoutCanceledEvent} checkout-canceled - From the checkout inside.
 * @fires {CheckoutErrorEvent} checkout-error - From the checkout inside.
 * @fires {CheckoutTransactionSentEvent} checkout-transaction-sent - From the checkout inside.
 * @fires {CheckoutCompleteEvent} checkout-complete - From the checkout inside (cancelable).
 * @fires {CheckoutRestartEvent} checkout-restart - From the checkout inside (cancelable).
 *
 * @csspart dialog - The native `<dialog>` element (style its backdrop with `::part(dialog)::backdrop`).
 * @csspart header - The bar with the title and the close button; it stays in view while the dialog scrolls.
 * @csspart title - The dialog's heading, which is also its accessible name.
 * @csspart close-button - The close button.
 * @csspart body - The wrapper of the checkout.
 * @csspart checkout - The `<crypto-checkout>` element itself.
 * @csspart checkout-base - Every part of `<crypto-checkout>`, prefixed with `checkout-`: `checkout-base`, `checkout-address`, `checkout-copy-button`, and so on.
 *
 * @cssprop [--checkout-font=system-ui] - Font family.
 * @cssprop [--checkout-fg=#111827] - Text color (dark theme: #f3f4f6).
 * @cssprop [--checkout-bg=#fff] - Background color of the dialog (dark theme: #111827).
 * @cssprop [--checkout-muted=#6b7280] - Color of the close button's icon.
 * @cssprop [--checkout-border=#e5e7eb] - Color of the dialog's border and the header's rule.
 * @cssprop [--checkout-accent=#4f46e5] - Focus ring color.
 * @cssprop [--checkout-radius=12px] - Corner radius of the dialog.
 * @cssprop [--checkout-backdrop=rgb(17 24 39 / 0.6)] - The backdrop that dims the page.
 *
 * @example
 * ```html
 * <crypto-checkout-dialog id="pay" session="cs_…_secret_…" api="https://pay.example.com"></crypto-checkout-dialog>
 * <script type="module">
 *   const dialog = document.querySelector('#pay');
 *   document.querySelector('#buy').addEventListener('click', () => dialog.show());
 *   let status = null;
 *   dialog.addEventListener('checkout-status-change', (e) => (status = e.detail.status));
 *   // Keep it open while the payment is confirming.
 *   dialog.addEventListener('checkout-close-request', (e) => status === 'processing' && e.preventDefault());
 *   dialog.addEventListener('checkout-close', (e) => console.log(e.detail.status));
 * </script>
 * ```
 */
export class CheckoutDialog extends CheckoutOptions(LitElement) {
  static override styles = [palette, styles];

  /**
   * Whether the dialog is open, reflected to the `open` attribute. Setting it opens or closes the
   * dialog like `show()` and `close()`, without a `checkout-close-request`.
   */
  @property({ type: Boolean, reflect: true }) open = false;

  private _i18n = new LocaleController(this);
  /** The native dialog (a getter rather than lit's @query, whose module costs initial-script bytes). */
  private get _dialog() {
    return this.renderRoot?.querySelector('dialog') as HTMLDialogElement;
  }
  private _returnFocus: HTMLElement | null = null;
  private _last: CheckoutCloseDetail = { status: null, session: null };
  private _escapeHandled = false;

  constructor() {
    super();
    // The checkout's events cross its shadow root (composed): the last one says what to report on close.
    this.addEventListener('checkout-status-change', (e) => {
      this._last = { status: e.detail.status, session: e.detail.session };
    });
  }

  /** Opens the dialog as a modal and moves focus into it. */
  show(): void {
    this.open = true;
  }

  /** Closes the dialog at once, without asking (no `checkout-close-request`), and fires `checkout-close`. */
  close(): void {
    this.open = false;
  }

  /**
   * Asks to close the dialog: fires a cancelable `checkout-close-request` with `reason` and closes
   * unless a listener called `preventDefault()`. Returns whether the dialog closes.
   * @example if (!dialog.requestClose()) console.log('the page kept it open');
   */
  requestClose(reason: CheckoutCloseReason = 'method'): boolean {
    if (!this.open) return true;
    if (emit(this, 'checkout-close-request', { reason }, { cancelable: true }).defaultPrevented) return false;
    this.open = false;
    return true;
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    // Removed while open: the dialog has left the top layer with it; close properly (events, focus).
    if (this.open) this.open = false;
  }

  protected override willUpdate(changed: PropertyValues<this>) {
    if (changed.has('open') && this.open && !this._dialog?.open) {
      const active = deepActiveElement();
      this._returnFocus = active instanceof HTMLElement && active !== document.body ? active : null;
      this._last = { status: null, session: null };
    }
  }

  protected override updated(changed: PropertyValues<this>) {
    if (!changed.has('open')) return;
    if (this.open) this._opened();
    else if (changed.get('open')) this._closed();
  }

  override render() {
    const m = this._i18n.m.dialog;
    const { tag, dir } = this._i18n.locale;
    // The checkout is rendered only while open: removing it stops its stream and timers.
    return html`<dialog
      part="dialog"
      tabindex="-1"
      aria-labelledby="title"
      lang=${tag}
      dir=${dir}
      @keydown=${this._onKeydown}
      @cancel=${this._onCancel}
      @close=${this._onNativeClose}
    >
      <div part="header">
        <h2 part="title" id="title">${m.label}</h2>
        <button
          part="close-button"
          type="button"
          aria-label=${m.close}
          @click=${() => this.requestClose('close-button')}
        >
          ${closeIcon}
        </button>
      </div>
      <div part="body">
        ${
          this.open
            ? html`<crypto-checkout
                part="checkout"
                exportparts=${CHECKOUT_PARTS.map((name) => `${name}: checkout-${name}`).join(', ')}
                session=${this.session}
                api=${this.api}
                locale=${this.locale}
                theme=${this.theme}
                walletconnect-project-id=${this.walletconnectProjectId}
                ?no-wallet=${this.noWallet}
              ></crypto-checkout>`
            : nothing
        }
      </div>
    </dialog>`;
  }

  private _opened() {
    const dialog = this._dialog;
    if (dialog.open || !this.isConnected) return;
    dialog.showModal();
    openDialogs.push(this);
    lockPageScroll(true);
    // Keys pressed while focus is nowhere (on the body, after the focused control went away) are the
    // dialog's too: the dialog listens on the document as well as on itself.
    document.addEventListener('keydown', this._onKeydown);
    // The dialog itself first, so that a screen reader reads its name before the checkout's content.
    dialog.focus();
  }

  private _closed() {
    const dialog = this._dialog;
    const index = openDialogs.indexOf(this);
    // Never shown (opened while out of the document): nothing to close, nothing to report.
    if (index < 0) return;
    openDialogs.splice(index, 1);
    if (!openDialogs.length) lockPageScroll(false);
    document.removeEventListener('keydown', this._onKeydown);
    // Give focus back only when it is still ours (inside, or lost to the body when the checkout went),
    // not when the page has moved it elsewhere meanwhile.
    const active = deepActiveElement();
    const ours = !active || active === document.body || this._contains(active);
    if (dialog.open) dialog.close();
    const back = this._returnFocus;
    this._returnFocus = null;
    if (ours && back?.isConnected) back.focus();
    emit(this, 'checkout-close', { ...this._last });
  }

  /** Whether `node` is inside the dialog, shadow roots included. */
  private _contains(node: Node): boolean {
    for (let n: Node | null = node; n; n = n.parentNode ?? (n instanceof ShadowRoot ? n.host : null)) {
      if (n === this._dialog) return true;
    }
    return false;
  }

  private _onKeydown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || !this.open || openDialogs.at(-1) !== this) return;
    // Only keys from inside the dialog, or from nowhere: not those of another modal on top of it.
    const active = document.activeElement;
    if (!e.composedPath().includes(this._dialog) && active && active !== document.body) return;
    if (e.key === 'Escape' && !e.isComposing) {
      // Handled here rather than by the native `cancel` alone: without a user activation, Chrome's
      // close watcher may make `cancel` not cancelable, and the dialog would close despite a veto.
      // Preventing the keydown keeps the browser from closing it at all.
      e.preventDefault();
      this._escapeHandled = true;
      setTimeout(() => (this._escapeHandled = false));
      this.requestClose('escape');
    } else if (e.key === 'Tab' && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      this._moveFocus(e.shiftKey ? -1 : 1);
    }
  };

  /** Moves focus to the next (or previous) tab stop in the dialog, wrapping around at either end. */
  private _moveFocus(step: 1 | -1) {
    const active = deepActiveElement();
    const { stops, before } = tabStops(this._dialog, active);
    if (!stops.length) return this._dialog.focus();
    const at = stops.indexOf(active as HTMLElement);
    const next = at >= 0 ? at + step : step > 0 ? before : before - 1;
    stops[(next + stops.length) % stops.length]!.focus();
  }

  /** A close request the browser made itself (Escape not seen as a keydown, Android's back gesture). */
  private _onCancel(e: Event) {
    e.preventDefault();
    if (!this._escapeHandled) this.requestClose('escape');
  }

  /** The browser closed the dialog although it is to stay open (its close request was not cancelable). */
  private _onNativeClose() {
    if (!this.open || !this.isConnected || this._dialog.open) return;
    this._dialog.showModal();
    this._dialog.focus();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'crypto-checkout-dialog': CheckoutDialog;
  }
  interface GlobalEventHandlersEventMap {
    'checkout-close-request': CheckoutCloseRequestEvent;
    'checkout-close': CheckoutCloseEvent;
  }
}
