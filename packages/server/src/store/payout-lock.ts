/**
 * The lock payouts take to check and reserve the available balance: one transaction at a time, on
 * every instance of a PostgreSQL database, so that two requests can never both spend one balance.
 * (Advisory locks are taken only from `store/`.)
 * @module
 */
import { lockForTransaction } from './advisory-locks.js';
import type { Queryable } from './database.js';

/**
 * Takes the payout reservation lock until `tx` ends. PGlite runs one transaction at a time anyway.
 * @example await payouts.transaction(async (tx) => { await lockPayoutReservations(tx); … });
 */
export async function lockPayoutReservations(tx: Queryable): Promise<void> {
  await lockForTransaction(tx, 'payouts');
}
