/**
 * The status vocabulary and the shape of ids as plain constants, without zod, so that browser code
 * (the element) can import the real lists and patterns instead of copying them. `status.ts` and
 * `session.ts` build the zod schemas from these.
 * @module
 */

/** Every status a session can have, in lifecycle order. See `sessionStatusSchema` for meanings. */
export const SESSION_STATUSES = [
  'open',
  'processing',
  'underpaid',
  'paid',
  'overpaid',
  'paid_late',
  'expired',
  'canceled',
] as const;

/** A checkout session's status. */
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/**
 * Statuses in which the buyer's part is over: the order is fulfilled (`paid`, `overpaid`), waits for
 * review (`paid_late`) or was canceled. The event stream closes on them.
 */
export const TERMINAL_STATUSES: readonly SessionStatus[] = ['paid', 'overpaid', 'paid_late', 'canceled'];

/** Statuses in which the merchant should fulfil the order without further review. */
export const FULFILLED_STATUSES: readonly SessionStatus[] = ['paid', 'overpaid'];

/**
 * Whether the buyer's part of a session in this status is over (its event stream closes). Not
 * `expired`: a late payment may still turn it into `paid_late`.
 * @example isTerminalStatus('paid') // true
 */
export function isTerminalStatus(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Whether nothing about a session can change any more for the buyer: a terminal status, or
 * `expired` once its address is no longer watched (`watch_until` passed, or no address was ever
 * given). The server ends the event stream then; clients can stop listening.
 * @example isSessionSettled({ status: 'expired', watch_until: null }, new Date()) // true
 */
export function isSessionSettled(
  session: { status: SessionStatus; watch_until: string | null },
  now: Date,
): boolean {
  if (isTerminalStatus(session.status)) return true;
  return (
    session.status === 'expired' &&
    (session.watch_until === null || now.getTime() >= Date.parse(session.watch_until))
  );
}

/** Why a session needs review. See `reviewReasonSchema` for meanings. */
export const REVIEW_REASONS = [
  'partial_payment',
  'late_payment',
  'overpayment',
  'unexpected_asset',
  'canceled_with_payment',
  'paid_to_abandoned_address',
] as const;

/** Why a session needs review. */
export type ReviewReason = (typeof REVIEW_REASONS)[number];

/** What every session id starts with: `cs_…`. */
export const SESSION_ID_PREFIX = 'cs_';

/**
 * What joins a session id and the random part of its client secret: `<session id>_secret_<random>`.
 * Together with {@link SESSION_ID_PREFIX} the one place the format is spelled: the server makes
 * client secrets with it and every package reads them with {@link sessionIdFromClientSecret}.
 */
export const CLIENT_SECRET_SEPARATOR = '_secret_';

/**
 * A session id, unanchored, for building other patterns: `cs_` and 1–64 letters or digits. The one
 * definition of the shape; {@link SESSION_ID_PATTERN} is the whole-string test.
 */
export const SESSION_ID_SOURCE = `${SESSION_ID_PREFIX}[A-Za-z0-9]{1,64}`;

/**
 * Whether a whole string is a session id (`cs_…`). Anything else cannot name a session, so the server
 * answers 404 for it without asking the database.
 * @example SESSION_ID_PATTERN.test('cs_4eC39HqLyjWDarjtT1zdp7dc') // true
 */
export const SESSION_ID_PATTERN = new RegExp(`^${SESSION_ID_SOURCE}$`);

const CLIENT_SECRET_PATTERN = new RegExp(`^(${SESSION_ID_SOURCE})${CLIENT_SECRET_SEPARATOR}[A-Za-z0-9]+$`);

/**
 * Extracts the session id from a client secret (`<session id>_secret_<random>`), or `null` if it
 * does not have that shape.
 * @example sessionIdFromClientSecret('cs_abc_secret_xyz') // 'cs_abc'
 */
export function sessionIdFromClientSecret(clientSecret: string): string | null {
  const match = CLIENT_SECRET_PATTERN.exec(clientSecret);
  return match ? match[1]! : null;
}
