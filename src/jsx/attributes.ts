/**
 * What JSX and other templates may write on the package's elements, framework-neutral: attributes by
 * their markup names and `on<event-name>` listener props. `crypto-checkout/jsx-react` and
 * `crypto-checkout/jsx-preact` build on these.
 * @module
 */
import type { CheckoutEventDetailMap, CheckoutTheme } from '../element/index.js';

/** Events that `<crypto-checkout>` fires (and that bubble out of the dialog and the button). */
export type CheckoutEventName =
  | 'checkout-status-change'
  | 'checkout-paid'
  | 'checkout-expired'
  | 'checkout-canceled'
  | 'checkout-error'
  | 'checkout-transaction-sent'
  | 'checkout-complete'
  | 'checkout-restart';

/** Events that only the modal elements, `<crypto-checkout-dialog>` and `<crypto-checkout-button>`, fire. */
export type ModalEventName = 'checkout-close-request' | 'checkout-close';

/**
 * Listener props named `on` + the event's name (`oncheckout-paid`), the form in which React 19 and
 * Preact add a listener to a custom element.
 */
export type EventListenerProps<K extends keyof CheckoutEventDetailMap> = {
  [P in K as `on${P}`]?: (event: CustomEvent<CheckoutEventDetailMap[P]>) => void;
};

/**
 * String attributes that `<crypto-checkout>`, `<crypto-checkout-dialog>` and `<crypto-checkout-button>`
 * share, under their HTML names (see the elements' properties). Their boolean attributes (`no-wallet`,
 * `open`, `disabled`) are typed by each framework's module, since React 18 writes `false` as "false".
 */
export interface CheckoutAttributes {
  /** The session's client secret (`cs_…_secret_…`) that your server got when it created the session. */
  session?: string;
  /** Base URL of the crypto-checkout backend, e.g. `https://pay.example.com`; empty means this page's origin. */
  api?: string;
  /** BCP 47 language tag of the texts and number formats, e.g. `es`; default: `lang`, then the browser's. */
  locale?: string;
  /** Color scheme: `light`, `dark`, or `auto` to follow `prefers-color-scheme`. */
  theme?: CheckoutTheme;
  /** WalletConnect (Reown) project id; overrides the backend's `walletconnect_project_id`. */
  'walletconnect-project-id'?: string;
}
