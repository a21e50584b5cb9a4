/**
 * The treasury of a Bitcoin-like chain: the internal branch m/…/1/i of the chain's account key, which
 * the merchant's wallet (hardware, Sparrow, Electrum) controls with the same seed as the deposit
 * addresses m/…/0/i, so that the server never needs another key. Each export takes a fresh address
 * there (a sweep's destination, a payout's change), recorded in `utxo_treasury_addresses`; and the
 * coins an unsigned export spends are reserved (`utxo_reservations`) until it expires, so that two
 * exports cannot spend the same coin twice.
 * @module
 */
import type { ChainConfig } from '../config.js';
import { deriveUtxoAddress, parseUtxoAccountKey, type UtxoAccountKey } from '../chain/utxo/account-key.js';
import { normalizeUtxoAddress, utxoNetworkOf, walletNameOf } from '../chain/utxo/utxo-chain.js';
import type { Queryable } from '../store/database.js';

/** A treasury address past the highest handed out still counts, up to this many (a wallet's gap limit). */
export const TREASURY_LOOKAHEAD = 20;

/** How long an export's coins stay reserved when the export says nothing else. */
export const DEFAULT_RESERVATION_MS = 24 * 3_600_000;

/**
 * The name of the treasury's watch-only wallet on the chain's node (the internal branch m/…/1/*):
 * the deposit wallet's name and `-treasury`. Apart from the deposit wallet so that a sweep, which
 * leaves one and reaches the other, shows in each as what it is (a send, a receive).
 */
export function treasuryWalletNameOf(chain: ChainConfig): string {
  return `${walletNameOf(chain)}-treasury`;
}

/** The account key of a UTXO chain with its internal (treasury) branch as the one addresses come from. */
export function treasuryKeyOf(chain: ChainConfig): UtxoAccountKey {
  if (!chain.xpub) throw new Error(`chain ${chain.key} has no xpub`);
  const key = parseUtxoAccountKey(chain.xpub, utxoNetworkOf(chain), chain.address_type);
  return { ...key, receive: key.account.deriveChild(1) };
}

/**
 * Hands out the next treasury address of `chain` (m/…/1/i), recorded with what it is for.
 * @example const { address, index } = await nextTreasuryAddress(tx, chain, 'sweep');
 */
export async function nextTreasuryAddress(
  tx: Queryable,
  chain: ChainConfig,
  purpose: string,
  now = new Date(),
): Promise<{ address: string; index: number }> {
  const key = treasuryKeyOf(chain);
  // Two exports at once: the primary key makes the second one retry with the next index.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { rows } = await tx.query<{ next: number }>(
      `SELECT (coalesce(max(derivation_index), -1) + 1)::float8 AS next FROM utxo_treasury_addresses WHERE chain_id = $1`,
      [chain.id],
    );
    const index = Number(rows[0]!.next);
    const address = deriveUtxoAddress(key, index);
    const inserted = await tx.query(
      `INSERT INTO utxo_treasury_addresses (chain_id, derivation_index, address, purpose, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
      [chain.id, index, address, purpose, now],
    );
    if (inserted.rows.length) return { address, index };
  }
  throw new Error(`${chain.key}: could not take a treasury address (too many exports at once)`);
}

/** The highest treasury index handed out on `chain`, or -1. */
export async function highestTreasuryIndex(q: Queryable, chain: ChainConfig): Promise<number> {
  const { rows } = await q.query<{ top: number | null }>(
    `SELECT max(derivation_index)::float8 AS top FROM utxo_treasury_addresses WHERE chain_id = $1`,
    [chain.id],
  );
  return rows[0]?.top === null || rows[0]?.top === undefined ? -1 : Number(rows[0].top);
}

/**
 * Every treasury address of `chain` the watcher counts as the treasury: those handed out and
 * {@link TREASURY_LOOKAHEAD} past the highest, by address (normalised) → derivation index.
 */
export async function treasuryAddresses(q: Queryable, chain: ChainConfig): Promise<Map<string, number>> {
  const top = await highestTreasuryIndex(q, chain);
  const key = treasuryKeyOf(chain);
  const known = new Map<string, number>();
  for (let index = 0; index <= top + TREASURY_LOOKAHEAD; index++) {
    known.set(normalizeUtxoAddress(deriveUtxoAddress(key, index)), index);
  }
  return known;
}

/** A coin, by its outpoint. */
export interface Outpoint {
  txid: string;
  vout: number;
}

/** A coin an export wants is already held by another export's unexpired reservation. */
export class CoinReservedError extends Error {
  override name = 'CoinReservedError';
}

/**
 * Reserves `coins` for an export in the caller's transaction, all or nothing: throws
 * {@link CoinReservedError} (so the transaction rolls back) when one of them is held by another
 * unexpired reservation. Expired reservations are cleared first.
 */
export async function reserveCoins(
  tx: Queryable,
  chain: ChainConfig,
  coins: readonly Outpoint[],
  reservation: { purpose: string; expected_txid: string | null; now: Date; ttlMs?: number },
): Promise<void> {
  await tx.query('DELETE FROM utxo_reservations WHERE chain_id = $1 AND expires_at <= $2', [
    chain.id,
    reservation.now,
  ]);
  const expires = new Date(reservation.now.getTime() + (reservation.ttlMs ?? DEFAULT_RESERVATION_MS));
  for (const coin of coins) {
    const { rows } = await tx.query(
      `INSERT INTO utxo_reservations (chain_id, txid, vout, purpose, expected_txid, reserved_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1`,
      [
        chain.id,
        coin.txid,
        coin.vout,
        reservation.purpose,
        reservation.expected_txid,
        reservation.now,
        expires,
      ],
    );
    if (!rows.length)
      throw new CoinReservedError(
        `${chain.key}: coin ${coin.txid}:${coin.vout} is reserved by another export until it expires`,
      );
  }
}

/** The outpoints (`txid:vout`) of `chain` held by an unexpired reservation. */
export async function reservedCoins(q: Queryable, chain: ChainConfig, now: Date): Promise<Set<string>> {
  const { rows } = await q.query<{ txid: string; vout: number }>(
    'SELECT txid, vout FROM utxo_reservations WHERE chain_id = $1 AND expires_at > $2',
    [chain.id, now],
  );
  return new Set(rows.map((r) => `${r.txid}:${r.vout}`));
}
