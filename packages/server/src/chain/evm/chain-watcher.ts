import { createPublicClient, http, parseAbiItem, type PublicClient } from 'viem';
import { ChainCursorMovedError, type BlockRecord, type TransferRecord } from '../../store/session-store.js';
import { AddressBook } from '../address-book.js';
import { rewindAfterReorg } from '../rewind-after-reorg.js';
import { observedTransport } from './observed-transport.js';
import type {
  ChainWatcher,
  ChainWatcherOptions as FamilyWatcherOptions,
  ChainWatcherStatus,
} from '../family.js';
import { watchNewHeads, webSocketUrlFor, type NewHeadsWatch } from './new-heads.js';

const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/** Blocks fetched in parallel. */
const BLOCK_FETCH_PARALLELISM = 8;
/** Longest pause between retries while the node is unreachable. */
const MAX_BACKOFF_MS = 30_000;

/** What the EVM chain watcher needs: the family's common options, and an optional client. */
export interface ChainWatcherOptions extends FamilyWatcherOptions {
  /** A client to use instead of one built from `chain.rpc_url` (tests count its calls). */
  client?: PublicClient;
  /** How a chain that speaks Ethereum's JSON-RPC but is not EVM differs (TRON); default: EVM's ways. */
  dialect?: EvmDialect;
}

/**
 * How a family that speaks Ethereum's JSON-RPC differs from an EVM chain (TRON, `../tron/`): how it
 * spells addresses and transaction ids, and which blocks may be counted. The watcher's logic —
 * ranges, reorganisations, the one transaction per range — stays the same.
 */
export interface EvmDialect {
  /** The stored and shown form of an address the node writes as `0x…` (senders, deposits, tokens). */
  address(hex: `0x${string}`): string;
  /** The `0x…` form of a configured token contract, for `eth_getLogs`. */
  contract(address: string): string;
  /** The stored form of a transaction hash the node writes as `0x…`. */
  txHash(hash: `0x${string}`): string;
  /** Whether to subscribe to `newHeads` over WebSocket (java-tron has no `eth_subscribe`). */
  subscribe: boolean;
  /**
   * The highest block the watcher may record, given the node's head: below the head when a block
   * may only count once it is final (TRON's solidified head). Default: the head.
   */
  countableHead?: (head: number) => Promise<number>;
  /**
   * Whether a coin transfer from this sender (in the dialect's spelling) is the merchant's own move
   * and no payment: on TRON, the treasury's TRX top-up of a deposit address before its USDT sweep
   * (`treasury/tron-treasury-watch.ts` books it). Default: none.
   */
  ownSender?: (address: string) => boolean;
  /**
   * Whether a transaction the node lists with a `value` really moved the native coin; throws when it
   * cannot say (the range is read again). On TRON the JSON-RPC gives a TRC-10 token transfer its
   * token amount as `value`, like TRX: only a `TransferContract` pays. Default: every one does.
   */
  nativeTransfer?: (hash: `0x${string}`) => Promise<boolean>;
}

/** EVM's own ways: addresses as the node writes them (matched case-blind), token contracts lower-case. */
const EVM: EvmDialect = {
  address: (hex) => hex,
  contract: (address) => address,
  txHash: (hash) => hash,
  subscribe: true,
};

export type { ChainWatcher, ChainWatcherStatus };

interface Header {
  number: number;
  hash: string;
  parent_hash: string;
  time: Date;
}

/** Thrown when the chain changed while a block range was being read; the next tick starts over. */
class ChainChangedError extends Error {
  override name = 'ChainChangedError';
}

/**
 * Watches one EVM chain for transfers to deposit addresses (of sessions on any chain, so a payment
 * on the wrong network is noticed too):
 * - ERC-20 `Transfer` logs of the chain's configured tokens: one log query per block range, matched
 *   against the addresses in memory, so RPC calls per block do not grow with open payments;
 * - native transfers: each block read once with its transactions, while any address is watched.
 *
 * Found transfers, the hashes of recent blocks, the cursor and the sessions' new states are recorded
 * by one service call, {@link SessionService.recordBlockRange}, in one transaction, so a restart
 * resumes exactly where it stopped. Each tick first checks that the block at the cursor
 * still has the stored hash; if not (a reorganisation), it walks back to the common ancestor, removes
 * the transfers of the dropped blocks and rescans. When the chain has a WebSocket URL (`ws_url`, or
 * derived for a node on this machine: {@link webSocketUrlFor}), a `newHeads` subscription wakes the
 * watcher as soon as a block arrives; polling continues as the safety net, and is all there is while
 * the socket is down ({@link ChainWatcherStatus.detection} says which). When the node is
 * unreachable the watcher logs it, backs off exponentially and catches up when the node returns.
 * @example const watcher = startChainWatcher({ chain, sessions, logger }); await watcher.stop();
 */
export function startChainWatcher(options: ChainWatcherOptions): ChainWatcher {
  const { chain, sessions, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const client =
    options.client ??
    createPublicClient({
      transport: observedTransport(http(chain.rpc_url, { retryCount: 1 }), chain.key, options.observeRpc),
    });
  const dialect = options.dialect ?? EVM;
  // Keyed by the 0x form the node's logs carry; `address` is what the configuration says.
  const tokens = new Map(chain.tokens.map((t) => [dialect.contract(t.address).toLowerCase(), t]));
  // EVM addresses match in any case (EIP-55 is a checksum over case); a dialect's own spelling
  // (TRON's base58) is case-sensitive and matches exactly.
  const book = new AddressBook(
    sessions,
    options.dialect ? (address) => address : (address) => address.toLowerCase(),
  );
  /** Block hashes are kept this deep below the head to notice reorganisations. */
  const reorgDepth = Math.max(64, chain.confirmations * 2);
  const health: ChainWatcherStatus = {
    chain: chain.key,
    startedAt: clock(),
    lastSuccessAt: null,
    lastNewHeadAt: null,
    head: null,
    processed: null,
    detection: 'polling',
  };

  /** Runs `fetch` for each block number, a few at a time, in order. */
  async function fetchBlocks<T>(numbers: number[], fetch: (n: bigint) => Promise<T>): Promise<T[]> {
    const blocks: T[] = [];
    for (let i = 0; i < numbers.length; i += BLOCK_FETCH_PARALLELISM) {
      const slice = numbers.slice(i, i + BLOCK_FETCH_PARALLELISM);
      blocks.push(...(await Promise.all(slice.map((n) => fetch(BigInt(n))))));
    }
    return blocks;
  }

  const toHeader = (block: {
    number: bigint | null;
    hash: string | null;
    parentHash: string;
    timestamp: bigint;
  }) => ({
    number: Number(block.number),
    hash: block.hash!,
    parent_hash: block.parentHash,
    time: new Date(Number(block.timestamp) * 1000),
  });

  /** Reads blocks `from..to` and returns the transfers to watched addresses and the block hashes to keep. */
  async function scan(from: number, to: number, head: number) {
    const now = clock();
    const headers = new Map<number, Header>();
    const found: TransferRecord[] = [];
    const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
    const trackFrom = Math.max(from, head - reorgDepth + 1);

    if (book.size && chain.native) {
      for (const block of await fetchBlocks(range(from, to), (n) =>
        client.getBlock({ blockNumber: n, includeTransactions: true }),
      )) {
        const header = toHeader(block);
        headers.set(header.number, header);
        for (const tx of block.transactions) {
          const deposit = tx.to ? book.get(dialect.address(tx.to)) : undefined;
          if (!deposit || tx.value === 0n) continue;
          if (dialect.ownSender?.(dialect.address(tx.from))) continue;
          // A reverted transaction moves no value: check its receipt (only for matches).
          const receipt = await client.getTransactionReceipt({ hash: tx.hash });
          if (receipt.status !== 'success') continue;
          if (dialect.nativeTransfer && !(await dialect.nativeTransfer(tx.hash))) {
            logger.warn(
              { chain: chain.key, tx_hash: dialect.txHash(tx.hash), address: deposit.address },
              'a transaction to a deposit address that moved no native coin (a TRC-10 token?): not a payment',
            );
            continue;
          }
          found.push({
            chain_id: chain.id,
            tx_hash: dialect.txHash(tx.hash),
            log_index: -1,
            session_id: deposit.session_id,
            address: deposit.address,
            token_address: null,
            token_symbol: chain.native.symbol,
            decimals: chain.native.decimals,
            from_address: dialect.address(tx.from),
            amount_atomic: tx.value,
            block_number: header.number,
            block_hash: header.hash,
            block_time: header.time,
            seen_at: now,
          });
        }
      }
    }
    const logs =
      book.size && tokens.size
        ? await client.getLogs({
            address: [...tokens.keys()] as `0x${string}`[],
            event: transferEvent,
            fromBlock: BigInt(from),
            toBlock: BigInt(to),
          })
        : [];
    const matches = logs.filter(
      (log) => log.args.to && log.args.value && book.get(dialect.address(log.args.to)),
    );
    const missing = new Set([...range(trackFrom, to), ...matches.map((log) => Number(log.blockNumber))]);
    for (const n of headers.keys()) missing.delete(n);
    const sorted = [...missing].sort((a, b) => a - b);
    for (const block of await fetchBlocks(sorted, (n) => client.getBlock({ blockNumber: n }))) {
      const header = toHeader(block);
      headers.set(header.number, header);
    }
    for (const log of matches) {
      const header = headers.get(Number(log.blockNumber))!;
      // The log and the header must come from the same fork, or the chain moved under us.
      if (header.hash !== log.blockHash)
        throw new ChainChangedError(`block ${header.number} changed while reading`);
      const deposit = book.get(dialect.address(log.args.to!))!;
      const token = tokens.get(log.address.toLowerCase())!;
      found.push({
        chain_id: chain.id,
        tx_hash: dialect.txHash(log.transactionHash),
        log_index: log.logIndex,
        session_id: deposit.session_id,
        address: deposit.address,
        token_address: options.dialect ? token.address : log.address.toLowerCase(),
        token_symbol: token.symbol,
        decimals: token.decimals,
        from_address: dialect.address(log.args.from!),
        amount_atomic: log.args.value!,
        block_number: header.number,
        block_hash: header.hash,
        block_time: header.time,
        seen_at: now,
      });
    }
    const blocks: BlockRecord[] = range(trackFrom, to).map((n) => {
      const { number, hash, parent_hash } = headers.get(n)!;
      return { number, hash, parent_hash };
    });
    // The new blocks must extend what is stored, and each other.
    for (const block of blocks) {
      const parent =
        headers.get(block.number - 1)?.hash ?? (await sessions.storedBlockHash(chain.id, block.number - 1));
      if (parent && parent !== block.parent_hash) {
        throw new ChainChangedError(`block ${block.number} does not extend block ${block.number - 1}`);
      }
    }
    return { transfers: found, blocks };
  }

  async function syncOnce(): Promise<void> {
    const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    health.lastSuccessAt = clock();
    if (head !== health.head) {
      health.head = head;
      health.lastNewHeadAt = health.lastSuccessAt;
    }
    // Blocks above this are not recorded yet (TRON: not solid), so they gather no confirmations.
    const last = dialect.countableHead ? Math.min(head, await dialect.countableHead(head)) : head;
    // Where the stored cursor stands (null: none yet); every write of this tick is fenced on it.
    let stored = await sessions.chainCursor(chain.id);
    let cursor = stored;
    if (cursor === null) {
      // The first tick records block `last` at once, so the cursor is stored from then on. Starting
      // at the head instead would store nothing while `last` lags it (TRON's solidified head is ~19
      // blocks behind), and the next tick would start again from a newer head: a payment mined in
      // between would never be scanned.
      cursor = (chain.start_block ?? last) - 1;
      logger.info({ chain: chain.key, from: cursor + 1 }, 'chain watcher starts');
    }
    // Nothing recorded yet (no cursor stored): nothing to rewind.
    const known = stored !== null && cursor >= 0 ? await sessions.storedBlockHash(chain.id, cursor) : null;
    if (
      known !== null &&
      (cursor > head || (await client.getBlock({ blockNumber: BigInt(cursor) })).hash !== known)
    ) {
      cursor = stored = await rewindAfterReorg({
        chain,
        sessions,
        logger,
        cursor,
        head,
        reorgDepth,
        hashAt: async (n) => (await client.getBlock({ blockNumber: BigInt(n) })).hash,
      });
    }
    health.processed = cursor;
    while (cursor < last) {
      const from = cursor + 1;
      const to = Math.min(last, cursor + chain.max_block_range);
      await book.refresh(clock()); // after reading the head, see AddressBook.refresh
      const { transfers, blocks } = await scan(from, to, head);
      // Transfers, block hashes, cursor and the sessions' new states (with their events and
      // webhooks) commit together: a crash leaves either all of it or none.
      await sessions.recordBlockRange({
        chainId: chain.id,
        fromBlock: from,
        toBlock: to,
        transfers,
        blocks,
        keepFrom: head - reorgDepth + 1,
        confirmations: chain.confirmations,
        reorgDepth,
        fromCursor: stored,
      });
      cursor = stored = to;
      health.processed = cursor;
      health.lastSuccessAt = clock();
    }
  }

  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let wakeRequested = false;

  const schedule = (delay: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(run, delay);
  };
  function run() {
    if (stopped) return;
    if (running) {
      wakeRequested = true;
      return;
    }
    running = syncOnce()
      .then(() => {
        if (failures) logger.info({ chain: chain.key, failures }, 'chain watcher recovered');
        failures = 0;
      })
      .catch((error: unknown) => {
        failures += 1;
        // Neither is the node's fault: the chain moved, or another instance leads now.
        const log =
          error instanceof ChainChangedError || error instanceof ChainCursorMovedError
            ? logger.info
            : logger.warn;
        log.call(
          logger,
          { chain: chain.key, failures, err: error },
          'chain watcher could not sync; retrying with backoff',
        );
      })
      .finally(() => {
        running = null;
        const woken = wakeRequested;
        wakeRequested = false;
        schedule(
          woken
            ? 0
            : failures
              ? Math.min(MAX_BACKOFF_MS, chain.polling_interval_ms * 2 ** Math.min(failures, 10))
              : chain.polling_interval_ms,
        );
      });
  }

  // A newHeads subscription wakes the loop at once; polling stays as the safety net, and is all
  // there is while the socket is down. A client passed in (tests counting calls) means no socket.
  const wsUrl = options.client || !dialect.subscribe ? null : webSocketUrlFor(chain);
  let heads: NewHeadsWatch | undefined;
  if (wsUrl) {
    // Only the host is logged: a provider's URL often carries its API key in the path.
    const wsHost = new URL(wsUrl).host;
    heads = watchNewHeads({
      url: wsUrl,
      onHead: () => (running ? (wakeRequested = true) : schedule(0)),
      onModeChange: (mode, error) => {
        health.detection = mode;
        if (mode === 'subscription') {
          logger.info(
            { chain: chain.key, detection: mode, ws_host: wsHost },
            'chain watcher subscribed to new blocks',
          );
          if (!running) schedule(0); // blocks may have come while the socket was down
        } else {
          logger.warn(
            {
              chain: chain.key,
              detection: mode,
              ws_host: wsHost,
              polling_interval_ms: chain.polling_interval_ms,
              err: error,
            },
            'newHeads subscription unavailable; polling for new blocks until it is back',
          );
        }
      },
    });
  } else {
    logger.info(
      { chain: chain.key, detection: 'polling', polling_interval_ms: chain.polling_interval_ms },
      !dialect.subscribe
        ? 'chain watcher polls for new blocks (the node has no newHeads subscription)'
        : options.client
          ? 'chain watcher polls for new blocks (a client was passed in: no subscription)'
          : 'chain watcher polls for new blocks (no ws_url, and the node is not on this machine)',
    );
  }
  run();

  return {
    syncOnce,
    status: () => ({ ...health }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      heads?.close();
      await running;
    },
  };
}
