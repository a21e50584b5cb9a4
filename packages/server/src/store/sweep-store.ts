/**
 * The queries on `sweeps` (migration 12): which deposit addresses hold confirmed money not yet
 * swept, the rows of a sweep transaction written before it is broadcast, and their outcome once its
 * receipt is read. One sweep in flight per chain: planning takes the chain's sweep lock and finds no
 * pending row, so two instances never sign with the relayer's nonce at once.
 */
import type { SweepChange, SweepHook } from '../webhooks/sweep-webhooks.js';
import { tryLockForTransaction } from './advisory-locks.js';
import { Store, type Database, type Queryable } from './database.js';

/** A deposit address and asset with confirmed transfers newer than its last confirmed sweep. */
export interface SweepCandidate {
  /** Lower-case deposit address. */
  address: `0x${string}`;
  derivation_index: number;
  token_symbol: string;
  /** Lower-case contract, `null` for the native coin. */
  token_address: `0x${string}` | null;
  decimals: number;
  /** The block of its first confirmed transfer: where a sweep of it can start to be looked for. */
  since_block: number;
}

/**
 * Statuses of a sweep row. The forwarder sweeper's: `pending`, `confirmed`, `failed`, `dropped`; the
 * UTXO sweep watch adds `submitted` and `needs_review`; the TRON treasury watch writes `confirmed`,
 * `needs_review` and `top_up` (TRX the treasury sent a deposit address for its sweep's energy); an
 * xpub-mode EVM export is `exported` (unsigned, awaiting the merchant's signature) until the xpub
 * sweep watch finds what used its nonce (`confirmed`, `failed`, `needs_review` or `dropped`).
 */
export type SweepStatus =
  'pending' | 'confirmed' | 'failed' | 'dropped' | 'submitted' | 'needs_review' | 'top_up' | 'exported';

/** An `exported` row (migration 29): an unsigned xpub-mode transaction and the block it was exported at. */
export interface ExportedSweep extends SweepRecord {
  /** The chain's head when it was exported: its nonce was not used before this block. */
  export_block: number;
}

/** What the xpub sweep watch found used an exported row's nonce. */
export interface ExportResolution {
  /** The transaction that used the nonce. */
  tx_hash: `0x${string}`;
  status: 'confirmed' | 'failed' | 'needs_review' | 'dropped';
  /** What reached the destination in the row's asset (zero unless `confirmed`). */
  amount_atomic: bigint;
  tx_gas_used: bigint;
  effective_gas_price: bigint;
  block_number: number;
  review_reason: string | null;
  /** Where the money went: the export's destination, or (for `needs_review`) the address it went to instead. */
  to: string;
}

/** One row of `sweeps`: one deposit address and asset in one sweep transaction. */
export interface SweepRecord {
  chain_id: number;
  tx_hash: `0x${string}`;
  address: `0x${string}`;
  derivation_index: number;
  token_symbol: string;
  token_address: `0x${string}` | null;
  treasury_address: `0x${string}`;
  /** The balance seen when planning, atomic units. */
  planned_atomic: bigint;
  /** What the receipt shows reached the treasury; `null` until confirmed. */
  amount_atomic: bigint | null;
  status: SweepStatus;
  /** Deposit addresses in the transaction (for splitting its fee). */
  batch_deposits: number;
  tx_gas_used: bigint | null;
  /** This row's part of the transaction's gas: the gas split evenly over its deposit addresses. */
  gas_share: bigint | null;
  effective_gas_price: bigint | null;
  block_number: number | null;
  relayer_address: `0x${string}`;
  nonce: number;
  /** The signed transaction (public once broadcast), kept to broadcast it again after a restart. */
  raw_tx: `0x${string}`;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'chain_id, tx_hash, address, derivation_index, token_symbol, token_address, treasury_address, planned_atomic, ' +
  'amount_atomic, status, batch_deposits, tx_gas_used, gas_share, effective_gas_price, block_number, ' +
  'relayer_address, nonce, raw_tx, created_at, updated_at';

interface Row extends Omit<
  SweepRecord,
  | 'planned_atomic'
  | 'amount_atomic'
  | 'tx_gas_used'
  | 'gas_share'
  | 'effective_gas_price'
  | 'derivation_index'
  | 'block_number'
  | 'nonce'
> {
  derivation_index: string | number;
  planned_atomic: string;
  amount_atomic: string | null;
  tx_gas_used: string | null;
  gas_share: string | null;
  effective_gas_price: string | null;
  block_number: string | number | null;
  nonce: string | number;
}

const big = (value: string | null) => (value === null ? null : BigInt(value));
const num = (value: string | number | null) => (value === null ? null : Number(value));

function fromRow(row: Row): SweepRecord {
  return {
    ...row,
    // bigint since migration 9 (a TRON testnet id exceeds int32): node-postgres reads it as a string.
    chain_id: Number(row.chain_id),
    derivation_index: Number(row.derivation_index),
    planned_atomic: BigInt(row.planned_atomic),
    amount_atomic: big(row.amount_atomic),
    tx_gas_used: big(row.tx_gas_used),
    gas_share: big(row.gas_share),
    effective_gas_price: big(row.effective_gas_price),
    block_number: num(row.block_number),
    nonce: Number(row.nonce),
  };
}

/** What a receipt shows for one row: moved amount and gas. */
export interface SweepOutcome {
  address: `0x${string}`;
  token_symbol: string;
  token_address: `0x${string}` | null;
  derivation_index: number;
  amount_atomic: bigint;
}

/** The queries on `sweeps`. */
export class SweepStore extends Store {
  private readonly onChange: SweepHook | undefined;

  /** `onChange` writes the sweep webhooks of each status change in its transaction (sweep-webhooks.ts). */
  constructor(db: Database, options: { onChange?: SweepHook | undefined } = {}) {
    super(db);
    this.onChange = options.onChange;
  }

  /** Writes the webhooks of a change of a sweep transaction's rows, in `tx`, when a hook is set. */
  async notify(tx: Queryable, change: SweepChange): Promise<void> {
    await this.onChange?.(tx, change);
  }

  /**
   * Addresses and assets on `chainId` that received a transfer at or below `confirmedBlock` after
   * their last confirmed sweep, and are in no pending sweep: the ones whose balance is worth reading.
   */
  async candidates(chainId: number, confirmedBlock: number): Promise<SweepCandidate[]> {
    const { rows } = await this.db.query<
      SweepCandidate & { derivation_index: string | number; since_block: string | number }
    >(
      `WITH addresses AS (
         SELECT lower(address) AS address, derivation_index FROM deposits WHERE chain_id = $1
         UNION ALL
         SELECT lower(address) AS address, derivation_index FROM abandoned_deposits WHERE chain_id = $1
       )
       SELECT a.address, a.derivation_index, t.token_symbol, lower(t.token_address) AS token_address, t.decimals,
              min(t.block_number) AS since_block
         FROM transfers t JOIN addresses a ON a.address = lower(t.address)
        WHERE t.chain_id = $1 AND t.block_number <= $2
          AND NOT EXISTS (SELECT 1 FROM sweeps p WHERE p.chain_id = $1 AND p.address = a.address
                            AND p.status = 'pending')
        GROUP BY a.address, a.derivation_index, t.token_symbol, lower(t.token_address), t.decimals
       HAVING max(t.block_number) > coalesce((SELECT max(s.block_number) FROM sweeps s
                 WHERE s.chain_id = $1 AND s.address = a.address AND s.token_symbol = t.token_symbol
                   AND s.status = 'confirmed'), -1)
        ORDER BY a.derivation_index, t.token_symbol`,
      [chainId, confirmedBlock],
    );
    return rows.map((row) => ({
      ...row,
      derivation_index: Number(row.derivation_index),
      since_block: Number(row.since_block),
    }));
  }

  /** Whether `txHash` on `chainId` has any row: a sweep already recorded, sent here or adopted. */
  async hasTransaction(tx: Queryable, chainId: number, txHash: `0x${string}`): Promise<boolean> {
    const { rows } = await tx.query('SELECT 1 FROM sweeps WHERE chain_id = $1 AND tx_hash = $2 LIMIT 1', [
      chainId,
      txHash,
    ]);
    return rows.length > 0;
  }

  /**
   * Takes the chain's sweep lock for the length of `tx` if free and no sweep of the chain is pending:
   * true when this caller may plan and record a new sweep now.
   */
  async claimChain(tx: Queryable, chainId: number): Promise<boolean> {
    if (!(await tryLockForTransaction(tx, 'forwarder_sweep', chainId))) return false;
    const { rows } = await tx.query(
      `SELECT 1 FROM sweeps WHERE chain_id = $1 AND status = 'pending' LIMIT 1`,
      [chainId],
    );
    return rows.length === 0;
  }

  /** Writes the rows of a sweep transaction (status `pending`), before it is broadcast. */
  async insertPending(tx: Queryable, records: SweepRecord[]): Promise<void> {
    for (const r of records) {
      await tx.query(
        `INSERT INTO sweeps (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
           $15, $16, $17, $18, $19, $20)`,
        [
          r.chain_id,
          r.tx_hash,
          r.address,
          r.derivation_index,
          r.token_symbol,
          r.token_address,
          r.treasury_address,
          r.planned_atomic.toString(),
          r.amount_atomic?.toString() ?? null,
          r.status,
          r.batch_deposits,
          r.tx_gas_used?.toString() ?? null,
          r.gas_share?.toString() ?? null,
          r.effective_gas_price?.toString() ?? null,
          r.block_number,
          r.relayer_address,
          r.nonce,
          r.raw_tx,
          r.created_at,
          r.updated_at,
        ],
      );
    }
  }

  /** The pending rows of `chainId`, grouped by nothing (one transaction at most, see {@link claimChain}). */
  async pending(chainId: number): Promise<SweepRecord[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM sweeps WHERE chain_id = $1 AND status = 'pending' ORDER BY derivation_index`,
      [chainId],
    );
    return rows.map(fromRow);
  }

  /** Every row of a chain (newest first), or of one transaction. */
  async list(chainId: number, txHash?: string): Promise<SweepRecord[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM sweeps WHERE chain_id = $1 AND ($2::text IS NULL OR tx_hash = $2)
        ORDER BY created_at DESC, derivation_index, token_symbol`,
      [chainId, txHash ?? null],
    );
    return rows.map(fromRow);
  }

  /**
   * Records a mined sweep: its planned rows become `confirmed` with the amounts in `outcomes` (what
   * the receipt's logs show moved; zero when nothing did), and assets moved without being planned (the
   * coin that every forwarder sends along) get rows of their own. Gas is split evenly over the
   * transaction's deposit addresses, the remainder on the first. Idempotent: a second call for the
   * same transaction changes nothing that is no longer pending. `alsoInTx` runs in the same
   * transaction, only when this call is the one that confirms the rows (the ledger's entries).
   */
  async confirm(
    chainId: number,
    txHash: `0x${string}`,
    receipt: { gasUsed: bigint; effectiveGasPrice: bigint; blockNumber: number },
    outcomes: SweepOutcome[],
    now: Date,
    alsoInTx?: (tx: Queryable) => Promise<void>,
  ): Promise<void> {
    await this.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `SELECT ${COLUMNS} FROM sweeps WHERE chain_id = $1 AND tx_hash = $2 AND status = 'pending' FOR UPDATE`,
        [chainId, txHash],
      );
      if (!rows.length) return;
      const planned = rows.map(fromRow);
      const template = planned[0]!;
      const addresses = [...new Set(planned.map((r) => r.address))];
      const share = receipt.gasUsed / BigInt(addresses.length);
      const remainder = receipt.gasUsed - share * BigInt(addresses.length);
      const firstRowOf = new Set<string>();
      const gasShare = (address: string) => {
        if (firstRowOf.has(address)) return 0n;
        firstRowOf.add(address);
        return address === addresses[0] ? share + remainder : share;
      };
      const key = (address: string, symbol: string) => `${address}|${symbol}`;
      const moved = new Map(outcomes.map((o) => [key(o.address, o.token_symbol), o]));
      for (const row of planned) {
        const outcome = moved.get(key(row.address, row.token_symbol));
        moved.delete(key(row.address, row.token_symbol));
        await tx.query(
          `UPDATE sweeps SET status = 'confirmed', amount_atomic = $5, tx_gas_used = $6, gas_share = $7,
             effective_gas_price = $8, block_number = $9, updated_at = $10
           WHERE chain_id = $1 AND tx_hash = $2 AND address = $3 AND token_symbol = $4`,
          [
            chainId,
            txHash,
            row.address,
            row.token_symbol,
            (outcome?.amount_atomic ?? 0n).toString(),
            receipt.gasUsed.toString(),
            gasShare(row.address).toString(),
            receipt.effectiveGasPrice.toString(),
            receipt.blockNumber,
            now,
          ],
        );
      }
      for (const extra of moved.values()) {
        if (extra.amount_atomic === 0n) continue;
        await this.insertPending(tx, [
          {
            ...template,
            address: extra.address,
            derivation_index: extra.derivation_index,
            token_symbol: extra.token_symbol,
            token_address: extra.token_address,
            planned_atomic: 0n,
            amount_atomic: extra.amount_atomic,
            status: 'confirmed',
            tx_gas_used: receipt.gasUsed,
            gas_share: gasShare(extra.address),
            effective_gas_price: receipt.effectiveGasPrice,
            block_number: receipt.blockNumber,
            created_at: now,
            updated_at: now,
          },
        ]);
      }
      await alsoInTx?.(tx);
      await this.notify(tx, { chain_id: chainId, tx_hash: txHash, type: 'sweep.confirmed' });
    });
  }

  /**
   * Records the unsigned transactions of an xpub-mode `sweep --export` as `exported` rows, at the
   * chain's block `exportBlock`. A newer export of an address replaces its exported rows from the
   * same nonce on (they were never signed, or their nonce would be used and they would be found);
   * rows of lower nonces stay, to be found on chain.
   */
  async recordExport(chainId: number, records: SweepRecord[], exportBlock: number): Promise<void> {
    await this.transaction(async (tx) => {
      const firstNonce = new Map<string, number>();
      for (const r of records)
        firstNonce.set(r.address, Math.min(r.nonce, firstNonce.get(r.address) ?? Number.MAX_SAFE_INTEGER));
      for (const [address, nonce] of firstNonce)
        await tx.query(
          `DELETE FROM sweeps WHERE chain_id = $1 AND status = 'exported' AND address = $2 AND nonce >= $3`,
          [chainId, address, nonce],
        );
      await this.insertPending(tx, records);
      await tx.query(
        `UPDATE sweeps SET export_block = $3 WHERE chain_id = $1 AND status = 'exported' AND tx_hash = ANY($2::text[])`,
        [chainId, records.map((r) => r.tx_hash), exportBlock],
      );
    });
  }

  /** The `exported` rows of `chainId`, by address and nonce: unsigned transactions not yet found on chain. */
  async exported(chainId: number): Promise<ExportedSweep[]> {
    const { rows } = await this.db.query<Row & { export_block: string | number | null }>(
      `SELECT ${COLUMNS}, export_block FROM sweeps WHERE chain_id = $1 AND status = 'exported'
        ORDER BY address, nonce, token_symbol`,
      [chainId],
    );
    return rows.map((row) => ({ ...fromRow(row), export_block: Number(row.export_block ?? 0) }));
  }

  /**
   * Moves an exported row's `export_block` up to `block` (never down): the watch saw its nonce unused
   * at `block - 1`, so a later search for it starts there, after a restart too — a full node answers
   * nonces only at recent blocks, and an export may wait days for its signature.
   */
  async advanceExportBlock(row: SweepRecord, block: number): Promise<void> {
    await this.db.query(
      `UPDATE sweeps SET export_block = $5 WHERE chain_id = $1 AND tx_hash = $2 AND address = $3
         AND token_symbol = $4 AND status = 'exported' AND (export_block IS NULL OR export_block < $5)`,
      [row.chain_id, row.tx_hash, row.address, row.token_symbol, block],
    );
  }

  /**
   * Settles an exported row, in `tx`, with what used its nonce: its placeholder hash becomes the
   * transaction's, with the outcome's status, amount, gas (all of it: the deposit address paid it
   * alone) and block. False when the row is no longer `exported` (another instance settled it).
   */
  async resolveExport(
    tx: Queryable,
    row: SweepRecord,
    outcome: ExportResolution,
    now: Date,
  ): Promise<boolean> {
    const { rows } = await tx.query(
      `UPDATE sweeps SET tx_hash = $5, status = $6, amount_atomic = $7, tx_gas_used = $8, gas_share = $8,
         effective_gas_price = $9, block_number = $10, review_reason = $11, updated_at = $12,
         treasury_address = $13
       WHERE chain_id = $1 AND tx_hash = $2 AND address = $3 AND token_symbol = $4 AND status = 'exported'
       RETURNING 1`,
      [
        row.chain_id,
        row.tx_hash,
        row.address,
        row.token_symbol,
        outcome.tx_hash,
        outcome.status,
        outcome.amount_atomic.toString(),
        outcome.tx_gas_used.toString(),
        outcome.effective_gas_price.toString(),
        outcome.block_number,
        outcome.review_reason,
        now,
        outcome.to,
      ],
    );
    return rows.length > 0;
  }

  /**
   * Whether each of `addresses` (lower-case deposit addresses of `chainId`) belongs to a live-mode
   * session: the mode its sweep is recorded in. Addresses of no session are left out.
   */
  async livemodes(
    tx: Queryable,
    chainId: number,
    addresses: readonly string[],
  ): Promise<Map<string, boolean>> {
    const { rows } = await tx.query<{ address: string; livemode: boolean }>(
      `SELECT DISTINCT lower(d.address) AS address, s.livemode
         FROM (SELECT address, session_id FROM deposits WHERE chain_id = $1
               UNION ALL
               SELECT address, session_id FROM abandoned_deposits WHERE chain_id = $1) d
         JOIN sessions s ON s.id = d.session_id
        WHERE lower(d.address) = ANY($2::text[])`,
      [chainId, [...addresses]],
    );
    return new Map(rows.map((r) => [r.address, r.livemode]));
  }

  /**
   * Rows of every chain and rail whose deposit address belongs to a session of `livemode`, newest
   * first, optionally of one status (`needs_review`): what the merchant page lists. A row of no
   * session's address is in neither mode's list.
   */
  async listForMode(
    livemode: boolean,
    options: { status?: string; limit: number },
  ): Promise<(SweepRecord & { review_reason: string | null; session_id: string })[]> {
    const { rows } = await this.db.query<Row & { review_reason: string | null; session_id: string }>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `w.${c}`)
        .join(', ')}, w.review_reason, d.session_id
         FROM sweeps w
         JOIN LATERAL (
           SELECT session_id FROM deposits WHERE chain_id = w.chain_id AND lower(address) = lower(w.address)
           UNION ALL
           SELECT session_id FROM abandoned_deposits WHERE chain_id = w.chain_id AND lower(address) = lower(w.address)
           LIMIT 1) d ON true
         JOIN sessions s ON s.id = d.session_id
        WHERE s.livemode = $1 AND ($2::text IS NULL OR w.status = $2)
        ORDER BY w.created_at DESC, w.tx_hash, w.derivation_index, w.token_symbol
        LIMIT $3`,
      [livemode, options.status ?? null, options.limit],
    );
    return rows.map((row) => ({
      ...fromRow(row),
      review_reason: row.review_reason,
      session_id: row.session_id,
    }));
  }

  /**
   * The distinct transactions of the chain's sweeps confirmed since `since`: those whose place on
   * chain is checked again after a reorganisation.
   */
  async confirmedSince(chainId: number, since: Date): Promise<`0x${string}`[]> {
    const { rows } = await this.db.query<{ tx_hash: `0x${string}` }>(
      `SELECT DISTINCT tx_hash FROM sweeps WHERE chain_id = $1 AND status = 'confirmed' AND updated_at > $2`,
      [chainId, since],
    );
    return rows.map((r) => r.tx_hash);
  }

  /**
   * Puts a confirmed sweep whose transaction a reorganisation took away back to `pending`, as it was
   * before it was mined (rows the receipt added for coin sent along go back with it and are matched
   * again by the next receipt), so that the sweeper broadcasts it again or finds its nonce taken.
   * `alsoInTx` runs in the same transaction when this call reopened any row (the ledger's reversal).
   */
  async reopen(
    chainId: number,
    txHash: `0x${string}`,
    now: Date,
    alsoInTx?: (tx: Queryable) => Promise<void>,
  ): Promise<void> {
    await this.transaction(async (tx) => {
      const reopened = await tx.query(
        `UPDATE sweeps SET status = 'pending', tx_gas_used = NULL, gas_share = NULL,
           effective_gas_price = NULL, block_number = NULL, updated_at = $3
         WHERE chain_id = $1 AND tx_hash = $2 AND status = 'confirmed' RETURNING 1`,
        [chainId, txHash, now],
      );
      if (!reopened.rows.length) return;
      await alsoInTx?.(tx);
      await this.notify(tx, { chain_id: chainId, tx_hash: txHash, type: 'sweep.reversed' });
    });
  }

  /**
   * Ends a sweep that moved nothing: `failed` (mined and reverted; its gas is recorded, it was paid)
   * or `dropped` (never mined: its nonce went to another transaction). Its addresses are free to be
   * planned again. `alsoInTx` runs in the same transaction when this call closed any row (the
   * ledger's fee of a reverted sweep).
   */
  async close(
    chainId: number,
    txHash: `0x${string}`,
    status: 'failed' | 'dropped',
    now: Date,
    receipt?: { gasUsed: bigint; effectiveGasPrice: bigint; blockNumber: number },
    alsoInTx?: (tx: Queryable) => Promise<void>,
  ): Promise<void> {
    await this.transaction(async (tx) => {
      const closed = await tx.query(
        `UPDATE sweeps SET status = $3, amount_atomic = 0, tx_gas_used = $4, effective_gas_price = $5,
         block_number = $6, updated_at = $7
       WHERE chain_id = $1 AND tx_hash = $2 AND status = 'pending' RETURNING 1`,
        [
          chainId,
          txHash,
          status,
          receipt?.gasUsed.toString() ?? null,
          receipt?.effectiveGasPrice.toString() ?? null,
          receipt?.blockNumber ?? null,
          now,
        ],
      );
      if (!closed.rows.length) return;
      await alsoInTx?.(tx);
      await this.notify(tx, { chain_id: chainId, tx_hash: txHash, type: 'sweep.failed' });
    });
  }
}
