/**
 * Every event `<crypto-checkout>` fires, typed in one place. All of them bubble and cross shadow
 * boundaries (`composed`), and their names are `checkout-` prefixed kebab-case so that HTML-template
 * frameworks, which lower-case attribute-bound event names, can listen to them.
 * @module
 */
import type { BuyerSession, ErrorCode, SessionStatus } from '@crypto-checkout/protocol';
import type { WalletErrorCode } from './wallet/eip1193.js';

/** Error codes in `checkout-error`: the API's codes plus those the element detects itself. */
export type CheckoutErrorCode =
  | ErrorCode
  /** Paying from a wallet failed: `wallet_rejected`, `wallet_wrong_network`, … (see the README). */
  | WalletErrorCode
  /** The `session` attribute does not look like a client secret (`cs_…_secret_…`). */
  | 'invalid_client_secret'
  /** The backend could not be reached (offline, DNS, CORS, wrong `api`). */
  | 'network_error'
  /** The backend answered with something that is not the API's JSON. */
  | 'invalid_response'
  /** The lazily loaded payment view failed to load after retries; the element shows the essentials. */
  | 'extras_unavailable';

/** Detail of `checkout-status-change`. */
export interface CheckoutStatusChangeDetail {
  /** The session's new status. */
  status: SessionStatus;
  /** The status before the change, or `null` on the first load of a session. */
  previousStatus: SessionStatus | null;
  /** The session as the server sent it. */
  session: BuyerSession;
}

/** Detail of `checkout-paid`, `checkout-expired` and `checkout-canceled`. */
export interface CheckoutSessionDetail {
  /** The session as the server sent it. */
  session: BuyerSession;
}

/** Detail of `checkout-error`. */
export interface CheckoutErrorDetail {
  /** Machine-readable code, stable enough to switch on. */
  code: CheckoutErrorCode;
  /** Human-readable explanation, shown to the buyer too. */
  message: string;
}

/** Detail of `checkout-transaction-sent`. */
export interface CheckoutTransactionSentDetail {
  /** Hash of the transaction the buyer's wallet sent. */
  txHash: string;
  /** EIP-155 id of the chain it was sent on. */
  chainId: number;
  /** The wallet's name, e.g. `MetaMask`, `WalletConnect`. */
  wallet: string;
}

/**
 * Why a modal checkout is asked to close: the buyer pressed Escape (or another close request of the
 * platform, such as Android's back gesture), the buyer pressed the close button, or the page called
 * `requestClose()`.
 */
export type CheckoutCloseReason = 'escape' | 'close-button' | 'method';

/** Detail of `checkout-close-request`. */
export interface CheckoutCloseRequestDetail {
  /** What asked for the close. */
  reason: CheckoutCloseReason;
}

/** Detail of `checkout-close`: what the checkout last showed before it closed. */
export interface CheckoutCloseDetail {
  /** The last status the checkout received, or `null` when no session was loaded. */
  status: SessionStatus | null;
  /** The last session state the checkout received, or `null` when none was loaded. */
  session: BuyerSession | null;
}

/** Detail of `checkout-complete` and `checkout-restart`: the session and where its link leads. */
export interface CheckoutLinkDetail {
  /** The session as the server last sent it. */
  session: BuyerSession;
  /** The link the buyer followed: the session's `success_url` or `cancel_url`. */
  url: string;
}

/** Event names mapped to their detail types. */
export interface CheckoutEventDetailMap {
  'checkout-status-change': CheckoutStatusChangeDetail;
  'checkout-paid': CheckoutSessionDetail;
  'checkout-expired': CheckoutSessionDetail;
  'checkout-canceled': CheckoutSessionDetail;
  'checkout-error': CheckoutErrorDetail;
  'checkout-transaction-sent': CheckoutTransactionSentDetail;
  'checkout-close-request': CheckoutCloseRequestDetail;
  'checkout-close': CheckoutCloseDetail;
  'checkout-complete': CheckoutLinkDetail;
  'checkout-restart': CheckoutLinkDetail;
}

/** Fired on every server-driven status change, including the first load of a session. */
export type CheckoutStatusChangeEvent = CustomEvent<CheckoutStatusChangeDetail>;
/**
 * Fired once when the session is paid in full: `paid` (also within the underpayment tolerance) or
 * `overpaid`. Not for `paid_late`, which waits for the merchant's review. The server's webhook, not
 * this event, is proof of payment.
 */
export type CheckoutPaidEvent = CustomEvent<CheckoutSessionDetail>;
/**
 * Fired when the session becomes `expired`. The element keeps following it: a late payment may still
 * turn it into `paid_late` (a `checkout-status-change`).
 */
export type CheckoutExpiredEvent = CustomEvent<CheckoutSessionDetail>;
/** Fired once when the merchant cancels the session (`canceled`). */
export type CheckoutCanceledEvent = CustomEvent<CheckoutSessionDetail>;
/** Fired when loading the session or a buyer's action fails. */
export type CheckoutErrorEvent = CustomEvent<CheckoutErrorDetail>;
/**
 * Fired when the buyer's wallet has sent the payment. It is not paid yet: the server sees the transfer
 * on chain and the status changes follow.
 */
export type CheckoutTransactionSentEvent = CustomEvent<CheckoutTransactionSentDetail>;
/**
 * Fired, cancelable, before a modal checkout closes at the buyer's request (Escape, the close button)
 * or the page's (`requestClose()`). Call `preventDefault()` to keep it open, e.g. while a payment is
 * confirming. The backdrop never closes it: a buyer would lose the address in the middle of paying.
 */
export type CheckoutCloseRequestEvent = CustomEvent<CheckoutCloseRequestDetail>;
/**
 * Fired, cancelable, when the buyer presses "Return to merchant" on the receipt of a paid session
 * (the link to its `success_url`). Call `preventDefault()` to stay on the page and handle it yourself
 * (close a dialog, show your own confirmation); otherwise the browser follows the link.
 */
export type CheckoutCompleteEvent = CustomEvent<CheckoutLinkDetail>;
/**
 * Fired, cancelable, when the buyer presses "Start again" on an expired session (the link to its
 * `cancel_url`). Call `preventDefault()` to start a new session on the page instead of following it.
 */
export type CheckoutRestartEvent = CustomEvent<CheckoutLinkDetail>;
/** Fired after a modal checkout has closed, with the last status and session it received. */
export type CheckoutCloseEvent = CustomEvent<CheckoutCloseDetail>;

/** Version of the messages posted to a native app's webview bridge; see {@link postToNativeApp}. */
export const BRIDGE_MESSAGE_VERSION = 1;

/** A bridge object a native app puts into its webview. */
type Bridge = { postMessage?: (message: string) => void } | undefined;

/**
 * Posts an event to the native app when the element runs in its webview and the app installed a
 * bridge: React Native's `window.ReactNativeWebView`, iOS WKWebView's
 * `window.webkit.messageHandlers.cryptoCheckout`, or an Android `@JavascriptInterface` named
 * `CryptoCheckoutAndroid`. The message is a JSON string
 * `{"source":"crypto-checkout","version":1,"type":"<event name>","detail":{…}}`, `detail` being the
 * DOM event's detail. A failing bridge never breaks the checkout.
 * @example postToNativeApp('checkout-paid', { session });
 */
export function postToNativeApp(type: string, detail: unknown): void {
  if (typeof window === 'undefined') return;
  const w = window as unknown as {
    ReactNativeWebView?: Bridge;
    webkit?: { messageHandlers?: { cryptoCheckout?: Bridge } };
    CryptoCheckoutAndroid?: Bridge;
  };
  const bridges = [w.ReactNativeWebView, w.webkit?.messageHandlers?.cryptoCheckout, w.CryptoCheckoutAndroid];
  let message: string | undefined;
  for (const bridge of bridges) {
    if (typeof bridge?.postMessage !== 'function') continue;
    message ??= JSON.stringify({ source: 'crypto-checkout', version: BRIDGE_MESSAGE_VERSION, type, detail });
    try {
      bridge.postMessage(message);
    } catch {
      // The host's bridge is its business; the checkout goes on.
    }
  }
}

/**
 * Dispatches one of the element's events from `target`, bubbling and composed, and posts it to the
 * native app's webview bridge if there is one ({@link postToNativeApp}). With `{ cancelable: true }`
 * a listener may veto what the event announces: check `defaultPrevented` on the returned event.
 * @example emit(this, 'checkout-paid', { session });
 * @example if (emit(this, 'checkout-close-request', { reason }, { cancelable: true }).defaultPrevented) return;
 */
export function emit<K extends keyof CheckoutEventDetailMap>(
  target: EventTarget,
  name: K,
  detail: CheckoutEventDetailMap[K],
  options: { cancelable?: boolean } = {},
): CustomEvent<CheckoutEventDetailMap[K]> {
  const event = new CustomEvent(name, {
    detail,
    bubbles: true,
    composed: true,
    cancelable: options.cancelable ?? false,
  });
  target.dispatchEvent(event);
  postToNativeApp(name, detail);
  return event;
}
