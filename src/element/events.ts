/**
 * Every event `<crypto-checkout>` fires, typed in one place. All of them bubble and cross shadow
 * boundaries (`composed`), and their names are `checkout-` prefixed kebab-case so that HTML-template
 * frameworks, which lower-case attribute-bound event names, can listen to them.
 * @module
 */
import type { BuyerSession, ErrorCode, SessionStatus } from '../protocol/index.js';

/** Error codes in `checkout-error`: the API's codes plus those the element detects itself. */
export type CheckoutErrorCode =
  | ErrorCode
  /** The `session` attribute does not look like a client secret (`cs_…_secret_…`). */
  | 'invalid_client_secret'
  /** The backend could not be reached (offline, DNS, CORS, wrong `api`). */
  | 'network_error'
  /** The backend answered with something that is not the API's JSON. */
  | 'invalid_response';

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

/** Event names mapped to their detail types. */
export interface CheckoutEventDetailMap {
  'checkout-status-change': CheckoutStatusChangeDetail;
  'checkout-paid': CheckoutSessionDetail;
  'checkout-expired': CheckoutSessionDetail;
  'checkout-canceled': CheckoutSessionDetail;
  'checkout-error': CheckoutErrorDetail;
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
 * Dispatches one of the element's events from `target`, bubbling and composed.
 * @example emit(this, 'checkout-paid', { session });
 */
export function emit<K extends keyof CheckoutEventDetailMap>(
  target: EventTarget,
  name: K,
  detail: CheckoutEventDetailMap[K],
): CustomEvent<CheckoutEventDetailMap[K]> {
  const event = new CustomEvent(name, { detail, bubbles: true, composed: true });
  target.dispatchEvent(event);
  return event;
}
