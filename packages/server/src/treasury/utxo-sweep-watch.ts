/**
 * Sees a Bitcoin-like chain's deposit coins spent, and books what it sees: whoever broadcast the
 * spend (the PSBT of `sweep --export` signed in the merchant's wallet, or any other spend of the
 * deposit addresses' coins), the watch-only wallet on the node lists it as a `send`, since the coins
 * were the wallet's. Each such transaction is decoded (`gettransaction … verbose`), its inputs matched
 * to the deposit coins the ledger received (the `transfers` table), its outputs to the treasury
 * addresses (`utxo-treasury.ts`), and one `sweeps` row is kept per deposit address:
 * - `submitted` while it is in the mempool or has fewer than the chain's confirmations;
 * - `confirmed` at the chain's confirmations: the ledger gets a `sweep` entry per deposit address
 *   (deposit address → treasury address) and a `fee` entry of the treasury address (inputs − outputs),
 *   so that `in_deposit_addresses` and `in_treasury` move to the satoshi;
 * - back to `submitted` (or `dropped`, conflicted or gone) when a reorganisation takes its block away:
 *   the ledger gets the same entries negated (it is append-only), and again the positive ones when it
 *   is confirmed anew;
 * - `needs_review` when any output goes anywhere but the treasury (or an input is no deposit coin the
 *   ledger knows): nothing is booked, the coins stay in `in_deposit_addresses`, a warning is logged
 *   and `reconcile` shows the difference until a person looks — money is never silently dropped.
 *
 * It also keeps the treasury's own watch-only wallet (`<wallet>-treasury`, the internal branch
 * m/…/1/*) on the node, whose coins `payouts export-psbt` spends, and settles the payouts exported
 * there: `confirmed` (a `payout_settle` per payout and the transaction's fee) once the exported
 * transaction has the chain's confirmations, `failed` (the reservation released) when it conflicts
 * or its coins were spent by another transaction. A confirmed payout whose transaction a
 * reorganisation takes below the chain's confirmations (within {@link UTXO_PAYOUT_RECHECK_MS} of its
 * confirmation) goes back to `submitted` as on EVM: the `payout_settle` and the fee again with the
 * opposite sign (append-only), webhook `payout.submitted`; mined again it is confirmed and booked
 * again, once; double-spent (its transaction conflicted, or a coin of it spent by another one) it
 * fails with the reason and its reservation released, webhook `payout.failed`.
 *
 * Runs on the instance that leads the chain's watch, beside the chain watcher (which opens the
 * deposit wallet). Ledger entries of UTXO sweeps carry no log index (a transaction's deposit address is the
 * key; `NULL` keeps the forwarder sweeps' unique index out of the way of the re-booking after a reorg).
 * @module
 */
import type { ChainConfig } from '../config.js';
import { toAtomic } from '../money.js';
import { NodeRpcError, type NodeRpc } from '../chain/utxo/node-rpc.js';
import { normalizeUtxoAddress, utxoNetworkOf, walletNameOf } from '../chain/utxo/utxo-chain.js';
import { lockUtxoTreasury } from '../store/utxo-treasury-lock.js';
import type { Database, Queryable } from '../store/database.js';
import type { Ledger, NewLedgerEntry } from './ledger.js';
import { openNodeWallet, type NodeWallet } from '../chain/utxo/node-wallet.js';
import { reserveEntry, type Payouts } from './payouts.js';
import {
  highestTreasuryIndex,
  treasuryAddresses,
  treasuryKeyOf,
  treasuryWalletNameOf,
} from './utxo-treasury.js';
import { runPeriodically } from './periodic-run.js';
import type { SweepHook } from '../webhooks/sweep-webhooks.js';
import type { WebhookSweepEventType } from '@crypto-checkout/protocol';

/**
 * How long after its confirmation a UTXO payout's transaction is checked to still have the chain's
 * confirmations: a day, far beyond any reorganisation seen on Bitcoin or Litecoin, and few
 * transactions (one `gettransaction` per payout transaction and pass).
 */
export const UTXO_PAYOUT_RECHECK_MS = 24 * 60 * 60 * 1_000;

/** Statuses of a UTXO sweep row (see the module comment). */
export type UtxoSweepStatus = 'submitted' | 'confirmed' | 'dropped' | 'needs_review';

/** A decoded wallet transaction, as `gettransaction <txid> true true` answers it (amounts as strings). */
interface WalletTransaction {
  confirmations: number;
  blockheight?: number;
  hex: string;
  decoded: {
    vin: { txid?: string; vout?: number }[];
    vout: { value: string; n: number; scriptPubKey: { address?: string; addresses?: string[] } }[];
  };
}

/** What one pass found, for logs and tests. */
export interface UtxoSweepWatchReport {
  /** Transactions looked at, by txid → the status their rows now have. */
  transactions: Map<string, UtxoSweepStatus>;
}

/** The watch of one chain; {@link startUtxoSweepWatch} runs it on a timer. */
export interface UtxoSweepWatch {
  readonly chain: ChainConfig;
  /** One pass: new spends found, open ones brought up to date. */
  syncOnce(): Promise<UtxoSweepWatchReport>;
}

/**
 * The sweep watch of `chain` (a UTXO chain whose watch-only wallet the chain watcher opens).
 * @example const watch = createUtxoSweepWatch({ chain, db, ledger, rpc, logger }); await watch.syncOnce();
 */
export function createUtxoSweepWatch(options: {
  chain: ChainConfig;
  db: Database;
  ledger: Ledger;
  rpc: NodeRpc;
  /** The payouts, to settle those exported by `payouts export-psbt`; without, none are settled. */
  payouts?: Payouts;
  /** Writes the sweep webhooks (webhooks/sweep-webhooks.ts); without, none are written. */
  onSweepChange?: SweepHook | undefined;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  clock?: () => Date;
}): UtxoSweepWatch {
  const { chain, db, ledger, rpc, logger, payouts } = options;
  let treasuryWallet: NodeWallet | null = null;
  const clock = options.clock ?? (() => new Date());
  const wallet = walletNameOf(chain);
  const reorgDepth = Math.max(32, chain.confirmations * 2);
  const native = ledger.methodOf(chain.id, null);
  const symbol = chain.native?.symbol ?? utxoNetworkOf(chain).coin;
  /** The height listed up to by the previous pass (`null`: the whole wallet history on the first). */
  let scannedTo: number | null = null;

  async function settle(
    txid: string,
    tip: number,
    mempool: () => Promise<Set<string>>,
  ): Promise<UtxoSweepStatus | null> {
    let tx: WalletTransaction;
    try {
      tx = await rpc<WalletTransaction>('gettransaction', [txid, true, true], wallet);
    } catch (error) {
      // -5: not in the wallet (it was never ours after all); nothing to book.
      if (error instanceof NodeRpcError && error.code === -5) return null;
      throw error;
    }
    const prevTxids = [...new Set(tx.decoded.vin.map((v) => v.txid).filter((t): t is string => !!t))];
    const { rows: coins } = await db.query<{
      tx_hash: string;
      log_index: number;
      address: string;
      amount: string;
      session_id: string;
      livemode: boolean;
      derivation_index: string | number | null;
    }>(
      `SELECT t.tx_hash, t.log_index, t.address, t.amount_atomic::text AS amount, t.session_id, s.livemode,
         coalesce(d.derivation_index, a.derivation_index) AS derivation_index
       FROM transfers t JOIN sessions s ON s.id = t.session_id
       LEFT JOIN deposits d ON d.session_id = t.session_id AND d.chain_id = t.chain_id AND d.address = t.address
       LEFT JOIN abandoned_deposits a ON a.session_id = t.session_id AND a.chain_id = t.chain_id AND a.address = t.address
       WHERE t.chain_id = $1 AND t.tx_hash = ANY($2::text[])`,
      [chain.id, prevTxids],
    );
    const coinOf = new Map(coins.map((c) => [`${c.tx_hash}:${c.log_index}`, c]));
    const spent = tx.decoded.vin.map((v) => coinOf.get(`${v.txid}:${v.vout}`));
    const ours = spent.filter((c): c is NonNullable<typeof c> => !!c);
    if (!ours.length) return null; // spends no deposit coin (a payout from the treasury, say)

    const treasury = await treasuryAddresses(db, chain);
    const outputs = tx.decoded.vout.map((o) => ({
      address: o.scriptPubKey.address ?? o.scriptPubKey.addresses?.[0] ?? null,
      amount: toAtomic(o.value, 8),
    }));
    const toTreasury = outputs.filter((o) => o.address && treasury.has(normalizeUtxoAddress(o.address)));
    const elsewhere = outputs.filter((o) => !o.address || !treasury.has(normalizeUtxoAddress(o.address)));
    const inputTotal = ours.reduce((sum, c) => sum + BigInt(c.amount), 0n);
    const fee = inputTotal - outputs.reduce((sum, o) => sum + o.amount, 0n);
    const foreignInputs = spent.length - ours.length;

    let inMempool = tx.confirmations === 0 && (await mempool()).has(txid);
    if (tx.confirmations === 0 && !inMempool) {
      // The pass's mempool may predate a block that mined it since: read the mempool afresh, then the
      // transaction (mined in between, it shows confirmations), before calling it dropped — a
      // `sweep.failed` webhook must not come from a race.
      inMempool = (await rpc<string[]>('getrawmempool')).includes(txid);
      tx = await rpc<WalletTransaction>('gettransaction', [txid, true, true], wallet);
    }
    let status: UtxoSweepStatus;
    const confirmations = tx.confirmations;
    if (confirmations >= chain.confirmations) status = 'confirmed';
    else if (confirmations > 0 || (confirmations === 0 && inMempool)) status = 'submitted';
    else status = 'dropped';
    let reviewReason: string | null = null;
    if (elsewhere.length || foreignInputs || toTreasury.length !== 1) {
      reviewReason = elsewhere.length
        ? `deposit coins sent outside the treasury: ${elsewhere
            .map((o) => `${o.amount} to ${o.address ?? 'a non-standard script'}`)
            .join(', ')}`
        : foreignInputs
          ? `${foreignInputs} input(s) are no deposit coin of this chain`
          : `${toTreasury.length} treasury outputs`;
      if (status !== 'dropped') status = 'needs_review';
    }
    const treasuryOut = toTreasury[0]?.address ?? elsewhere[0]?.address ?? '';
    const byAddress = new Map<string, { amount: bigint; coin: (typeof ours)[number] }>();
    for (const coin of ours) {
      const at = byAddress.get(coin.address);
      byAddress.set(coin.address, {
        amount: (at?.amount ?? 0n) + BigInt(coin.amount),
        coin: at?.coin ?? coin,
      });
    }
    const blockNumber = confirmations > 0 ? (tx.blockheight ?? tip - confirmations + 1) : null;
    const now = clock();

    await db.transaction(async (q) => {
      await lockUtxoTreasury(q, chain.id);
      const { rows: before } = await q.query<{ status: string }>(
        'SELECT status FROM sweeps WHERE chain_id = $1 AND tx_hash = $2 LIMIT 1',
        [chain.id, txid],
      );
      for (const [address, { amount, coin }] of byAddress) {
        await q.query(
          `INSERT INTO sweeps (chain_id, tx_hash, address, derivation_index, token_symbol, token_address,
             treasury_address, planned_atomic, amount_atomic, status, batch_deposits, gas_share, block_number,
             relayer_address, nonce, raw_tx, created_at, updated_at, review_reason)
           VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, $11, $12, '', 0, $13, $14, $14, $15)
           ON CONFLICT (chain_id, tx_hash, address, token_symbol) DO UPDATE SET status = EXCLUDED.status,
             amount_atomic = EXCLUDED.amount_atomic, block_number = EXCLUDED.block_number,
             treasury_address = EXCLUDED.treasury_address, review_reason = EXCLUDED.review_reason,
             updated_at = EXCLUDED.updated_at
           WHERE sweeps.status IS DISTINCT FROM EXCLUDED.status OR sweeps.block_number IS DISTINCT FROM EXCLUDED.block_number`,
          [
            chain.id,
            txid,
            address,
            Number(coin.derivation_index ?? -1),
            symbol,
            treasuryOut,
            amount.toString(),
            status === 'confirmed' ? amount.toString() : null,
            status,
            byAddress.size,
            fee.toString(),
            blockNumber,
            tx.hex,
            now,
            reviewReason,
          ],
        );
      }
      await bookInLedger(q, {
        txid,
        booked: status === 'confirmed',
        treasury: treasuryOut,
        fee,
        deposits: [...byAddress].map(([address, { amount, coin }]) => ({
          address,
          amount,
          livemode: coin.livemode,
          session_id: coin.session_id,
        })),
        now,
      });
      if (before[0]?.status !== status) {
        await options.onSweepChange?.(q, {
          chain_id: chain.id,
          tx_hash: txid,
          type: sweepEventOf(before[0]?.status, status),
        });
        const log = status === 'needs_review' ? logger.warn : logger.info;
        log.call(
          logger,
          {
            chain: chain.key,
            txid,
            status,
            deposits: byAddress.size,
            amount_atomic: inputTotal.toString(),
            ...(reviewReason ? { review_reason: reviewReason } : {}),
          },
          status === 'needs_review'
            ? 'deposit coins spent outside the treasury: review this sweep (nothing was booked)'
            : 'UTXO sweep seen',
        );
      }
    });
    return status;
  }

  /** Brings the ledger's entries of one sweep transaction to what it should hold: all or nothing. */
  async function bookInLedger(
    q: Queryable,
    sweep: {
      txid: string;
      booked: boolean;
      treasury: string;
      fee: bigint;
      deposits: { address: string; amount: bigint; livemode: boolean; session_id: string }[];
      now: Date;
    },
  ): Promise<void> {
    const { rows } = await q.query<{ kind: string; address: string; net: string }>(
      `SELECT kind, address, sum(amount_atomic)::text AS net FROM ledger_entries
       WHERE chain_id = $1 AND tx_hash = $2 AND kind IN ('sweep', 'fee') GROUP BY kind, address`,
      [chain.id, sweep.txid],
    );
    const net = new Map(rows.map((r) => [`${r.kind}:${r.address}`, BigInt(r.net)]));
    const asset = native?.id ?? `${symbol.toLowerCase()}@${chain.id}`;
    const entries: NewLedgerEntry[] = [];
    for (const d of sweep.deposits) {
      const delta = (sweep.booked ? d.amount : 0n) - (net.get(`sweep:${d.address}`) ?? 0n);
      if (delta === 0n) continue;
      entries.push({
        livemode: d.livemode,
        kind: 'sweep',
        asset,
        chain_id: chain.id,
        token_address: null,
        amount_atomic: delta,
        session_id: d.session_id,
        address: d.address,
        counterparty: sweep.treasury,
        tx_hash: sweep.txid,
        log_index: null,
        at: sweep.now,
      });
    }
    const feeNet = [...net].filter(([k]) => k.startsWith('fee:')).reduce((sum, [, v]) => sum + v, 0n);
    const feeDelta = (sweep.booked ? sweep.fee : 0n) - feeNet;
    if (feeDelta !== 0n) {
      entries.push({
        livemode: sweep.deposits[0]!.livemode,
        kind: 'fee',
        asset,
        chain_id: chain.id,
        token_address: null,
        amount_atomic: feeDelta,
        address: sweep.treasury,
        tx_hash: sweep.txid,
        log_index: -1,
        at: sweep.now,
      });
    }
    if (entries.length) await ledger.append(q, entries);
  }

  return {
    chain,
    async syncOnce() {
      const report: UtxoSweepWatchReport = { transactions: new Map() };
      if (!(await rpc<string[]>('listwallets')).includes(wallet)) return report; // not opened yet
      const tip = await rpc<number>('getblockcount');
      const top = await highestTreasuryIndex(db, chain);
      treasuryWallet ??= await openNodeWallet({
        rpc,
        name: treasuryWalletNameOf(chain),
        key: treasuryKeyOf(chain),
        fromIndex: 0,
        highestIndex: Math.max(0, top),
        branch: 1,
      });
      await treasuryWallet.ensureRange(Math.max(0, top));
      const since =
        scannedTo === null ? '' : await rpc<string>('getblockhash', [Math.max(0, scannedTo - reorgDepth)]);
      const list = await rpc<{
        transactions: { category: string; txid: string }[];
        removed?: { category: string; txid: string }[];
      }>('listsinceblock', [since, 1, true, true], wallet);
      const txids = new Set(
        [...list.transactions, ...(list.removed ?? [])]
          .filter((e) => e.category === 'send')
          .map((e) => e.txid),
      );
      // Rows not final yet, looked at again: unmined ones, mined ones still within reach of a
      // reorganisation, and dropped ones for a day (a dropped transaction may be broadcast again).
      const { rows } = await db.query<{ tx_hash: string }>(
        `SELECT DISTINCT tx_hash FROM sweeps WHERE chain_id = $1 AND relayer_address = ''
           AND ((block_number IS NULL AND status <> 'dropped') OR block_number > $2
             OR (status = 'dropped' AND updated_at > $3))`,
        [chain.id, tip - reorgDepth, new Date(clock().getTime() - 86_400_000)],
      );
      for (const r of rows) txids.add(r.tx_hash);
      let pool: Set<string> | null = null;
      const mempool = async () => (pool ??= new Set(await rpc<string[]>('getrawmempool')));
      for (const txid of txids) {
        const status = await settle(txid, tip, mempool);
        if (status) report.transactions.set(txid, status);
      }
      if (payouts) await settlePayouts(payouts);
      scannedTo = tip;
      return report;
    },
  };

  /**
   * Puts back to `submitted` the payouts confirmed in the last {@link UTXO_PAYOUT_RECHECK_MS} whose
   * transaction a reorganisation took below the chain's confirmations, with compensating entries.
   */
  async function recheckConfirmedPayouts(store: Payouts): Promise<void> {
    const { rows } = await db.query<{ id: string; tx_hash: string }>(
      `SELECT id, tx_hash FROM payouts WHERE chain_id = $1 AND status = 'confirmed' AND tx_hash IS NOT NULL
         AND updated_at > $2 ORDER BY updated_at, id`,
      [chain.id, new Date(clock().getTime() - UTXO_PAYOUT_RECHECK_MS)],
    );
    const confirmationsOf = new Map<string, number | null>();
    for (const { tx_hash: txid } of rows) {
      if (confirmationsOf.has(txid)) continue;
      try {
        const tx = await rpc<{ confirmations: number }>(
          'gettransaction',
          [txid, true],
          treasuryWalletNameOf(chain),
        );
        confirmationsOf.set(txid, tx.confirmations);
      } catch (error) {
        // Not in the treasury wallet (a wallet rebuilt from scratch): nothing to judge by, left alone.
        if (!(error instanceof NodeRpcError) || error.code !== -5) throw error;
        confirmationsOf.set(txid, null);
      }
    }
    for (const { id, tx_hash: txid } of rows) {
      const confirmations = confirmationsOf.get(txid);
      if (confirmations === null || confirmations === undefined || confirmations >= chain.confirmations)
        continue;
      const now = clock();
      const back = await store.transaction(async (q) => {
        const current = await store.lockById(q, id);
        if (current?.status !== 'confirmed' || current.tx_hash !== txid) return false;
        await ledger.append(q, [
          {
            ...reserveEntry(current, 'payout_settle', -current.amount_atomic, now),
            address: current.source_address,
            tx_hash: txid,
            log_index: current.log_index,
          },
        ]);
        // Once per transaction, however many payouts it carries (nothing when reversed already).
        await ledger.reverseFee(q, { chain_id: chain.id, tx_hash: txid, payout_id: current.id, at: now });
        // The exported transaction keeps its id and output: the same one mined again confirms it.
        await store.transition(q, current, 'submitted');
        return true;
      });
      if (back)
        logger.warn(
          { chain: chain.key, txid, payout: id, confirmations },
          'a confirmed UTXO payout lost its confirmations in a reorganisation: reversed in the ledger, submitted again',
        );
    }
  }

  /** Confirms or fails the submitted payouts of the chain by what the treasury wallet shows of their transaction. */
  async function settlePayouts(store: Payouts): Promise<void> {
    await recheckConfirmedPayouts(store);
    const submitted = await store.inStatus(db, chain.id, 'submitted');
    const byTx = new Map<string, typeof submitted>();
    for (const p of submitted) {
      if (!p.tx_hash) continue;
      byTx.set(p.tx_hash, [...(byTx.get(p.tx_hash) ?? []), p]);
    }
    for (const [txid, group] of byTx) {
      let tx: { confirmations: number; fee?: string } | null = null;
      try {
        tx = await rpc<{ confirmations: number; fee?: string }>(
          'gettransaction',
          [txid, true],
          treasuryWalletNameOf(chain),
        );
      } catch (error) {
        if (!(error instanceof NodeRpcError) || error.code !== -5) throw error;
      }
      let failure: string | null = null;
      if (tx === null || tx.confirmations < 0) {
        // Not broadcast (yet), or conflicted: failed only once one of its coins is spent by another.
        const { rows: coins } = await db.query<{ txid: string; vout: number }>(
          'SELECT txid, vout FROM utxo_reservations WHERE chain_id = $1 AND expected_txid = $2',
          [chain.id, txid],
        );
        for (const coin of coins) {
          if ((await rpc('gettxout', [coin.txid, coin.vout, true])) === null) {
            failure = `coin ${coin.txid}:${coin.vout} of the exported transaction ${txid} was spent by another transaction`;
            break;
          }
        }
        if (tx && tx.confirmations < 0)
          failure ??= `the exported transaction ${txid} conflicts with a mined one`;
        if (!failure) continue;
      } else if (tx.confirmations < chain.confirmations) continue;
      const now = clock();
      await store.transaction(async (q) => {
        for (const payout of group) {
          const current = await store.lockById(q, payout.id);
          if (current?.status !== 'submitted') continue;
          if (failure) {
            await ledger.append(q, [reserveEntry(current, 'payout_release', -current.amount_atomic, now)]);
            await store.transition(q, current, 'failed', { failure_reason: failure });
            continue;
          }
          await ledger.append(q, [
            {
              ...reserveEntry(current, 'payout_settle', current.amount_atomic, now),
              address: current.source_address,
              tx_hash: txid,
              log_index: current.log_index,
            },
          ]);
          // One fee per transaction, however many payouts it carries (the wallet's fee is negative).
          if (tx?.fee !== undefined)
            await ledger.recordFee(q, {
              livemode: current.livemode,
              chain_id: chain.id,
              address: current.source_address!,
              tx_hash: txid,
              amount_atomic: toAtomic(tx.fee.replace(/^-/, ''), 8),
              payout_id: current.id,
              at: now,
            });
          await store.transition(q, current, 'confirmed');
        }
      });
      logger.info(
        { chain: chain.key, txid, payouts: group.length, ...(failure ? { failure } : {}) },
        failure ? 'UTXO payouts failed' : 'UTXO payouts confirmed',
      );
    }
  }
}

/**
 * The webhook of a UTXO sweep's change of status: leaving `confirmed` (a reorganisation took its
 * block, or it conflicted after all) is `sweep.reversed` — its booking is taken back in the same
 * transaction — whatever it is now (`data.status` says); otherwise `sweep.<status>`, `dropped`
 * being `sweep.failed` (nothing moved).
 */
function sweepEventOf(before: string | undefined, now: UtxoSweepStatus): WebhookSweepEventType {
  if (before === 'confirmed') return 'sweep.reversed';
  if (now === 'dropped') return 'sweep.failed';
  return `sweep.${now}`;
}

/**
 * Runs a sweep watch every `tickMs` while `leads()` says this instance leads the chain's watch.
 * @example const running = startUtxoSweepWatch(watch, { tickMs: 2_000, leads: () => true, logger }); await running.stop();
 */
export function startUtxoSweepWatch(
  watch: UtxoSweepWatch,
  options: { tickMs: number; leads?: () => boolean; logger?: { warn(obj: object, msg: string): void } },
): { stop(): Promise<void> } {
  return runPeriodically(() => watch.syncOnce(), {
    tickMs: options.tickMs,
    chain: watch.chain.key,
    failure: 'UTXO sweep watch failed',
    leads: options.leads,
    logger: options.logger,
  });
}
