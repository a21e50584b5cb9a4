/**
 * The lock of a Bitcoin-like chain's treasury bookkeeping: the sweep watch booking what it saw and
 * an export taking a treasury address and reserving coins take turns per chain, on every instance of
 * a PostgreSQL database. (Advisory locks are taken only from `store/`.)
 * @module
 */
import { lockForTransactionKey } from './advisory-locks.js';
import type { Queryable } from './database.js';

/**
 * Takes the treasury lock of the chain `chainId` until `tx` ends (waiting for it).
 * @example await db.transaction(async (tx) => { await lockUtxoTreasury(tx, chain.id); … });
 */
export async function lockUtxoTreasury(tx: Queryable, chainId: number): Promise<void> {
  await lockForTransactionKey(tx, 'utxo_treasury', chainId);
}
