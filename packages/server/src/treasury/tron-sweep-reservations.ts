/**
 * What a TRON `sweep --export` holds: every transaction it wrote is recorded
 * (`tron_export_transactions`, migration 28) by its `txID` — a TRON transaction id is the sha256 of
 * `raw_data`, known before signing — so that a second export, while the first file may still be
 * signed and broadcast, leaves out the deposit addresses the first one holds. Otherwise the treasury
 * would pay every top-up twice, and the second batch of USDT sweeps would fail for want of USDT,
 * burning its fees.
 *
 * A deposit address is held while any transaction of it (its top-up or its sweeps) is `exported`:
 * not yet seen on chain and not yet expired. The treasury watch (`tron-treasury-watch.ts`), which
 * reads every settled block, marks a transaction `confirmed` when it appears (by `txID`, else by
 * sender, recipient, asset and exact amount in a block after its reference block) and `expired` once
 * the settled block's time is past its expiration without it — java-tron refuses it from then on —
 * which frees the address for the next export. A transaction that reached the chain but failed (a
 * USDT sweep out of energy) moved nothing and shows no transfer: it stays `exported` until its
 * expiration passes, then expires like an unbroadcast one.
 *
 * `--replace` exports held addresses again and marks the earlier live transactions `superseded`.
 * That frees the address in this database only: a superseded transaction already signed can still
 * be broadcast until its own expiration, and if both land the treasury pays the top-up twice (the
 * extra TRX stays on the deposit address, swept back by a later export) and the later USDT sweep
 * fails, burning its fee. The watch still marks a superseded transaction `confirmed` if it appears,
 * and books its transfer like any other. Use `--replace` only for a file that was lost or never signed.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../store/database.js';
import { lockTronTreasury } from '../store/tron-treasury-lock.js';
import { tronAddressToHex } from '../chain/tron/address.js';
import type { TronExportedTransaction, TronHeldAddress, TronSweepExport } from './tron-sweep-export.js';

/** Where an exported transaction stands (module comment). */
export type TronExportStatus = 'exported' | 'confirmed' | 'expired' | 'superseded';

/** A new export id: `tronexp_` and 32 hex digits. */
export function newTronExportId(): string {
  return `tronexp_${randomUUID().replace(/-/g, '')}`;
}

/** The deposit address a transaction of an export belongs to: a top-up's recipient, a sweep's sender. */
export function heldAddressOf(t: Pick<TronExportedTransaction, 'purpose' | 'from' | 'to'>): string {
  return t.purpose === 'top_up' ? t.to : t.from;
}

/**
 * The deposit addresses of `chainId` that an earlier export still holds (a transaction `exported`,
 * neither seen on chain nor expired), each with the export holding it and when that one expires.
 * @example const held = await heldTronAddresses(db, chain.id); if (held.has(address)) …
 */
export async function heldTronAddresses(
  q: Queryable,
  chainId: number,
): Promise<Map<string, TronHeldAddress>> {
  const { rows } = await q.query<{ address: string; export_id: string; expires_at: Date | string }>(
    `SELECT address, export_id, max(expires_at) AS expires_at FROM tron_export_transactions
      WHERE chain_id = $1 AND status = 'exported' GROUP BY address, export_id ORDER BY address, expires_at`,
    [chainId],
  );
  const held = new Map<string, TronHeldAddress>();
  for (const r of rows)
    held.set(r.address, {
      address: r.address,
      export_id: r.export_id,
      expires_at: new Date(r.expires_at).toISOString(),
    });
  return held;
}

/** A transaction of a TRON `sweep --export` that has not reached the chain yet, as the merchant page lists it. */
export interface OpenTronExportTransaction {
  chain_id: number;
  export_id: string;
  /** The transaction id, hex. */
  tx_id: string;
  step: number;
  purpose: 'top_up' | 'sweep';
  /** The deposit address it belongs to (a top-up's recipient, a sweep's sender). */
  address: string;
  signer: string;
  from: string;
  to: string;
  /** The method id (`usdt@tron`, `trx@tron`). */
  asset: string;
  amount_atomic: bigint;
  /** `exported`, or `superseded` (by `superseded_by`): a signed copy can still be broadcast until `expires_at`. */
  status: 'exported' | 'superseded';
  superseded_by: string | null;
  expires_at: Date;
  created_at: Date;
}

/**
 * The transactions of every chain's TRON exports still open — `exported`, or `superseded` and so
 * still valid on chain until they expire — for the deposit addresses of `livemode` sessions (a
 * deposit address belongs to one session, so its mode is its session's; a top-up's is its
 * recipient's), newest export first, each in its signing order.
 * @example const open = await openTronExports(db, session.caller.mode === 'live', 200);
 */
export async function openTronExports(
  q: Queryable,
  livemode: boolean,
  limit: number,
): Promise<OpenTronExportTransaction[]> {
  const { rows } = await q.query<
    Omit<
      OpenTronExportTransaction,
      'chain_id' | 'from' | 'to' | 'amount_atomic' | 'expires_at' | 'created_at'
    > & {
      chain_id: string | number;
      from_address: string;
      to_address: string;
      amount_atomic: string;
      expires_at: Date | string;
      created_at: Date | string;
    }
  >(
    `SELECT t.chain_id, t.export_id, t.tx_id, t.step, t.purpose, t.address, t.signer, t.from_address,
            t.to_address, t.asset, t.amount_atomic::text AS amount_atomic, t.status, t.superseded_by,
            t.expires_at, t.created_at
       FROM tron_export_transactions t
       JOIN LATERAL (
         SELECT session_id FROM deposits WHERE chain_id = t.chain_id AND address = t.address
         UNION ALL
         SELECT session_id FROM abandoned_deposits WHERE chain_id = t.chain_id AND address = t.address
         LIMIT 1) d ON true
       JOIN sessions s ON s.id = d.session_id
      WHERE t.status IN ('exported', 'superseded') AND s.livemode = $1
      ORDER BY t.created_at DESC, t.export_id, t.step
      LIMIT $2`,
    [livemode, limit],
  );
  return rows.map(({ from_address, to_address, ...r }) => ({
    ...r,
    chain_id: Number(r.chain_id),
    from: from_address,
    to: to_address,
    amount_atomic: BigInt(r.amount_atomic),
    expires_at: new Date(r.expires_at),
    created_at: new Date(r.created_at),
  }));
}

/**
 * Records the transactions of `file` as exported, and calls `write(file)` in the same database
 * transaction (a file that cannot be written holds nothing). Under the TRON treasury lock, so that
 * two exports at once and the watch take turns: an address another export reserved since `file` was
 * built is left out (and listed in `held_back`, the steps renumbered); with `replace`, the live
 * transactions of every address in `file` are marked `superseded` instead (listed in `supersedes`).
 * Returns the file as recorded and written.
 * @example const written = await reserveTronSweepExport(db, file, { write: (f) => writeFileSync(path, JSON.stringify(f)) });
 */
export async function reserveTronSweepExport(
  db: Database,
  file: TronSweepExport,
  options: { replace?: boolean; now?: Date; write?: (file: TronSweepExport) => void } = {},
): Promise<TronSweepExport> {
  const now = options.now ?? new Date();
  return db.transaction(async (q) => {
    await lockTronTreasury(q);
    const held = await heldTronAddresses(q, file.chain_id);
    let transactions = file.transactions;
    const heldBack = [...file.held_back];
    const supersedes = new Set(file.supersedes);
    const addresses = new Set(transactions.map(heldAddressOf));
    for (const address of addresses) {
      const holder = held.get(address);
      if (!holder || holder.export_id === file.export_id) continue;
      if (options.replace) {
        await q.query(
          `UPDATE tron_export_transactions SET status = 'superseded', superseded_by = $3, updated_at = $4
            WHERE chain_id = $1 AND address = $2 AND status = 'exported'`,
          [file.chain_id, address, file.export_id, now],
        );
        continue;
      }
      // Reserved by another export between building this file and now: left out.
      transactions = transactions.filter((t) => heldAddressOf(t) !== address);
      heldBack.push(holder);
    }
    // Every export whose transactions this one superseded, not only the latest per address.
    if (options.replace && addresses.size) {
      const { rows } = await q.query<{ export_id: string }>(
        `SELECT DISTINCT export_id FROM tron_export_transactions WHERE superseded_by = $1`,
        [file.export_id],
      );
      for (const r of rows) supersedes.add(r.export_id);
    }
    const recorded: TronSweepExport = {
      ...file,
      transactions: transactions.map((t, k) => ({ ...t, step: k + 1 })),
      held_back: heldBack,
      supersedes: [...supersedes].sort(),
    };
    const expiresAt = new Date(recorded.expires_at);
    for (const t of recorded.transactions)
      await q.query(
        `INSERT INTO tron_export_transactions (chain_id, export_id, tx_id, step, purpose, address, signer,
           from_address, to_address, asset, token_address, amount_atomic, reference_block, expires_at,
           status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'exported', $15, $15)`,
        [
          recorded.chain_id,
          recorded.export_id,
          t.transaction.txID.toLowerCase(),
          t.step,
          t.purpose,
          heldAddressOf(t),
          t.signer,
          t.from,
          t.to,
          t.asset,
          t.token_address,
          t.amount_atomic,
          recorded.reference_block.number,
          expiresAt,
          now,
        ],
      );
    options.write?.(recorded);
    return recorded;
  });
}

/** A transfer the treasury watch read from a settled block (its `Movement`). */
export interface SeenTronTransfer {
  /** Sender and recipient, `0x` hex (any case). */
  from: string;
  to: string;
  amount: bigint;
  /** Token contract as configured (`T…`), `null` for TRX. */
  token: string | null;
  /** The transaction id, hex without `0x`. */
  tx_hash: string;
  block: number;
}

/**
 * The treasury watch's part, in its transaction and under its lock: marks `confirmed` each open
 * (`exported` or `superseded`) transaction of `chainId` that `seen` shows — by `txID`, else by sender,
 * recipient, asset and exact amount in a block after its reference block, one transfer for one
 * transaction, live ones first — then `expired` each still open one whose expiration is before
 * `blockTime` (ms), the time of the last settled block read: no later block can include it.
 * @example const { confirmed, expired } = await settleTronExports(q, chain.id, movements, blockTime, now);
 */
export async function settleTronExports(
  q: Queryable,
  chainId: number,
  seen: readonly SeenTronTransfer[],
  blockTime: number,
  now: Date,
): Promise<{ confirmed: number; expired: number }> {
  const { rows } = await q.query<{
    export_id: string;
    tx_id: string;
    from_address: string;
    to_address: string;
    token_address: string | null;
    amount_atomic: string | number;
    reference_block: string | number;
  }>(
    `SELECT export_id, tx_id, from_address, to_address, token_address, amount_atomic::text AS amount_atomic,
            reference_block
       FROM tron_export_transactions WHERE chain_id = $1 AND status IN ('exported', 'superseded')
      ORDER BY status = 'exported' DESC, created_at, step`,
    [chainId],
  );
  const open = rows.map((r) => ({
    ...r,
    from: tronAddressToHex(r.from_address).toLowerCase(),
    to: tronAddressToHex(r.to_address).toLowerCase(),
    amount: BigInt(r.amount_atomic),
    token: r.token_address?.toLowerCase() ?? null,
    reference: Number(r.reference_block),
  }));
  const done = new Set<(typeof open)[number]>();
  let confirmed = 0;
  for (const m of seen) {
    const hash = m.tx_hash.replace(/^0x/, '').toLowerCase();
    let matches = open.filter((r) => !done.has(r) && r.tx_id === hash);
    if (!matches.length) {
      const like = open.find(
        (r) =>
          !done.has(r) &&
          r.from === m.from.toLowerCase() &&
          r.to === m.to.toLowerCase() &&
          r.token === (m.token?.toLowerCase() ?? null) &&
          r.amount === m.amount &&
          m.block > r.reference,
      );
      matches = like ? [like] : [];
    }
    for (const r of matches) {
      done.add(r);
      await q.query(
        `UPDATE tron_export_transactions SET status = 'confirmed', seen_tx_hash = $3, block_number = $4, updated_at = $5
          WHERE export_id = $1 AND tx_id = $2`,
        [r.export_id, r.tx_id, hash, m.block, now],
      );
      confirmed += 1;
    }
  }
  const { rows: expired } = await q.query(
    `UPDATE tron_export_transactions SET status = 'expired', updated_at = $3
      WHERE chain_id = $1 AND status IN ('exported', 'superseded') AND expires_at < $2 RETURNING 1`,
    [chainId, new Date(blockTime), now],
  );
  return { confirmed, expired: expired.length };
}
