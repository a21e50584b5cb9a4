/**
 * Books the sweeps of an EVM chain in xpub mode from what the chain shows, as the forwarder
 * sweeper's `adoptExternal`, the UTXO sweep watch and the TRON treasury watch do for theirs: the
 * server signs nothing, so what the merchant signed from a `sweep --export` file is found on chain
 * and booked, once.
 *
 * `sweep --export` records each unsigned transaction it writes as an `exported` row (migration 29):
 * its deposit address, nonce and destination, and the block the chain was at. An EIP-1559
 * transaction's hash depends on its signature, so the watch finds the signed one by what is known:
 * once the address's nonce count at the last confirmed block (`confirmations` deep) is past the
 * row's nonce, a binary search over `eth_getTransactionCount` at past blocks (from the export's block)
 * finds the block that used the nonce, and the transaction from that address with that nonce in it.
 * Then, in one database transaction with the row:
 * - reverted: `failed` (nothing moved), the gas a `fee` entry of the deposit address (it paid it);
 * - everything it moved (its coin, the configured tokens' `Transfer` logs from the address) went to
 *   the export's destination (or the chain's `treasury_address`): `confirmed`, a `sweep` entry per
 *   transfer and the gas a `fee` entry; webhook `sweep.confirmed`;
 * - something went elsewhere: `needs_review` with what went where — never booked as a sweep
 *   (what went to the destination is), the gas a `fee` entry; webhook `sweep.needs_review`;
 * - it moved nothing (the merchant's wallet cancelled it with a zero-value transaction): `dropped`,
 *   its deposits are planned again by the next export; the gas a `fee` entry.
 * A transaction is only looked at once `confirmations` deep; a reorganisation deeper than that is not
 * taken back (as on TRON with `"finality": "confirmations"`). A full node answers nonce counts at
 * recent blocks only (geth keeps 128): each pass that finds a nonce still unused moves its row's
 * `export_block` up to there, so that the search, after a restart too, spans only the blocks since;
 * a nonce the node cannot search (used where it keeps no state) is neither booked nor guessed — its
 * row stays `exported`, a warning is logged, the other rows go on (an archive node finds it). Money moved from a deposit address
 * without an export (the merchant's own wallet, by hand) is not found here: `reconcile` shows it.
 * @module
 */
import { decodeEventLog, parseAbiItem, type Address, type Hash, type PublicClient } from 'viem';
import type { ChainConfig } from '../config.js';
import type { Queryable } from '../store/database.js';
import type { ExportResolution, ExportedSweep, SweepStore } from '../store/sweep-store.js';
import type { Ledger } from './ledger.js';
import { runPeriodically } from './periodic-run.js';

const TRANSFER_EVENT = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

/** What one pass did, for logs and tests. */
export interface XpubSweepWatchReport {
  confirmed: number;
  failed: number;
  reviews: number;
  dropped: number;
  /** Exported transactions whose nonce is not used yet (not signed, or not confirmed yet). */
  waiting: number;
}

/** The watch of one xpub-mode EVM chain; {@link startXpubSweepWatch} runs it on a timer. */
export interface XpubSweepWatch {
  readonly chain: ChainConfig;
  /** One pass over the chain's exported transactions. */
  syncOnce(): Promise<XpubSweepWatchReport>;
}

/** One transfer out of a deposit address in the transaction that used an exported nonce. */
interface Move {
  symbol: string;
  /** Lower-case token contract, `null` for the native coin. */
  token: Address | null;
  to: string;
  amount: bigint;
  /** The `Transfer` log's index; -1 for the native coin (no log). */
  log_index: number;
}

/**
 * The xpub sweep watch of `chain` (an EVM chain in xpub mode); `store` writes the sweep webhooks
 * when built with the sweep hook.
 * @example const watch = createXpubSweepWatch({ chain, store: new SweepStore(db, { onChange }), ledger, client, logger }); await watch.syncOnce();
 */
export function createXpubSweepWatch(options: {
  chain: ChainConfig;
  store: SweepStore;
  ledger: Ledger;
  client: PublicClient;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined;
  clock?: () => Date;
}): XpubSweepWatch {
  const { chain, store, ledger, client, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const native = chain.native?.symbol ?? 'ETH';
  const tokens = new Map(chain.tokens.map((t) => [t.address.toLowerCase(), t.symbol]));

  /**
   * Per address, the last confirmed block a pass saw and the nonce count there: a nonce at or above
   * that count was unused up to that block, so the search for it starts there, not at the export's
   * block — a full node answers nonces only at recent blocks (geth keeps 128), and an export may wait
   * days for its signature. After a restart the search starts at the row's `export_block`, which
   * each pass that saw the nonce unused moved up (`advanceExportBlock`).
   */
  const lastSeen = new Map<string, { block: number; count: number }>();

  const nonceAt = (address: Address, block: number) =>
    client.getTransactionCount({ address, blockNumber: BigInt(block) });

  /** The first block in (`after`, `upTo`] whose nonce count at `address` is past `nonce`. */
  async function blockUsing(address: Address, nonce: number, after: number, upTo: number): Promise<number> {
    let lo = after;
    let hi = upTo;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await nonceAt(address, mid)) > nonce) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** What the transaction moved out of `from`: its coin and the configured tokens' transfers. */
  function movesOf(
    from: string,
    tx: { to: Address | null; value: bigint },
    logs: {
      address: Address;
      data: `0x${string}`;
      topics: [`0x${string}`, ...`0x${string}`[]] | [];
      logIndex: number | null;
    }[],
  ): Move[] {
    const moves: Move[] = [];
    if (tx.value > 0n && tx.to)
      moves.push({ symbol: native, token: null, to: tx.to.toLowerCase(), amount: tx.value, log_index: -1 });
    for (const log of logs) {
      const symbol = tokens.get(log.address.toLowerCase());
      if (!symbol || log.logIndex === null) continue;
      try {
        const event = decodeEventLog({ abi: [TRANSFER_EVENT], data: log.data, topics: log.topics });
        if (event.args.from.toLowerCase() !== from || event.args.value === 0n) continue;
        moves.push({
          symbol,
          token: log.address.toLowerCase() as Address,
          to: event.args.to.toLowerCase(),
          amount: event.args.value,
          log_index: log.logIndex,
        });
      } catch {
        // Not a Transfer.
      }
    }
    return moves;
  }

  /** Books one exported row from the transaction that used its nonce; returns its new status, or null. */
  async function settle(row: ExportedSweep, confirmed: number): Promise<ExportResolution['status'] | null> {
    const from = row.address as Address;
    const seen = lastSeen.get(row.address);
    const after = Math.max(
      row.export_block - 1,
      seen && seen.count <= row.nonce && seen.block < confirmed ? seen.block : 0,
      0,
    );
    const block = await blockUsing(from, row.nonce, after, confirmed);
    const found = await client.getBlock({ blockNumber: BigInt(block), includeTransactions: true });
    const tx = found.transactions.find((t) => t.from.toLowerCase() === row.address && t.nonce === row.nonce);
    if (!tx) {
      logger?.warn(
        { chain: chain.key, address: row.address, nonce: row.nonce, block },
        'exported sweep: its nonce is used but no transaction of it was found; looked for again next pass',
      );
      return null;
    }
    const receipt = await client.getTransactionReceipt({ hash: tx.hash });
    const destinations = new Set([row.treasury_address, chain.treasury_address?.toLowerCase()]);
    const moves = receipt.status === 'success' ? movesOf(row.address, tx, receipt.logs) : [];
    const elsewhere = moves.filter((m) => !destinations.has(m.to));
    const status: ExportResolution['status'] =
      receipt.status !== 'success'
        ? 'failed'
        : !moves.length
          ? 'dropped'
          : elsewhere.length
            ? 'needs_review'
            : 'confirmed';
    const swept = moves.filter((m) => destinations.has(m.to));
    const now = clock();
    const outcome: ExportResolution = {
      tx_hash: tx.hash.toLowerCase() as Hash,
      status,
      amount_atomic: swept.filter((m) => m.symbol === row.token_symbol).reduce((a, m) => a + m.amount, 0n),
      tx_gas_used: receipt.gasUsed,
      effective_gas_price: receipt.effectiveGasPrice,
      block_number: Number(receipt.blockNumber),
      review_reason:
        status === 'needs_review'
          ? `${elsewhere.map((m) => `${m.amount} ${m.symbol} (atomic) to ${m.to}`).join(', ')}: not the export's destination ${row.treasury_address}`
          : status === 'dropped'
            ? `nonce ${row.nonce} went to transaction ${tx.hash}, which moved nothing`
            : null,
      // As the other rails' review rows: where the money went instead, the page and webhook show it.
      to: elsewhere[0]?.to ?? row.treasury_address,
    };
    const done = await store.transaction(async (q: Queryable) => {
      if (!(await store.resolveExport(q, row, outcome, now))) return false;
      // Other assets the same transaction swept (not what was exported): rows of their own.
      const others = new Map<string, Move[]>();
      for (const m of swept)
        if (m.symbol !== row.token_symbol) others.set(m.symbol, [...(others.get(m.symbol) ?? []), m]);
      await store.insertPending(
        q,
        [...others.values()].map((list) => ({
          ...row,
          tx_hash: outcome.tx_hash,
          token_symbol: list[0]!.symbol,
          token_address: list[0]!.token,
          planned_atomic: 0n,
          amount_atomic: list.reduce((a, m) => a + m.amount, 0n),
          status: 'confirmed',
          tx_gas_used: receipt.gasUsed,
          gas_share: 0n,
          effective_gas_price: receipt.effectiveGasPrice,
          block_number: outcome.block_number,
          created_at: now,
          updated_at: now,
        })),
      );
      const livemode = (await store.livemodes(q, chain.id, [row.address])).get(row.address);
      if (livemode === undefined) {
        logger?.warn(
          { chain: chain.key, tx: outcome.tx_hash, address: row.address },
          'exported sweep of an address of no session: not in the ledger',
        );
      } else {
        for (const m of swept) {
          const method = ledger.methodOf(chain.id, m.token);
          if (!method) {
            logger?.warn(
              { chain: chain.key, tx: outcome.tx_hash, asset: m.symbol },
              'swept transfer of an unconfigured asset: not in the ledger',
            );
            continue;
          }
          await ledger.recordSweep(q, {
            livemode,
            asset: method.id,
            from: row.address,
            to: m.to,
            amount_atomic: m.amount,
            tx_hash: outcome.tx_hash,
            log_index: m.log_index,
            at: now,
          });
        }
        // The deposit address paid its own gas, from the coin the ledger counts in it.
        await ledger.recordFee(q, {
          livemode,
          chain_id: chain.id,
          address: row.address,
          tx_hash: outcome.tx_hash,
          amount_atomic: receipt.gasUsed * receipt.effectiveGasPrice,
          at: now,
        });
      }
      // An export that never reached the chain announced nothing: a dropped one sends no webhook.
      if (status !== 'dropped')
        await store.notify(q, {
          chain_id: chain.id,
          tx_hash: outcome.tx_hash,
          type:
            status === 'confirmed'
              ? 'sweep.confirmed'
              : status === 'failed'
                ? 'sweep.failed'
                : 'sweep.needs_review',
        });
      return true;
    });
    if (!done) return null;
    const log = status === 'confirmed' ? logger?.info : logger?.warn;
    log?.call(
      logger,
      {
        chain: chain.key,
        tx: outcome.tx_hash,
        address: row.address,
        status,
        review_reason: outcome.review_reason,
      },
      'exported sweep found on chain',
    );
    return status;
  }

  return {
    chain,
    async syncOnce() {
      const report: XpubSweepWatchReport = { confirmed: 0, failed: 0, reviews: 0, dropped: 0, waiting: 0 };
      const rows = await store.exported(chain.id);
      if (!rows.length) return report;
      const confirmed = Number(await client.getBlockNumber()) - chain.confirmations + 1;
      const used = new Map<string, number>();
      for (const row of rows) {
        let count = used.get(row.address);
        if (count === undefined) {
          count = await nonceAt(row.address as Address, confirmed);
          used.set(row.address, count);
        }
        if (count <= row.nonce) {
          report.waiting += 1;
          // Unused up to `confirmed`: the search starts there, after a restart too (lastSeen is lost).
          await store.advanceExportBlock(row, confirmed + 1);
          continue;
        }
        let status: ExportResolution['status'] | null;
        try {
          status = await settle(row, confirmed);
        } catch (error) {
          // The node cannot answer the search (no state at the blocks it needs: a full node keeps
          // recent blocks only) or failed: nothing is booked or guessed for this row, which stays
          // exported (the merchant page shows it) and is searched again next pass; the others go on.
          report.waiting += 1;
          logger?.warn(
            { chain: chain.key, address: row.address, nonce: row.nonce, err: error },
            'exported sweep: its nonce is used but the node cannot say where (an archive node can); not booked, looked for again next pass',
          );
          continue;
        }
        if (status === 'confirmed') report.confirmed += 1;
        else if (status === 'failed') report.failed += 1;
        else if (status === 'needs_review') report.reviews += 1;
        else if (status === 'dropped') report.dropped += 1;
      }
      // After the searches, which started from the previous pass's block.
      for (const [address, count] of used) lastSeen.set(address, { block: confirmed, count });
      return report;
    },
  };
}

/**
 * Runs an xpub sweep watch every `tickMs` while `leads()` says this instance leads the chain's watch.
 * @example const running = startXpubSweepWatch(watch, { tickMs: 5_000, leads: () => true, logger }); await running.stop();
 */
export function startXpubSweepWatch(
  watch: XpubSweepWatch,
  options: { tickMs: number; leads?: () => boolean; logger?: { warn(obj: object, msg: string): void } },
): { stop(): Promise<void> } {
  return runPeriodically(() => watch.syncOnce(), {
    tickMs: options.tickMs,
    chain: watch.chain.key,
    failure: 'xpub sweep watch failed',
    leads: options.leads,
    logger: options.logger,
  });
}
