/**
 * React components for the package's elements, for React 18 and 19: `crypto-checkout/react` —
 * {@link CryptoCheckout}, {@link CryptoCheckoutButton} and {@link CryptoCheckoutDialog}. Built with
 * `@lit/react`, so that props are set as the element's properties and its events arrive in typed `on…`
 * callbacks, in every React version. Importing this module registers the elements: it imports
 * `crypto-checkout` itself, which a bundler resolves to the same module as your own
 * `import 'crypto-checkout'`, so each element is defined once.
 *
 * Server rendering (`react-dom/server`, Next.js, Remix): the component renders the element's tag with
 * its attributes (`session`, `api`, `locale`, `theme`, `walletconnect-project-id`, `no-wallet`), so
 * that the checkout starts loading as soon as its script runs, before hydration. The element's shadow
 * DOM is drawn in the browser. The module begins with `'use client'` for React Server Components.
 * @example
 * import { CryptoCheckout } from 'crypto-checkout/react';
 *
 * <CryptoCheckout
 *   session={clientSecret}
 *   api="https://pay.example.com"
 *   onStatusChange={(e) => console.log(e.detail.previousStatus, '→', e.detail.status)}
 *   onPaid={() => router.push('/thanks')} // fulfil on your server, from the webhook
 * />
 * @module
 */
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import {
  CheckoutButton as CheckoutButtonElement,
  CheckoutDialog as CheckoutDialogElement,
  CryptoCheckout as CryptoCheckoutElement,
  type CheckoutCanceledEvent,
  type CheckoutCompleteEvent,
  type CheckoutCloseEvent,
  type CheckoutCloseRequestEvent,
  type CheckoutErrorEvent,
  type CheckoutEventDetailMap,
  type CheckoutExpiredEvent,
  type CheckoutPaidEvent,
  type CheckoutRestartEvent,
  type CheckoutStatusChangeEvent,
  type CheckoutTransactionSentEvent,
} from '../element/index.js';

export { CheckoutButtonElement, CheckoutDialogElement, CryptoCheckoutElement };
export type * from '../element/events.js';

/** The events of `<crypto-checkout>` as callbacks of {@link CryptoCheckout}. */
export interface CryptoCheckoutEventProps {
  /** `checkout-status-change`: every status change, including the first load of a session. */
  onStatusChange?: (event: CheckoutStatusChangeEvent) => void;
  /** `checkout-paid`: paid in full (`paid` or `overpaid`). Not proof of payment: the webhook is. */
  onPaid?: (event: CheckoutPaidEvent) => void;
  /** `checkout-expired`: the session expired; it may still become `paid_late`. */
  onExpired?: (event: CheckoutExpiredEvent) => void;
  /** `checkout-canceled`: the merchant canceled the session. */
  onCanceled?: (event: CheckoutCanceledEvent) => void;
  /** `checkout-error`: loading the session or a buyer's action failed (`{ code, message }`). */
  onError?: (event: CheckoutErrorEvent) => void;
  /** `checkout-transaction-sent`: the buyer's wallet sent the payment (not yet confirmed). */
  onTransactionSent?: (event: CheckoutTransactionSentEvent) => void;
  /** `checkout-complete` (cancelable): "Return to merchant" on the receipt (`{ session, url }`). */
  onComplete?: (event: CheckoutCompleteEvent) => void;
  /** `checkout-restart` (cancelable): "Start again" on an expired session (`{ session, url }`). */
  onRestart?: (event: CheckoutRestartEvent) => void;
}

/** The settable properties of `<crypto-checkout>`, which the modal elements share. */
type SharedProps = 'session' | 'api' | 'locale' | 'theme' | 'walletconnectProjectId' | 'noWallet';

/** Props of {@link CryptoCheckout}: the element's settable properties, its events, any HTML attribute. */
export interface CryptoCheckoutProps
  extends
    Omit<React.HTMLAttributes<CryptoCheckoutElement>, keyof CryptoCheckoutEventProps>,
    Partial<Pick<CryptoCheckoutElement, SharedProps>>,
    CryptoCheckoutEventProps {}

/** A React component that renders one of the package's elements; `ref` is the element. */
export type ElementComponent<Props, Element extends HTMLElement> = React.ForwardRefExoticComponent<
  React.PropsWithoutRef<Props> & React.RefAttributes<Element>
>;

const checkoutEvents = {
  onStatusChange: 'checkout-status-change',
  onPaid: 'checkout-paid',
  onExpired: 'checkout-expired',
  onCanceled: 'checkout-canceled',
  onError: 'checkout-error',
  onTransactionSent: 'checkout-transaction-sent',
  onComplete: 'checkout-complete',
  onRestart: 'checkout-restart',
} satisfies Record<keyof CryptoCheckoutEventProps, keyof CheckoutEventDetailMap>;

/**
 * The `<crypto-checkout>` element as a React component. Its props are the element's properties
 * (`session`, `api`, `locale`, `theme`, `walletconnectProjectId`, `noWallet`), any HTML attribute, and
 * a callback for each of its events: `onStatusChange`, `onPaid`, `onExpired`, `onCanceled`, `onError`,
 * `onTransactionSent`, `onComplete`, `onRestart`. A new `session` switches the checkout to that session; unmounting it closes its
 * connection to the backend.
 * @example <CryptoCheckout session={clientSecret} api={apiUrl} onPaid={(e) => done(e.detail.session)} />
 */
export const CryptoCheckout: ElementComponent<CryptoCheckoutProps, CryptoCheckoutElement> = wrap(
  'crypto-checkout',
  CryptoCheckoutElement,
  checkoutEvents,
);

/** The events of the modal elements as callbacks: the checkout's, and the dialog's own. */
export interface CheckoutModalEventProps extends CryptoCheckoutEventProps {
  /**
   * `checkout-close-request`: the buyer pressed Escape or the close button; `event.preventDefault()`
   * keeps the dialog open.
   */
  onCloseRequest?: (event: CheckoutCloseRequestEvent) => void;
  /** `checkout-close`: the dialog closed, with the last status and session the checkout received. */
  onClose?: (event: CheckoutCloseEvent) => void;
}

/** Props of {@link CryptoCheckoutButton}. */
export interface CryptoCheckoutButtonProps
  extends
    Omit<React.HTMLAttributes<CheckoutButtonElement>, keyof CheckoutModalEventProps>,
    Partial<Pick<CheckoutButtonElement, SharedProps | 'disabled'>>,
    CheckoutModalEventProps {}

/** Props of {@link CryptoCheckoutDialog}. */
export interface CryptoCheckoutDialogProps
  extends
    Omit<React.HTMLAttributes<CheckoutDialogElement>, keyof CheckoutModalEventProps>,
    Partial<Pick<CheckoutDialogElement, SharedProps | 'open'>>,
    CheckoutModalEventProps {}

const modalEvents = {
  ...checkoutEvents,
  onCloseRequest: 'checkout-close-request',
  onClose: 'checkout-close',
} satisfies Record<keyof CheckoutModalEventProps, keyof CheckoutEventDetailMap>;

/**
 * `<crypto-checkout-button>` as a React component: a "Pay with crypto" button that opens the checkout
 * in a modal dialog. Children are the button's text. Props as {@link CryptoCheckout}'s, plus `disabled`,
 * `onCloseRequest` (call `event.preventDefault()` to keep the dialog open) and `onClose`.
 * @example <CryptoCheckoutButton session={clientSecret} onClose={(e) => e.detail.status === 'paid' && done()}>Pay</CryptoCheckoutButton>
 */
export const CryptoCheckoutButton: ElementComponent<CryptoCheckoutButtonProps, CheckoutButtonElement> = wrap(
  'crypto-checkout-button',
  CheckoutButtonElement,
  modalEvents,
);

/**
 * `<crypto-checkout-dialog>` as a React component: the checkout in a modal dialog, shown while `open`
 * is true. Keep `open` in your state and set it to false in `onClose`.
 * @example <CryptoCheckoutDialog open={open} session={clientSecret} onClose={() => setOpen(false)} />
 */
export const CryptoCheckoutDialog: ElementComponent<CryptoCheckoutDialogProps, CheckoutDialogElement> = wrap(
  'crypto-checkout-dialog',
  CheckoutDialogElement,
  modalEvents,
);

/** A Lit element class, as far as {@link wrap} reads it. */
type LitElementClass<Element extends HTMLElement> = (new () => Element) & {
  elementProperties: Map<PropertyKey, { attribute?: boolean | string; type?: unknown }>;
};

/**
 * `createComponent` in the browser; in server rendering, a component that renders the tag with the
 * element's attributes, which `@lit/react` leaves out there (it sets properties in an effect).
 */
function wrap<Props, Element extends HTMLElement>(
  tagName: string,
  elementClass: LitElementClass<Element>,
  events: Record<string, string>,
): ElementComponent<Props, Element> {
  const displayName = elementClass.name;
  if (typeof window !== 'undefined') {
    return createComponent({
      react: React,
      tagName,
      elementClass,
      events: events as Record<string, EventName>,
      displayName,
    }) as unknown as ElementComponent<Props, Element>;
  }
  const server = React.forwardRef<Element, Record<string, unknown>>((props, _ref) =>
    React.createElement(tagName, serverAttributes(props, elementClass, events)),
  );
  server.displayName = displayName;
  return server as unknown as ElementComponent<Props, Element>;
}

/**
 * The props of a server-rendered element as attributes: each property under its attribute's name
 * (`walletconnectProjectId` → `walletconnect-project-id`), booleans present or absent, `className` as
 * `class`; callbacks and properties without an attribute are left out.
 */
function serverAttributes(
  props: Record<string, unknown>,
  elementClass: LitElementClass<HTMLElement>,
  events: Record<string, string>,
): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    if (key in events || typeof value === 'function' || value === undefined || value === null) continue;
    const declaration = elementClass.elementProperties.get(key);
    if (!declaration) {
      attributes[key === 'className' ? 'class' : key] = value;
      continue;
    }
    if (declaration.attribute === false) continue;
    const name = typeof declaration.attribute === 'string' ? declaration.attribute : key.toLowerCase();
    if (declaration.type === Boolean) {
      if (value) attributes[name] = '';
    } else if (typeof value === 'string' || typeof value === 'number') {
      attributes[name] = String(value);
    }
  }
  return attributes;
}
