/**
 * Package entry of the `<crypto-checkout>` element: importing it registers the element.
 * @example
 * import 'crypto-checkout';
 * // <crypto-checkout session="cs_…_secret_…" api="https://pay.example.com"></crypto-checkout>
 * @module
 */
import { CryptoCheckout } from './crypto-checkout.js';

export { CryptoCheckout, type CheckoutState } from './crypto-checkout.js';
export {
  ApiClient,
  CheckoutApiError,
  sessionIdFromClientSecret,
  type WatchSessionOptions,
} from './api-client.js';
export type * from './events.js';

// Tolerate being loaded twice (two bundles, a CDN copy and a bundled copy, HMR): the first definition
// wins instead of throwing "name has already been used". The guard on `customElements` keeps server
// rendering and Node imports from failing.
if (typeof customElements !== 'undefined' && !customElements.get('crypto-checkout')) {
  customElements.define('crypto-checkout', CryptoCheckout);
}
