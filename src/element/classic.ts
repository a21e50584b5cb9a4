/**
 * Entry of the classic-script build, `dist/crypto-checkout.classic.js` (vite.classic.config.ts), for
 * pages that cannot use `<script type="module">` (a CMS, a tag manager's snippet): one `<script src>`
 * registers the elements and sets `window.CryptoCheckout`. The ES module build stays the recommended
 * one: it fetches the QR encoder, the wallet code and each language only when a checkout needs them.
 *
 * Loading the package more than once is harmless: the first definition of each element wins (see
 * defineElement, which warns on the console when the copies are different versions), and a second
 * classic copy leaves the first one's `window.CryptoCheckout` in place.
 *
 * This module exports no values, on purpose: an IIFE assigns its exports to a global, which would
 * replace the first copy's.
 * @example
 * <script src="https://pay.example.com/crypto-checkout/crypto-checkout.classic.js"></script>
 * <crypto-checkout session="cs_…_secret_…" api="https://pay.example.com"></crypto-checkout>
 * <script>
 *   CryptoCheckout.open({ session: 'cs_…_secret_…', api: 'https://pay.example.com' });
 * </script>
 * @module
 */
import {
  ApiClient,
  CheckoutApiError,
  CheckoutButton,
  CheckoutDialog,
  CryptoCheckout,
  openCheckout,
  sessionIdFromClientSecret,
  VERSION,
} from './index.js';

/** What `window.CryptoCheckout` holds: the package's API, for pages without modules. */
export interface CryptoCheckoutGlobal {
  /** Version of the copy that set `window.CryptoCheckout` (the first one loaded). */
  readonly VERSION: string;
  /**
   * Opens the checkout of a session in a modal dialog and resolves when the buyer closes it (see
   * `openCheckout` in the ES module).
   * @example CryptoCheckout.open({ session: clientSecret, api: 'https://pay.example.com' });
   */
  readonly open: typeof openCheckout;
  /** The `<crypto-checkout>` element class of that copy. */
  readonly CryptoCheckout: typeof CryptoCheckout;
  /** The `<crypto-checkout-dialog>` element class of that copy. */
  readonly CheckoutDialog: typeof CheckoutDialog;
  /** The `<crypto-checkout-button>` element class of that copy. */
  readonly CheckoutButton: typeof CheckoutButton;
  /** Client of the buyer's side of the API (see the ES module's export of the same name). */
  readonly ApiClient: typeof ApiClient;
  /** Error of a failed API call. */
  readonly CheckoutApiError: typeof CheckoutApiError;
  /** The session id of a client secret (`cs_…_secret_…` → `cs_…`). */
  readonly sessionIdFromClientSecret: typeof sessionIdFromClientSecret;
}

declare global {
  interface Window {
    /** Set by `crypto-checkout.classic.js` (the first copy loaded); absent with the ES module build. */
    CryptoCheckout?: CryptoCheckoutGlobal;
  }
}

const api: CryptoCheckoutGlobal = Object.freeze({
  VERSION,
  open: openCheckout,
  CryptoCheckout,
  CheckoutDialog,
  CheckoutButton,
  ApiClient,
  CheckoutApiError,
  sessionIdFromClientSecret,
});

// A second copy (the snippet pasted twice, two tags in a tag manager) keeps the first one's API: code
// of the page may hold on to it already, and the elements in use are the first definition's anyway.
if (!window.CryptoCheckout) window.CryptoCheckout = api;
