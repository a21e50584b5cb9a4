/**
 * The lock of the TRON treasury watch's bookkeeping: one pass at a time, on every instance of a
 * PostgreSQL database, so that a transfer is booked once. (Advisory locks are taken only from `store/`.)
 * @module
 */
import { lockForTransaction } from './advisory-locks.js';
import type { Queryable } from './database.js';

/**
 * Takes the TRON treasury lock until `tx` ends (waiting for it).
 * @example await db.transaction(async (tx) => { await lockTronTreasury(tx); … });
 */
export async function lockTronTreasury(tx: Queryable): Promise<void> {
  await lockForTransaction(tx, 'tron_treasury');
}
