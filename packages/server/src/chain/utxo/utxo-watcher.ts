/**
 * Watches a Bitcoin-like chain (Bitcoin, Litecoin) for payments to deposit addresses through a
 * watch-only wallet on the merchant's node (`node-wallet.ts`). Each tick:
 * 1. reads the tip; checks that the block at the cursor still has the stored hash, else walks back to
 *    the common ancestor and undoes everything above it (`rewindChain`, as the EVM watcher does);
 * 2. refreshes the deposit addresses and keeps the wallet's imported range ahead of them;
 * 3. asks `listsinceblock <cursor's block>` for every wallet transaction since (mined ones with
 *    their block, mempool ones with 0 confirmations, conflicted ones with negative confirmations, and
 *    `removed`: those of blocks since disconnected) and the mempool's contents;
 * 4. records it with {@link SessionService.recordWalletSync} in one fenced transaction: mined
 *    payments at their block, mempool payments at {@link UNCONFIRMED_BLOCK} (processing with 0
 *    confirmations, never paid), and removes what no longer stands: a payment replaced by a fee bump
 *    (RBF; the wallet keeps both, only one is in the mempool), dropped, conflicted or reorged out.
 *
 * Several outputs to one address (and several transactions) are several transfers, summed by the
 * session state. Amounts are exact (the RPC client reads them as decimal strings). A restart resumes
 * at the stored cursor; anything seen twice is written once (keyed by txid and output index).
 * @module
 */
import { toAtomic } from '../../money.js';
import { ChainCursorMovedError, UNCONFIRMED_BLOCK, type TransferRecord } from '../../store/session-store.js';
import { AddressBook } from '../address-book.js';
import { rewindAfterReorg } from '../rewind-after-reorg.js';
import type { ChainWatcher, ChainWatcherOptions, ChainWatcherStatus } from '../family.js';
import { parseUtxoAccountKey } from './account-key.js';
import { nodeRpc, type NodeRpc } from './node-rpc.js';
import { openNodeWallet, type NodeWallet } from './node-wallet.js';
import { normalizeUtxoAddress, utxoNetworkOf, walletNameOf } from './utxo-chain.js';

/** Longest pause between retries while the node is unreachable. */
const MAX_BACKOFF_MS = 30_000;

/** One entry of `listsinceblock`'s `transactions` or `removed`. */
interface WalletEntry {
  category: string;
  address?: string;
  /** Decimal string (see node-rpc.ts). */
  amount: string;
  vout: number;
  txid: string;
  confirmations: number;
  blockhash?: string;
  blockheight?: number;
  blocktime?: number;
  timereceived?: number;
}

/** Thrown when the chain changed while the watcher read it; the next tick starts over. */
class ChainChangedError extends Error {
  override name = 'ChainChangedError';
}

/**
 * Starts watching one UTXO chain (see the module comment).
 * @example const watcher = startUtxoWatcher({ chain, sessions, logger }); await watcher.stop();
 */
export function startUtxoWatcher(options: ChainWatcherOptions & { rpc?: NodeRpc }): ChainWatcher {
  const { chain, sessions, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const network = utxoNetworkOf(chain);
  const key = parseUtxoAccountKey(chain.xpub!, network, chain.address_type);
  const rpc = options.rpc ?? nodeRpc(chain.rpc_url, { chain: chain.key, observe: options.observeRpc });
  const book = new AddressBook(sessions, normalizeUtxoAddress);
  /** Block hashes are kept this deep below the tip to notice reorganisations. */
  const reorgDepth = Math.max(32, chain.confirmations * 2);
  const decimals = chain.native?.decimals ?? 8;
  const symbol = chain.native?.symbol ?? network.coin;
  let wallet: NodeWallet | null = null;
  const health: ChainWatcherStatus = {
    chain: chain.key,
    startedAt: clock(),
    lastSuccessAt: null,
    lastNewHeadAt: null,
    head: null,
    processed: null,
    detection: 'polling',
  };

  const header = (hash: string) =>
    rpc<{ hash: string; height: number; previousblockhash?: string }>('getblockheader', [hash]);

  async function syncOnce(): Promise<void> {
    const tip = await rpc<number>('getblockcount');
    health.lastSuccessAt = clock();
    if (tip !== health.head) {
      health.head = tip;
      health.lastNewHeadAt = health.lastSuccessAt;
    }
    let stored = await sessions.chainCursor(chain.id);
    let cursor = stored ?? (chain.start_block ?? tip) - 1;
    if (stored === null) logger.info({ chain: chain.key, from: cursor + 1 }, 'chain watcher starts');
    const known = stored !== null && cursor >= 0 ? await sessions.storedBlockHash(chain.id, cursor) : null;
    if (known !== null && (cursor > tip || (await rpc<string>('getblockhash', [cursor])) !== known)) {
      cursor = stored = await rewindAfterReorg({
        chain,
        sessions,
        logger,
        cursor,
        head: tip,
        reorgDepth,
        hashAt: (n) => rpc<string>('getblockhash', [n]),
      });
    }

    await book.refresh(clock()); // after reading the tip, see AddressBook.refresh
    if (!wallet) {
      const highWater = Math.max(book.highestIndex, await sessions.derivationHighWater());
      wallet = await openNodeWallet({
        rpc,
        name: walletNameOf(chain),
        key,
        fromIndex: book.lowestIndex ?? highWater,
        highestIndex: highWater,
      });
      logger.info(
        {
          chain: chain.key,
          wallet: wallet.name,
          descriptors: wallet.descriptors,
          imported_to: wallet.importedTo(),
        },
        'watch-only wallet ready; the node derives the same addresses as the server',
      );
    }
    // The sequence's high water, not the book's highest deposit: the sequence is shared by every
    // chain, and the EVM and TRON derivation pools reserve indexes ahead in bulk, so this chain's
    // next index may lie further above the highest deposit stored than the wallet's margin.
    await wallet.ensureRange(Math.max(book.highestIndex, await sessions.derivationHighWater()));

    const since = cursor >= 0 ? await rpc<string>('getblockhash', [cursor]) : '';
    const list = await rpc<{ transactions: WalletEntry[]; removed?: WalletEntry[]; lastblock: string }>(
      'listsinceblock',
      [since, 1, true, true],
      wallet.name,
    );
    const mempool = new Set(await rpc<string[]>('getrawmempool'));
    const last = await header(list.lastblock);
    if (last.height < cursor)
      throw new ChainChangedError(`the tip went back to ${last.height} while reading`);

    // The hashes of the newest blocks up to `last`, walking back by parent hash (so they link).
    const blocks: { number: number; hash: string; parent_hash: string }[] = [];
    const keepFrom = last.height - reorgDepth + 1;
    for (let at = last; at.height > cursor && at.height >= keepFrom && at.previousblockhash;) {
      blocks.push({ number: at.height, hash: at.hash, parent_hash: at.previousblockhash });
      if (at.height - 1 <= cursor || at.height - 1 < keepFrom) break;
      at = await header(at.previousblockhash);
    }
    const oldest = blocks.at(-1);
    if (oldest && oldest.number === cursor + 1 && since && oldest.parent_hash !== since) {
      throw new ChainChangedError(`block ${oldest.number} does not extend block ${cursor}`);
    }

    const now = clock();
    const standing = new Map<string, TransferRecord>();
    const gone = new Map<string, { tx_hash: string; log_index: number }>();
    for (const entry of list.transactions) {
      if (entry.category !== 'receive' || !entry.address) continue;
      const deposit = book.get(entry.address);
      if (!deposit) continue;
      const id = `${entry.txid}:${entry.vout}`;
      const mined = entry.confirmations > 0 && entry.blockhash && entry.blockheight !== undefined;
      const pending = entry.confirmations === 0 && mempool.has(entry.txid);
      if (!mined && !pending) {
        // Conflicted (negative confirmations), replaced by a fee bump, or dropped from the mempool.
        gone.set(id, { tx_hash: entry.txid, log_index: entry.vout });
        continue;
      }
      if (mined && entry.blockheight! > last.height) continue; // mined after `lastblock`: next tick
      standing.set(id, {
        chain_id: chain.id,
        tx_hash: entry.txid,
        log_index: entry.vout,
        session_id: deposit.session_id,
        address: deposit.address,
        token_address: null,
        token_symbol: symbol,
        decimals,
        from_address: null,
        amount_atomic: toAtomic(entry.amount, decimals),
        block_number: mined ? entry.blockheight! : UNCONFIRMED_BLOCK,
        block_hash: mined ? entry.blockhash! : '',
        block_time: new Date(((mined ? entry.blocktime : entry.timereceived) ?? now.getTime() / 1000) * 1000),
        seen_at: now,
      });
    }
    // Reorged out since the cursor's block (the rewind above removed what it had recorded).
    for (const entry of list.removed ?? []) {
      const id = `${entry.txid}:${entry.vout}`;
      if (!standing.has(id)) gone.set(id, { tx_hash: entry.txid, log_index: entry.vout });
    }
    // Stored as in the mempool, and neither in it nor mined any more.
    for (const t of await sessions.unconfirmedTransfers(chain.id)) {
      const id = `${t.tx_hash}:${t.log_index}`;
      if (!standing.has(id)) gone.set(id, t);
    }
    for (const id of standing.keys()) gone.delete(id);

    await sessions.recordWalletSync({
      chainId: chain.id,
      fromBlock: cursor + 1,
      toBlock: last.height,
      transfers: [...standing.values()],
      removed: [...gone.values()],
      blocks: blocks.reverse(),
      keepFrom,
      confirmations: chain.confirmations,
      reorgDepth,
      fromCursor: stored,
    });
    health.processed = last.height;
    health.lastSuccessAt = clock();
  }

  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  const schedule = (delay: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(run, delay);
  };
  function run() {
    if (stopped || running) return;
    running = syncOnce()
      .then(() => {
        if (failures) logger.info({ chain: chain.key, failures }, 'chain watcher recovered');
        failures = 0;
      })
      .catch((error: unknown) => {
        failures += 1;
        const quiet = error instanceof ChainChangedError || error instanceof ChainCursorMovedError;
        (quiet ? logger.info : logger.warn).call(
          logger,
          { chain: chain.key, failures, err: error },
          'chain watcher could not sync; retrying with backoff',
        );
      })
      .finally(() => {
        running = null;
        schedule(
          failures
            ? Math.min(MAX_BACKOFF_MS, chain.polling_interval_ms * 2 ** Math.min(failures, 10))
            : chain.polling_interval_ms,
        );
      });
  }
  logger.info(
    { chain: chain.key, detection: 'polling', polling_interval_ms: chain.polling_interval_ms },
    'UTXO chain watcher polls its node',
  );
  run();

  return {
    syncOnce,
    status: () => ({ ...health }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
