/**
 * Package entry of the `<crypto-checkout>` element: importing it registers the element.
 * @example
 * import 'crypto-checkout';
 * // <crypto-checkout session="cs_…_secret_…" api="https://pay.example.com"></crypto-checkout>
 * @module
 */
import { CheckoutButton } from './checkout-button.js';
import { CheckoutDialog } from './checkout-dialog.js';
import { CryptoCheckout } from './crypto-checkout.js';
import { defineElement } from './define.js';

export { CryptoCheckout, type CheckoutState } from './crypto-checkout.js';
export { CheckoutDialog } from './checkout-dialog.js';
export type { CheckoutTheme } from './checkout-options.js';
export { CheckoutButton } from './checkout-button.js';
export { openCheckout, type OpenCheckoutOptions, type CheckoutResult } from './open-checkout.js';
export {
  ApiClient,
  CheckoutApiError,
  sessionIdFromClientSecret,
  type WatchSessionOptions,
} from './api-client.js';
export type * from './events.js';
export { VERSION } from './version.js';

// Registration tolerates being loaded twice (two bundles, a CDN copy and a bundled copy, HMR): see
// defineElement.
defineElement('crypto-checkout', CryptoCheckout);
defineElement('crypto-checkout-dialog', CheckoutDialog);
defineElement('crypto-checkout-button', CheckoutButton);
