/**
 * Two readings of a session that the element, its session controller and the lazily loaded
 * payment extras share: whether it still takes payment, and how far its confirmations are.
 * @module
 */
import type { BuyerSession } from '@crypto-checkout/protocol';

/**
 * Whether the buyer may still pay (address, QR, countdown): nothing, or not enough, received in time.
 * @example takesPayment(session) // true while `open` or `underpaid`
 */
export const takesPayment = (s: BuyerSession): boolean => s.status === 'open' || s.status === 'underpaid';

/**
 * Confirmations `[seen, needed]` of the least confirmed transfer that counts and is still confirming:
 * the one the session waits for.
 * @example const [seen, needed] = confirmationProgress(session); // [1, 3]
 */
export const confirmationProgress = (s: BuyerSession): [number, number] => {
  const pending = s.transfers.filter((t) => t.expected && !t.confirmed && !t.late);
  const needed = pending[0]?.confirmations_required ?? s.payment?.confirmations_required ?? 1;
  return [Math.min(needed, ...pending.map((t) => t.confirmations)), needed];
};
