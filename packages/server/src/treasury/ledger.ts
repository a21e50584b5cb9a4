/**
 * The append-only ledger: every confirmed receipt, sweep, payout and fee as an entry, in atomic units
 * of its asset (bigint, never a float), and the balances derived from it. Entries are only ever
 * added — a receipt a reorganisation took away gets a `receipt_reversal`, a canceled payout a
 * `payout_release` — and the table refuses UPDATE and DELETE itself (migration 14).
 *
 * Sign of `amount_atomic` per kind, and the balance it moves:
 * - `receipt` (+) / `receipt_reversal` (−): received into a deposit address (`address`).
 * - `sweep` (+): moved from a deposit address (`address`) to the treasury (`counterparty`). A
 *   Bitcoin/Litecoin sweep whose block a reorganisation took away gets the same entry negated, and
 *   again a positive one when re-confirmed (`treasury/utxo-sweep-watch.ts`; no log index there).
 * - `payout_reserve` (+) / `payout_release` (−): set aside for a payout / given back.
 * - `payout_settle` (+): paid out of the treasury (`address`) to `counterparty`; ends the reservation.
 * - `fee` (+): native coin spent on gas by `address`; it lowers `in_treasury` when `address` is
 *   a treasury (received a sweep or paid a payout), `in_deposit_addresses` when it is a deposit
 *   address (received a payment: a TRON deposit address burning the TRX the treasury topped it up
 *   with, `tron-treasury-watch.ts`); the relayer's gas of a forwarder sweep is a fee of the relayer's
 *   address, an expense outside the balances.
 * - A TRON top-up (TRX from the treasury to a deposit address, to pay its USDT sweep's energy) is a
 *   `sweep` with a negative amount: money back from the treasury into the deposit address.
 * - `treasury_funding` (+): money the merchant sent into the treasury (`address`) from outside
 *   (`counterparty`, not a deposit address): the TRX a TRON treasury needs to pay top-ups
 *   (`tron-treasury-watch.ts`, migration 27). It raises `in_treasury` and `available`, not `received`.
 * @module
 */
import type { LedgerEntry } from '@crypto-checkout/protocol';
import type { MethodInfo } from '../chain/registry.js';
import { formatAtomic } from '../money.js';
import type { SessionState } from '../sessions/session-state.js';
import { Store, type Database, type Queryable } from '../store/database.js';
import type { SessionBundle, TransferRecord } from '../store/session-store.js';

/** The kinds of ledger entries; see the module comment for their signs. */
export type LedgerEntryKind =
  | 'receipt'
  | 'receipt_reversal'
  | 'sweep'
  | 'payout_reserve'
  | 'payout_release'
  | 'payout_settle'
  | 'fee'
  | 'treasury_funding';

/** An entry to append. */
export interface NewLedgerEntry {
  livemode: boolean;
  kind: LedgerEntryKind;
  /** The method id of the asset: `usdc@base`. */
  asset: string;
  chain_id: number;
  /** The token contract, `null` for the native coin. */
  token_address: string | null;
  amount_atomic: bigint;
  session_id?: string | null;
  payout_id?: string | null;
  address?: string | null;
  counterparty?: string | null;
  tx_hash?: string | null;
  log_index?: number | null;
  at: Date;
}

/** A stored entry. */
export interface LedgerEntryRecord extends Required<Omit<NewLedgerEntry, 'at'>> {
  id: bigint;
  created_at: Date;
}

/** Called in the writing transaction with the entries just written, oldest first. */
export type LedgerAppendHook = (tx: Queryable, entries: readonly LedgerEntryRecord[]) => Promise<void>;

/** The balances of one asset, in atomic units. */
export interface AssetBalances {
  asset: string;
  chain_id: number;
  token_address: string | null;
  decimals: number;
  received: bigint;
  in_deposit_addresses: bigint;
  in_treasury: bigint;
  pending_payouts: bigint;
  available: bigint;
}

/** A sweep as the forwarder (or the merchant's own wallet) made it: one transfer into the treasury. */
export interface SweepRecord {
  livemode: boolean;
  /** The method id of the swept asset. */
  asset: string;
  /** The deposit address (or forwarder) the money left. */
  from: string;
  /** The treasury it reached. */
  to: string;
  amount_atomic: bigint;
  tx_hash: string;
  /** The transfer's log index (`-1` for a native transfer). */
  log_index: number;
  at: Date;
}

const COLUMNS = `id::text AS id, livemode, kind, asset, chain_id::float8 AS chain_id, token_address, amount_atomic::text AS amount_atomic,
  session_id, payout_id, address, counterparty, tx_hash, log_index, created_at`;

type RawEntry = Omit<LedgerEntryRecord, 'id' | 'amount_atomic'> & { id: string; amount_atomic: string };

const toRecord = (row: RawEntry): LedgerEntryRecord => ({
  ...row,
  // bigint in its table: PostgreSQL's driver answers a string, PGlite a number.
  chain_id: Number(row.chain_id),
  id: BigInt(row.id),
  amount_atomic: BigInt(row.amount_atomic),
});

/** The key of a transfer in the ledger: chain, transaction, log. */
const transferKey = (chainId: number, txHash: string, logIndex: number) =>
  `${chainId}:${txHash.toLowerCase()}:${logIndex}`;

/** The ledger's table, and the balances derived from it. */
export class Ledger extends Store {
  private readonly methods: ReadonlyMap<string, MethodInfo>;
  private readonly onAppend: LedgerAppendHook | undefined;

  constructor(options: {
    db: Database;
    methods: ReadonlyMap<string, MethodInfo>;
    /** Runs in the transaction of every write with the entries it wrote (the ledger webhooks). */
    onAppend?: LedgerAppendHook | undefined;
  }) {
    super(options.db);
    this.methods = options.methods;
    this.onAppend = options.onAppend;
  }

  /** The method (asset) of a chain and token, or `undefined` when none is configured. */
  methodOf(chainId: number, tokenAddress: string | null): MethodInfo | undefined {
    const token = tokenAddress?.toLowerCase() ?? null;
    for (const method of this.methods.values()) {
      if (method.chain.id === chainId && (method.token_address?.toLowerCase() ?? null) === token)
        return method;
    }
    return undefined;
  }

  /** A configured method by id, or `undefined`. */
  method(asset: string): MethodInfo | undefined {
    return this.methods.get(asset);
  }

  /** The asset id of a transfer: its method's id, else `<symbol>@<chain id>` for a token no method names. */
  assetOf(t: Pick<TransferRecord, 'chain_id' | 'token_address' | 'token_symbol'>): string {
    return this.methodOf(t.chain_id, t.token_address)?.id ?? `${t.token_symbol.toLowerCase()}@${t.chain_id}`;
  }

  /** Appends entries in the caller's transaction, in order; nothing else ever writes the table. */
  async append(tx: Queryable, entries: readonly NewLedgerEntry[]): Promise<void> {
    // In slices: one INSERT per 500 entries keeps the parameters well below PostgreSQL's 65,535.
    for (let start = 0; start < entries.length; start += 500) {
      const slice = entries.slice(start, start + 500);
      const params: unknown[] = [];
      const rows = slice.map((e) => {
        const values = [
          e.livemode,
          e.kind,
          e.asset,
          e.chain_id,
          e.token_address,
          e.amount_atomic.toString(),
          e.session_id ?? null,
          e.payout_id ?? null,
          e.address ?? null,
          e.counterparty ?? null,
          e.tx_hash ?? null,
          e.log_index ?? null,
          e.at,
        ];
        const placeholders = values.map((value) => {
          params.push(value);
          return `$${params.length}`;
        });
        return `(${placeholders.join(', ')})`;
      });
      const written = await tx.query<RawEntry>(
        `INSERT INTO ledger_entries (livemode, kind, asset, chain_id, token_address, amount_atomic, session_id,
           payout_id, address, counterparty, tx_hash, log_index, created_at)
         VALUES ${rows.join(', ')} RETURNING ${COLUMNS}`,
        params,
      );
      await this.onAppend?.(tx, written.rows.map(toRecord));
    }
  }

  /**
   * The hook for `SessionService.onStateApplied`: brings the session's receipts in line with its
   * confirmed transfers, in the transaction that changed its state. A transfer that reached its
   * confirmations gets a `receipt`; one recorded before that is no longer there or no longer
   * confirmed (a reorganisation) gets a `receipt_reversal` of what it had added. Every transfer to
   * the session's deposit addresses counts, also those the session does not count toward its amount
   * (late, another asset, an abandoned address): the money is in the address all the same.
   */
  readonly stateHook = async (tx: Queryable, bundle: SessionBundle, state: SessionState): Promise<void> => {
    const { rows } = await tx.query<{ chain_id: number; tx_hash: string; log_index: number; net: string }>(
      `SELECT chain_id::float8 AS chain_id, tx_hash, log_index, sum(amount_atomic)::text AS net FROM ledger_entries
       WHERE session_id = $1 AND kind IN ('receipt', 'receipt_reversal')
       GROUP BY chain_id, tx_hash, log_index`,
      [bundle.session.id],
    );
    const recorded = new Map(
      rows.map((r) => [transferKey(r.chain_id, r.tx_hash, r.log_index), BigInt(r.net)]),
    );
    const now = new Date();
    const entries: NewLedgerEntry[] = [];
    const confirmed = new Set<string>();
    const base = (t: TransferRecord) => ({
      livemode: bundle.session.livemode,
      asset: this.assetOf(t),
      chain_id: t.chain_id,
      token_address: t.token_address,
      session_id: bundle.session.id,
      address: t.address,
      counterparty: t.from_address,
      tx_hash: t.tx_hash,
      log_index: t.log_index,
      at: now,
    });
    for (const t of state.transfers) {
      if (!t.confirmed) continue;
      const key = transferKey(t.chain_id, t.tx_hash, t.log_index);
      confirmed.add(key);
      if ((recorded.get(key) ?? 0n) === 0n) {
        entries.push({ ...base(t), kind: 'receipt', amount_atomic: t.amount_atomic });
      }
    }
    for (const row of rows) {
      const key = transferKey(row.chain_id, row.tx_hash, row.log_index);
      const net = BigInt(row.net);
      if (net === 0n || confirmed.has(key)) continue;
      // The transfer is gone (or back below its confirmations): its receipt is reversed, never deleted.
      const receipt = await tx.query<RawEntry>(
        `SELECT ${COLUMNS} FROM ledger_entries WHERE session_id = $1 AND kind = 'receipt'
           AND chain_id = $2 AND tx_hash = $3 AND log_index = $4 ORDER BY id DESC LIMIT 1`,
        [bundle.session.id, row.chain_id, row.tx_hash, row.log_index],
      );
      const r = toRecord(receipt.rows[0]!);
      entries.push({
        livemode: r.livemode,
        kind: 'receipt_reversal',
        asset: r.asset,
        chain_id: r.chain_id,
        token_address: r.token_address,
        amount_atomic: -net,
        session_id: r.session_id,
        address: r.address,
        counterparty: r.counterparty,
        tx_hash: r.tx_hash,
        log_index: r.log_index,
        at: now,
      });
    }
    if (entries.length) await this.append(tx, entries);
  };

  /**
   * Records a sweep: money moved from a deposit address (or forwarder) to the treasury, one entry
   * per transfer. The same transfer reported twice is recorded once (`false` the second time). For
   * the forwarder sweeps and for sweeps the merchant signed in their own wallet.
   * @example await ledger.recordSweep(tx, { livemode: true, asset: 'usdc@base', from, to, amount_atomic: 5_000_000n, tx_hash, log_index: 3, at: new Date() });
   */
  async recordSweep(tx: Queryable, sweep: SweepRecord): Promise<boolean> {
    const method = this.methods.get(sweep.asset);
    if (!method) throw new Error(`no configured asset ${sweep.asset}`);
    // Its generation: how many times this transfer was reversed by a reorganisation (migration 19).
    const { rows } = await tx.query<RawEntry>(
      `INSERT INTO ledger_entries (livemode, kind, asset, chain_id, token_address, amount_atomic, address,
         counterparty, tx_hash, log_index, created_at, reorg_generation)
       SELECT $1::boolean, 'sweep', $2::text, $3::bigint, $4::text, $5::numeric, $6::text, $7::text, $8::text,
         $9::integer, $10::timestamptz,
         (SELECT count(*) FROM ledger_entries WHERE kind = 'sweep' AND chain_id = $3 AND tx_hash = $8
            AND log_index = $9 AND amount_atomic < 0)
       ON CONFLICT (chain_id, tx_hash, log_index, reorg_generation) WHERE kind = 'sweep' AND amount_atomic > 0
       DO NOTHING RETURNING ${COLUMNS}`,
      [
        sweep.livemode,
        sweep.asset,
        method.chain.id,
        method.token_address,
        sweep.amount_atomic.toString(),
        sweep.from,
        sweep.to,
        sweep.tx_hash.toLowerCase(),
        sweep.log_index,
        sweep.at,
      ],
    );
    if (rows.length) await this.onAppend?.(tx, rows.map(toRecord));
    return rows.length === 1;
  }

  /**
   * Records money sent into the treasury from outside (the merchant funding a TRON treasury with TRX
   * for top-ups) as a `treasury_funding` entry of the treasury (`to`), once per transfer (`false`
   * the second time; a unique index of migration 27 holds it).
   * @example await ledger.recordTreasuryFunding(tx, { livemode: true, asset: 'trx@tron', from, to: treasury, amount_atomic: 50_000_000n, tx_hash, log_index: -1, at: new Date() });
   */
  async recordTreasuryFunding(tx: Queryable, funding: SweepRecord): Promise<boolean> {
    const method = this.methods.get(funding.asset);
    if (!method) throw new Error(`no configured asset ${funding.asset}`);
    const { rows } = await tx.query<RawEntry>(
      `INSERT INTO ledger_entries (livemode, kind, asset, chain_id, token_address, amount_atomic, address,
         counterparty, tx_hash, log_index, created_at)
       VALUES ($1, 'treasury_funding', $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (chain_id, tx_hash, log_index) WHERE kind = 'treasury_funding' DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        funding.livemode,
        funding.asset,
        method.chain.id,
        method.token_address,
        funding.amount_atomic.toString(),
        funding.to,
        funding.from,
        funding.tx_hash.toLowerCase(),
        funding.log_index,
        funding.at,
      ],
    );
    if (rows.length) await this.onAppend?.(tx, rows.map(toRecord));
    return rows.length === 1;
  }

  /**
   * Records gas paid in the native coin by an address the ledger follows (a payout source, a deposit
   * address the merchant swept from with its own key), once per transaction (`false` the second
   * time). Without it `reconcile` would find the address's native balance short by the gas.
   * @example await ledger.recordFee(tx, { livemode: false, chain_id: 8453, address, tx_hash, amount_atomic: receipt.gasUsed * receipt.effectiveGasPrice, at: new Date() });
   */
  async recordFee(
    tx: Queryable,
    fee: {
      livemode: boolean;
      chain_id: number;
      address: string;
      tx_hash: string;
      amount_atomic: bigint;
      payout_id?: string | null;
      at: Date;
    },
  ): Promise<boolean> {
    // Net of reversals: a transaction reorganised away (fee reversed) and mined again pays again.
    const { rows } = await tx.query(
      `SELECT 1 FROM ledger_entries WHERE kind = 'fee' AND chain_id = $1 AND tx_hash = $2
       HAVING coalesce(sum(amount_atomic), 0) <> 0`,
      [fee.chain_id, fee.tx_hash.toLowerCase()],
    );
    if (rows.length) return false;
    const native = this.methodOf(fee.chain_id, null);
    await this.append(tx, [
      {
        livemode: fee.livemode,
        kind: 'fee',
        asset: native?.id ?? `native@${fee.chain_id}`,
        chain_id: fee.chain_id,
        token_address: null,
        amount_atomic: fee.amount_atomic,
        payout_id: fee.payout_id ?? null,
        address: fee.address,
        tx_hash: fee.tx_hash.toLowerCase(),
        log_index: -1,
        at: fee.at,
      },
    ]);
    return true;
  }

  /**
   * Reverses the sweeps of a transaction that a chain reorganisation took away: for every transfer
   * whose `sweep` entries do not net to zero, one `sweep` entry of the opposite sign (money back in
   * the deposit address, out of the treasury), and the transaction's fee likewise
   * ({@link reverseFee}). Nothing is updated or deleted. Returns how many transfers it reversed.
   */
  async reverseSweeps(
    tx: Queryable,
    sweep: { chain_id: number; tx_hash: string; at: Date },
  ): Promise<number> {
    const hash = sweep.tx_hash.toLowerCase();
    const { rows } = await tx.query<{
      livemode: boolean;
      asset: string;
      token_address: string | null;
      address: string;
      counterparty: string;
      log_index: number;
      net: string;
    }>(
      `SELECT livemode, asset, token_address, address, counterparty, log_index, sum(amount_atomic)::text AS net
         FROM ledger_entries WHERE kind = 'sweep' AND chain_id = $1 AND tx_hash = $2
        GROUP BY livemode, asset, token_address, address, counterparty, log_index HAVING sum(amount_atomic) <> 0`,
      [sweep.chain_id, hash],
    );
    if (rows.length) {
      await this.append(
        tx,
        rows.map((r) => ({
          livemode: r.livemode,
          kind: 'sweep' as const,
          asset: r.asset,
          chain_id: sweep.chain_id,
          token_address: r.token_address,
          amount_atomic: -BigInt(r.net),
          address: r.address,
          counterparty: r.counterparty,
          tx_hash: hash,
          log_index: r.log_index,
          at: sweep.at,
        })),
      );
    }
    await this.reverseFee(tx, { chain_id: sweep.chain_id, tx_hash: hash, at: sweep.at });
    return rows.length;
  }

  /**
   * Reverses the net fee booked for a transaction that a chain reorganisation took away (its gas was
   * never paid): a `fee` entry of the opposite sign, for each mode and address that has one. Nothing
   * when no fee is booked, or it is reversed already. Returns whether it wrote an entry.
   */
  async reverseFee(
    tx: Queryable,
    fee: { chain_id: number; tx_hash: string; payout_id?: string | null; at: Date },
  ): Promise<boolean> {
    const { rows } = await tx.query<{ livemode: boolean; asset: string; address: string; net: string }>(
      `SELECT livemode, asset, address, sum(amount_atomic)::text AS net FROM ledger_entries
        WHERE kind = 'fee' AND chain_id = $1 AND tx_hash = $2
        GROUP BY livemode, asset, address HAVING sum(amount_atomic) <> 0`,
      [fee.chain_id, fee.tx_hash.toLowerCase()],
    );
    if (!rows.length) return false;
    await this.append(
      tx,
      rows.map((r) => ({
        livemode: r.livemode,
        kind: 'fee' as const,
        asset: r.asset,
        chain_id: fee.chain_id,
        token_address: null,
        amount_atomic: -BigInt(r.net),
        payout_id: fee.payout_id ?? null,
        address: r.address,
        tx_hash: fee.tx_hash.toLowerCase(),
        log_index: -1,
        at: fee.at,
      })),
    );
    return true;
  }

  /**
   * Balances per asset of one mode, derived from the ledger alone, for every configured asset (zero
   * where nothing happened yet) and any other asset with entries.
   */
  async balances(q: Queryable, livemode: boolean, onlyAsset?: string): Promise<AssetBalances[]> {
    const { rows } = await q.query<{
      asset: string;
      chain_id: number;
      token_address: string | null;
      kind: LedgerEntryKind | 'deposit_fee';
      total: string;
    }>(
      // A fee counts against the treasury only when a treasury paid it (an address that received a
      // sweep or paid a payout); against the deposit addresses when a deposit address paid it (the
      // TRX a TRON deposit address burns for its USDT sweep, topped up from the treasury); the
      // relayer's gas for a forwarder sweep is the merchant's expense but was never in either.
      `WITH fees AS (
         SELECT e.*, EXISTS (
           SELECT 1 FROM ledger_entries t WHERE t.chain_id = e.chain_id AND t.livemode = e.livemode
             AND ((t.kind = 'sweep' AND lower(t.counterparty) = lower(e.address))
               OR (t.kind IN ('payout_settle', 'treasury_funding') AND lower(t.address) = lower(e.address)))) AS by_treasury,
         EXISTS (
           SELECT 1 FROM ledger_entries r WHERE r.chain_id = e.chain_id AND r.livemode = e.livemode
             AND r.kind = 'receipt' AND lower(r.address) = lower(e.address)) AS by_deposit
         FROM ledger_entries e WHERE livemode = $1 AND ($2::text IS NULL OR asset = $2)
       )
       SELECT asset, chain_id::float8 AS chain_id, token_address,
         CASE WHEN kind = 'fee' AND NOT by_treasury THEN 'deposit_fee' ELSE kind END AS kind,
         sum(amount_atomic)::text AS total FROM fees
       WHERE kind <> 'fee' OR by_treasury OR by_deposit
       GROUP BY 1, 2, 3, 4`,
      [livemode, onlyAsset ?? null],
    );
    const byAsset = new Map<string, AssetBalances & { sums: Map<LedgerEntryKind | 'deposit_fee', bigint> }>();
    const entry = (asset: string, chainId: number, token: string | null) => {
      let b = byAsset.get(asset);
      if (!b) {
        b = {
          asset,
          chain_id: chainId,
          token_address: token,
          decimals: this.methods.get(asset)?.decimals ?? 0,
          received: 0n,
          in_deposit_addresses: 0n,
          in_treasury: 0n,
          pending_payouts: 0n,
          available: 0n,
          sums: new Map(),
        };
        byAsset.set(asset, b);
      }
      return b;
    };
    for (const method of this.methods.values()) {
      if (!onlyAsset || method.id === onlyAsset) entry(method.id, method.chain.id, method.token_address);
    }
    for (const row of rows) {
      const b = entry(row.asset, Number(row.chain_id), row.token_address);
      b.sums.set(row.kind, (b.sums.get(row.kind) ?? 0n) + BigInt(row.total));
    }
    return [...byAsset.values()].map(({ sums, ...b }) => {
      const sum = (kind: LedgerEntryKind | 'deposit_fee') => sums.get(kind) ?? 0n;
      const received = sum('receipt') + sum('receipt_reversal');
      const inTreasury = sum('sweep') + sum('treasury_funding') - sum('payout_settle') - sum('fee');
      const pending = sum('payout_reserve') + sum('payout_release') - sum('payout_settle');
      return {
        ...b,
        received,
        in_deposit_addresses: received - sum('sweep') - sum('deposit_fee'),
        in_treasury: inTreasury,
        pending_payouts: pending,
        available: inTreasury - pending,
      };
    });
  }

  /** One page of a mode's entries, oldest first, after the entry `afterId`. */
  async list(livemode: boolean, afterId: bigint, limit: number): Promise<LedgerEntryRecord[]> {
    const { rows } = await this.db.query<RawEntry>(
      `SELECT ${COLUMNS} FROM ledger_entries WHERE livemode = $1 AND id > $2::bigint ORDER BY id LIMIT $3`,
      [livemode, afterId.toString(), limit],
    );
    return rows.map(toRecord);
  }

  /** The entries of one payout or session, oldest first. */
  async entriesOf(ref: { payout_id?: string; session_id?: string }): Promise<LedgerEntryRecord[]> {
    const { rows } = await this.db.query<RawEntry>(
      `SELECT ${COLUMNS} FROM ledger_entries WHERE payout_id = $1 OR session_id = $2 ORDER BY id`,
      [ref.payout_id ?? null, ref.session_id ?? null],
    );
    return rows.map(toRecord);
  }

  /**
   * What the ledger says each address holds, per asset: receipts, sweeps and treasury funding in,
   * sweeps, payouts and fees out. `reconcile` holds it against the chain.
   */
  async holdings(livemode: boolean | null): Promise<
    {
      address: string;
      asset: string;
      chain_id: number;
      token_address: string | null;
      amount_atomic: bigint;
    }[]
  > {
    const { rows } = await this.db.query<{
      address: string;
      asset: string;
      chain_id: number;
      token_address: string | null;
      amount: string;
    }>(
      `SELECT lower(address) AS address, asset, chain_id::float8 AS chain_id, token_address, sum(delta)::text AS amount FROM (
         SELECT address, asset, chain_id, token_address, kind,
           CASE WHEN kind IN ('receipt', 'receipt_reversal', 'treasury_funding') THEN amount_atomic ELSE -amount_atomic END AS delta
         FROM ledger_entries
         WHERE kind IN ('receipt', 'receipt_reversal', 'sweep', 'payout_settle', 'fee', 'treasury_funding')
           AND ($1::boolean IS NULL OR livemode = $1)
         UNION ALL
         SELECT counterparty, asset, chain_id, token_address, kind, amount_atomic FROM ledger_entries
         WHERE kind = 'sweep' AND ($1::boolean IS NULL OR livemode = $1)
       ) moves WHERE address IS NOT NULL
       GROUP BY lower(address), asset, chain_id, token_address
       HAVING bool_or(kind <> 'fee')
       ORDER BY asset, lower(address)`,
      [livemode],
    );
    return rows.map((r) => ({
      address: r.address,
      asset: r.asset,
      chain_id: Number(r.chain_id),
      token_address: r.token_address,
      amount_atomic: BigInt(r.amount),
    }));
  }
}

/** An entry as the API and the CSV export show it. */
export function ledgerEntryView(e: LedgerEntryRecord, decimals: number): LedgerEntry {
  return {
    id: e.id.toString(),
    kind: e.kind,
    asset: e.asset,
    chain_id: e.chain_id,
    amount: formatAtomic(e.amount_atomic, decimals),
    session_id: e.session_id,
    payout_id: e.payout_id,
    address: e.address,
    counterparty: e.counterparty,
    tx_hash: e.tx_hash,
    created_at: e.created_at.toISOString(),
  };
}
