/**
 * Opening the checkout in a modal dialog from code: `CryptoCheckout.open()`.
 * @module
 */
import type { BuyerSession } from '@crypto-checkout/protocol';
import type { CheckoutTheme } from './checkout-options.js';
import type {
  CheckoutCloseDetail,
  CheckoutCloseRequestEvent,
  CheckoutErrorDetail,
  CheckoutStatusChangeDetail,
} from './events.js';

/** Options of {@link openCheckout}. */
export interface OpenCheckoutOptions {
  /** The session's client secret (`cs_…_secret_…`) that your server got when it created the session. */
  session: string;
  /** Base URL of the crypto-checkout backend, e.g. `https://pay.example.com`; default: this page's origin. */
  api?: string;
  /** BCP 47 language tag, e.g. `es`; default: the page's `lang`, then the browser's languages. */
  locale?: string;
  /** Color scheme: `light` (default), `dark`, or `auto` to follow the buyer's system setting. */
  theme?: CheckoutTheme;
  /** WalletConnect (Reown) project id that offers WalletConnect to the buyer. */
  walletconnectProjectId?: string;
  /** Turns off paying from a wallet. */
  noWallet?: boolean;
  /** Called on every status change of the session, including its first load (`checkout-status-change`). */
  onStatusChange?: (detail: CheckoutStatusChangeDetail) => void;
  /**
   * Called once when the session is paid in full (`checkout-paid`). Fulfil orders from the server's
   * webhook, not from this callback: the browser is the buyer's.
   */
  onPaid?: (session: BuyerSession) => void;
  /** Called when loading the session or a buyer's action fails (`checkout-error`). */
  onError?: (detail: CheckoutErrorDetail) => void;
  /**
   * Called when the buyer asks to close the dialog (Escape, the close button); call
   * `event.preventDefault()` to keep it open, e.g. while the payment is confirming.
   */
  onCloseRequest?: (event: CheckoutCloseRequestEvent) => void;
  /** Closes the dialog when aborted (without asking `onCloseRequest`); the promise resolves as usual. */
  signal?: AbortSignal;
}

/**
 * How the checkout ended when its dialog closed: the last status and session state it received, or
 * `null` for both when no session was loaded (or the signal was aborted before it opened). The server's
 * webhook, not this result, is proof of payment.
 */
export type CheckoutResult = CheckoutCloseDetail;

/**
 * Opens the checkout of a session in a modal dialog (a `<crypto-checkout-dialog>` appended to
 * `document.body`) and resolves when the buyer closes it, with the last status seen. The dialog is
 * removed from the page afterwards. Needs the package's elements to be registered, which importing the
 * package does.
 * @example
 * import { CryptoCheckout } from 'crypto-checkout';
 *
 * let current = null;
 * const { status } = await CryptoCheckout.open({
 *   session: clientSecret,
 *   api: 'https://pay.example.com',
 *   onStatusChange: (detail) => (current = detail.status),
 *   onPaid: () => showThankYou(),
 *   // Keep the dialog open while the payment is confirming.
 *   onCloseRequest: (event) => current === 'processing' && event.preventDefault(),
 * });
 * if (status === 'paid' || status === 'overpaid') location.assign('/orders/42');
 * @example
 * // Close it from code, e.g. when the order is paid by another tab.
 * const controller = new AbortController();
 * const result = openCheckout({ session: clientSecret, signal: controller.signal });
 * controller.abort();
 */
export function openCheckout(options: OpenCheckoutOptions): Promise<CheckoutResult> {
  const { signal } = options;
  if (signal?.aborted) return Promise.resolve({ status: null, session: null });
  if (!customElements.get('crypto-checkout-dialog')) {
    return Promise.reject(
      new Error(
        'openCheckout: <crypto-checkout-dialog> is not registered. Import the package entry ' +
          "(import 'crypto-checkout') rather than a single module of it.",
      ),
    );
  }
  const dialog = document.createElement('crypto-checkout-dialog');
  dialog.session = options.session;
  dialog.api = options.api ?? '';
  dialog.locale = options.locale ?? '';
  dialog.theme = options.theme ?? 'light';
  dialog.walletconnectProjectId = options.walletconnectProjectId ?? '';
  dialog.noWallet = options.noWallet ?? false;
  const { onStatusChange, onPaid, onError, onCloseRequest } = options;
  if (onStatusChange) dialog.addEventListener('checkout-status-change', (e) => onStatusChange(e.detail));
  if (onPaid) dialog.addEventListener('checkout-paid', (e) => onPaid(e.detail.session));
  if (onError) dialog.addEventListener('checkout-error', (e) => onError(e.detail));
  if (onCloseRequest) dialog.addEventListener('checkout-close-request', onCloseRequest);
  const abort = () => dialog.close();
  return new Promise<CheckoutResult>((resolve) => {
    dialog.addEventListener(
      'checkout-close',
      (e) => {
        signal?.removeEventListener('abort', abort);
        dialog.remove();
        resolve(e.detail);
      },
      { once: true },
    );
    signal?.addEventListener('abort', abort, { once: true });
    document.body.append(dialog);
    dialog.show();
  });
}
