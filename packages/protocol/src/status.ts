import { z } from 'zod';
import { REVIEW_REASONS, SESSION_STATUSES } from './statuses.js';

/**
 * Every state a checkout session can be in. One vocabulary, used unchanged by the API, the SSE stream
 * and webhook event types (`session.<status>`) and the element's reflected `status` attribute.
 *
 * | status       | meaning                                                                              | terminal |
 * |--------------|--------------------------------------------------------------------------------------|----------|
 * | `open`       | waiting for the buyer; nothing received yet                                          | no       |
 * | `processing` | a transfer sent in time is collecting confirmations (x/N in `transfers`)             | no       |
 * | `underpaid`  | confirmed transfers add up to less than due; the buyer may top up until expiry       | no       |
 * | `paid`       | paid in full (within the underpayment tolerance) and confirmed; fulfil the order     | yes      |
 * | `overpaid`   | paid more than due and confirmed; fulfil, the excess is `amount_overpaid` (refund)   | yes      |
 * | `paid_late`  | paid in full, but only after expiry (within the monitoring window); review it        | yes      |
 * | `expired`    | expired unpaid; with `amount_received` > 0 it was partly paid: review and refund     | no\*     |
 * | `canceled`   | canceled by the merchant before anything was seen; money seen later is flagged       | yes      |
 *
 * \* An expired session's address stays watched for the monitoring window (default 24 h): a payment
 * that completes it then moves it to `paid_late`. Transfers that arrive after a terminal status are
 * still recorded (a second payment turns `paid` into `overpaid`) and listed in `review_reasons`.
 */
export const sessionStatusSchema = z.enum(SESSION_STATUSES);

/**
 * Why a session needs a person to look at it. Listed in `review_reasons`; empty when nothing is odd.
 *
 * | reason              | what happened                                                                 |
 * |---------------------|-------------------------------------------------------------------------------|
 * | `partial_payment`   | the session expired after receiving less than due: refund or accept the part |
 * | `late_payment`      | a transfer of the chosen token arrived after expiry or cancellation          |
 * | `overpayment`       | more than due was received: `amount_overpaid` is to be refunded               |
 * | `unexpected_asset`  | another token, the native coin or another network was sent to the address    |
 * | `canceled_with_payment` | a canceled session received a transfer, whenever it was sent: refund or settle |
 * | `paid_to_abandoned_address` | a transfer reached the address of a method the buyer went back from: it does not count; refund or accept it |
 *
 * A canceled or expired session that received anything always has a reason: `canceled_with_payment`
 * on every canceled one with a transfer; on an expired one `partial_payment` (confirmed units),
 * `late_payment` (a transfer after expiry) or `unexpected_asset`. Each new reason is announced by a
 * `session.needs_review` webhook.
 */
export const reviewReasonSchema = z.enum(REVIEW_REASONS);
