/**
 * JSX types of `<crypto-checkout>`, `<crypto-checkout-dialog>` and `<crypto-checkout-button>` for
 * Preact 10 and 11. A type-only module: import it once, with `import type`, anywhere in a project that
 * renders the elements:
 * @example
 * import type {} from 'crypto-checkout/jsx-preact';
 * import 'crypto-checkout';
 *
 * <crypto-checkout session={clientSecret} api="https://pay.example.com"
 *   oncheckout-paid={(e) => showThankYou(e.detail.session)} />
 *
 * Preact sets a prop as the element's property when the element has one and as an attribute
 * otherwise, and adds a listener for each `on<event-name>` prop (write the event's name in lower case,
 * as here). The package itself never imports this module, so a project without Preact is not affected.
 * @module
 */
import type * as preact from 'preact';
import type { CheckoutButton, CheckoutDialog, CryptoCheckout } from '../element/index.js';
import type {
  CheckoutAttributes,
  CheckoutEventName,
  EventListenerProps,
  ModalEventName,
} from './attributes.js';

/**
 * Preact's own props of an HTML element (`class`, `style`, `id`, `onClick`, …) with a ref to `Element`.
 * Taken from `div`, because Preact 11 moved `HTMLAttributes` out of the `JSX` namespace, where Preact
 * 10 has it.
 */
type HtmlProps<Element extends HTMLElement> = Omit<preact.JSX.IntrinsicElements['div'], 'ref'> & {
  ref?: preact.Ref<Element>;
};

/** Props of `<crypto-checkout>` in Preact's JSX. */
export type CryptoCheckoutPreactProps = HtmlProps<CryptoCheckout> &
  CheckoutAttributes &
  EventListenerProps<CheckoutEventName> & {
    /** Turns off paying from a wallet: no wallet panel, and the wallet code is never loaded. */
    'no-wallet'?: boolean;
  };

/** Props of `<crypto-checkout-dialog>` in Preact's JSX. */
export type CheckoutDialogPreactProps = HtmlProps<CheckoutDialog> &
  CheckoutAttributes &
  EventListenerProps<CheckoutEventName | ModalEventName> & {
    /** Turns off paying from a wallet in the checkout. */
    'no-wallet'?: boolean;
    /** Whether the dialog is open. */
    open?: boolean;
  };

/** Props of `<crypto-checkout-button>` in Preact's JSX. */
export type CheckoutButtonPreactProps = HtmlProps<CheckoutButton> &
  CheckoutAttributes &
  EventListenerProps<CheckoutEventName | ModalEventName> & {
    /** Turns off paying from a wallet in the checkout. */
    'no-wallet'?: boolean;
    /** Disables the button. */
    disabled?: boolean;
  };

declare module 'preact' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      /** The crypto payment checkout (`CryptoCheckout` in the `crypto-checkout` package). */
      'crypto-checkout': CryptoCheckoutPreactProps;
      /** The checkout in a modal dialog (`CheckoutDialog`). */
      'crypto-checkout-dialog': CheckoutDialogPreactProps;
      /** A button that opens the checkout in a modal dialog (`CheckoutButton`). */
      'crypto-checkout-button': CheckoutButtonPreactProps;
    }
  }
}
