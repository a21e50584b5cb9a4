/**
 * The lock payouts take to check and reserve the available balance: one transaction at a time, on
 * every instance of a PostgreSQL database, so that two requests can never both spend one balance.
 * Also the payout key's signing lock of a chain. (Advisory locks are taken only from `store/`.)
 * @module
 */
import { lockForTransaction, tryLockForTransaction } from './advisory-locks.js';
import type { Queryable } from './database.js';

/**
 * Takes the payout reservation lock until `tx` ends. PGlite runs one transaction at a time anyway.
 * @example await payouts.transaction(async (tx) => { await lockPayoutReservations(tx); … });
 */
export async function lockPayoutReservations(tx: Queryable): Promise<void> {
  await lockForTransaction(tx, 'payouts');
}

/**
 * Tries to take the payout key's signing lock of a chain until `tx` ends: true when this instance
 * may give out the key's next nonces now, false when another is signing.
 * @example if (!(await tryLockPayoutKey(tx, chain.id))) return;
 */
export async function tryLockPayoutKey(tx: Queryable, chainId: number): Promise<boolean> {
  return tryLockForTransaction(tx, 'hot_payouts', chainId);
}
