/**
 * The backend's PostgreSQL advisory locks: their numbers, in one place, and the two ways to take
 * one — for the length of a transaction ({@link lockForTransaction}), or for as long as a dedicated
 * connection lives (`connection-lock.ts`: leadership, held by the instance that leads a chain's watch).
 * ESLint keeps advisory locks out of every folder but this one.
 * @module
 */
import type { Queryable } from './database.js';

/**
 * Every PostgreSQL advisory lock the backend takes, by name, in one place: two features picking the
 * same number would block each other (or worse, think they hold a lock that protects something
 * else). The numbers are arbitrary but fixed — instances of different versions must agree on them
 * during a rolling deploy — so never renumber one; add new ones at the end.
 */
export const ADVISORY_LOCKS = {
  /** Instances starting at once take turns applying migrations. */
  migrations: 727274,
  /** Creating a webhook endpoint checks the per-mode limit; concurrent creations take turns. */
  webhook_endpoint_creation: 727275,
  /**
   * The instance that watches a chain: a two-key lock (this number, the chain id), held on a
   * dedicated connection for as long as the instance leads (see `connection-lock.ts`).
   */
  chain_watcher: 727276,
  /** Planning a forwarder sweep of a chain: a two-key lock (this number, the chain id). */
  forwarder_sweep: 727283,
  /** Signing payouts with the payout key on a chain: a two-key lock (this number, the chain id). */
  hot_payouts: 727290,
  /**
   * Payouts check the available balance and reserve it in one transaction: requests take turns, so
   * that two concurrent ones can never both see the same balance and overspend it.
   */
  payouts: 727277,
  /**
   * Booking what the node shows of a UTXO chain's treasury (sweeps seen, reservations of exported
   * coins): a two-key lock (this number, the chain id), so that the watcher and an export take turns.
   */
  utxo_treasury: 727320,
  /**
   * The TRON treasury watch's bookkeeping (treasury/tron-treasury-watch.ts): one pass at a time over
   * all TRON chains, on every instance of a PostgreSQL database (a TRON chain id can exceed the int
   * of a two-key lock).
   */
  tron_treasury: 727330,
} as const;

/** The name of an advisory lock. */
export type AdvisoryLock = keyof typeof ADVISORY_LOCKS;

/**
 * Takes a transaction-level advisory lock: it is held until `tx` commits or rolls back, so it can
 * never be leaked by a crash or a forgotten unlock.
 * @example await store.transaction(async (tx) => { await lockForTransaction(tx, 'migrations'); … });
 */
export async function lockForTransaction(tx: Queryable, lock: AdvisoryLock): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADVISORY_LOCKS[lock]]);
}

/**
 * Tries to take a two-key transaction-level advisory lock (`lock`, `key`) without waiting: true when
 * taken (held until `tx` ends), false when another transaction holds it.
 * @example if (!(await tryLockForTransaction(tx, 'forwarder_sweep', chainId))) return; // another instance sweeps
 */
export async function tryLockForTransaction(
  tx: Queryable,
  lock: AdvisoryLock,
  key: number,
): Promise<boolean> {
  const { rows } = await tx.query<{ taken: boolean }>(
    'SELECT pg_try_advisory_xact_lock($1::int, $2::int) AS taken',
    [ADVISORY_LOCKS[lock], key],
  );
  return rows[0]!.taken;
}

/**
 * Takes a two-key transaction-level advisory lock (`lock`, `key`), waiting for it: held until `tx`
 * ends.
 * @example await lockForTransactionKey(tx, 'utxo_treasury', chain.id);
 */
export async function lockForTransactionKey(tx: Queryable, lock: AdvisoryLock, key: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [ADVISORY_LOCKS[lock], key]);
}
