/**
 * JSX types of `<crypto-checkout>`, `<crypto-checkout-dialog>` and `<crypto-checkout-button>` for
 * React 18 and 19 (`@types/react` ≥ 18.2.7, whose `React.JSX` namespace both the automatic and the
 * classic JSX runtime read). A type-only module: import it once, with `import type`, anywhere in a
 * project that renders the elements directly:
 * @example
 * import type {} from 'crypto-checkout/jsx-react';
 * import 'crypto-checkout';
 *
 * <crypto-checkout session={clientSecret} api="https://pay.example.com" theme="dark"
 *   oncheckout-paid={(e) => showThankYou(e.detail.session)} />
 *
 * React 19 sets the elements' properties and adds a listener for each `on<event-name>` prop. React 18
 * sets everything as attributes and cannot add listeners from props: with `@types/react` 18 the
 * `on…` props are typed `never`; listen through a ref, or use the `crypto-checkout/react` components,
 * which work in both versions. The package itself never imports this module, so a project without
 * React is not affected by it.
 * @module
 */
import type * as React from 'react';
import type { CheckoutButton, CheckoutDialog, CryptoCheckout } from '../element/index.js';
import type {
  CheckoutAttributes,
  CheckoutEventName,
  EventListenerProps,
  ModalEventName,
} from './attributes.js';

/**
 * Whether the installed `@types/react` are React 19's, which alone declare `use`: React 19 adds
 * listeners for `on<event-name>` props of custom elements and removes a `false` boolean attribute;
 * React 18 does neither (it writes `no-wallet="false"`, which the element reads as present).
 */
type IsReact19 = 'use' extends keyof typeof React ? true : false;

/** A boolean attribute: `true` only in React 18, which would write `false` as the text "false". */
type BooleanAttribute = IsReact19 extends true ? boolean : true;

/** Listener props for events `K` in React 19; `never` in React 18, which cannot add them. */
type Listeners<K extends CheckoutEventName | ModalEventName> = IsReact19 extends true
  ? EventListenerProps<K>
  : { [P in keyof EventListenerProps<K>]?: never };

/** Props that React's JSX takes on every HTML element, with a ref to `Element`. */
type HtmlProps<Element extends HTMLElement> = React.DetailedHTMLProps<
  React.HTMLAttributes<Element>,
  Element
> & {
  /** HTML's `class`, which React passes on to custom elements unchanged. */
  class?: string;
};

/** Props of `<crypto-checkout>` in React's JSX. */
export type CryptoCheckoutJsxProps = HtmlProps<CryptoCheckout> &
  CheckoutAttributes &
  Listeners<CheckoutEventName> & {
    /** Turns off paying from a wallet. React 18: `no-wallet={off || undefined}`. */
    'no-wallet'?: BooleanAttribute;
  };

/** Props of `<crypto-checkout-dialog>` in React's JSX. */
export type CheckoutDialogJsxProps = HtmlProps<CheckoutDialog> &
  CheckoutAttributes &
  Listeners<CheckoutEventName | ModalEventName> & {
    /** Turns off paying from a wallet in the checkout. */
    'no-wallet'?: BooleanAttribute;
    /** Whether the dialog is open. */
    open?: BooleanAttribute;
  };

/** Props of `<crypto-checkout-button>` in React's JSX. */
export type CheckoutButtonJsxProps = HtmlProps<CheckoutButton> &
  CheckoutAttributes &
  Listeners<CheckoutEventName | ModalEventName> & {
    /** Turns off paying from a wallet in the checkout. */
    'no-wallet'?: BooleanAttribute;
    /** Disables the button. */
    disabled?: BooleanAttribute;
  };

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      /** The crypto payment checkout (`CryptoCheckout` in the `crypto-checkout` package). */
      'crypto-checkout': CryptoCheckoutJsxProps;
      /** The checkout in a modal dialog (`CheckoutDialog`). */
      'crypto-checkout-dialog': CheckoutDialogJsxProps;
      /** A button that opens the checkout in a modal dialog (`CheckoutButton`). */
      'crypto-checkout-button': CheckoutButtonJsxProps;
    }
  }
}
