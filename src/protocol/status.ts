import { z } from 'zod';

/**
 * Every state a checkout session can be in. One vocabulary, used unchanged by the API, the SSE stream
 * (`session.<status>` event types) and the element's reflected `status` attribute.
 *
 * | status       | meaning                                                                   | terminal |
 * |--------------|---------------------------------------------------------------------------|----------|
 * | `open`       | waiting for the buyer; nothing received yet                               | no       |
 * | `processing` | a transfer was seen on chain and is collecting confirmations (x/N)        | no       |
 * | `underpaid`  | confirmed transfers add up to less than due; the buyer may top up         | no       |
 * | `paid`       | confirmed transfers add up to at least the amount due                     | yes      |
 * | `expired`    | the session expired before it was paid (check `amount_received`)          | yes      |
 */
export const sessionStatusSchema = z.enum(['open', 'processing', 'underpaid', 'paid', 'expired']);

/** A checkout session's status. See {@link sessionStatusSchema} for the table of meanings. */
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

/** Statuses after which a session never changes again and its event stream closes. */
export const TERMINAL_STATUSES: readonly SessionStatus[] = ['paid', 'expired'];

/**
 * Whether a session in this status will never change again.
 * @example isTerminalStatus('paid') // true
 */
export function isTerminalStatus(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
