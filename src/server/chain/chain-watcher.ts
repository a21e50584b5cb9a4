import { createPublicClient, http, parseAbiItem, type PublicClient } from 'viem';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainConfig } from '../config.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SessionStore, TransferRecord, WatchedDeposit } from '../store/session-store.js';

const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/** Blocks fetched in parallel while scanning for native transfers. */
const BLOCK_FETCH_PARALLELISM = 8;
/** Longest pause between retries while the node is unreachable. */
const MAX_BACKOFF_MS = 30_000;

/** What a chain watcher needs. */
export interface ChainWatcherOptions {
  chain: ChainConfig;
  store: SessionStore;
  sessions: SessionService;
  logger: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** A client to use instead of one built from `chain.rpc_url`. */
  client?: PublicClient;
  clock?: () => Date;
}

/** A running chain watcher. */
export interface ChainWatcher {
  /** Processes every block up to the current head once (the loop calls this on each tick). */
  syncOnce(): Promise<void>;
  /** Stops the loop and waits for a running tick to finish. */
  stop(): Promise<void>;
}

/**
 * Watches one EVM chain for payments to open deposit addresses: ERC-20 `Transfer` logs of the
 * configured tokens (one filtered log query per block range, matched to addresses in memory) and
 * native transfers (each block scanned once, only while some address is watched). Found transfers
 * and the block cursor are stored in one transaction, so a restart resumes exactly where it stopped.
 * After each tick the affected sessions are recomputed (confirmations, status). When the node is
 * unreachable the watcher logs it, backs off exponentially and catches up when the node returns.
 * @example const watcher = startChainWatcher({ chain, store, sessions, logger }); await watcher.stop();
 */
export function startChainWatcher(options: ChainWatcherOptions): ChainWatcher {
  const { chain, store, sessions, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const client = options.client ?? createPublicClient({ transport: http(chain.rpc_url, { retryCount: 1 }) });
  const tokenAddresses = chain.tokens.map((t) => t.address);

  async function findTransfers(
    from: number,
    to: number,
    watched: WatchedDeposit[],
  ): Promise<TransferRecord[]> {
    const byAddress = new Map(watched.map((d) => [d.address.toLowerCase(), d]));
    const found: TransferRecord[] = [];
    const now = clock();
    if (tokenAddresses.length) {
      const logs = await client.getLogs({
        address: tokenAddresses,
        event: transferEvent,
        fromBlock: BigInt(from),
        toBlock: BigInt(to),
      });
      for (const log of logs) {
        const deposit = byAddress.get(log.args.to!.toLowerCase());
        if (!deposit || !log.args.value) continue;
        found.push({
          chain_id: chain.id,
          tx_hash: log.transactionHash,
          log_index: log.logIndex,
          session_id: deposit.session_id,
          address: deposit.address,
          token_address: log.address.toLowerCase(),
          from_address: log.args.from!,
          amount_atomic: log.args.value,
          block_number: Number(log.blockNumber),
          block_hash: log.blockHash,
          seen_at: now,
        });
      }
    }
    if (chain.native) {
      for (let start = from; start <= to; start += BLOCK_FETCH_PARALLELISM) {
        const numbers = Array.from(
          { length: Math.min(BLOCK_FETCH_PARALLELISM, to - start + 1) },
          (_, i) => start + i,
        );
        const blocks = await Promise.all(
          numbers.map((n) => client.getBlock({ blockNumber: BigInt(n), includeTransactions: true })),
        );
        for (const block of blocks) {
          for (const tx of block.transactions) {
            const deposit = tx.to ? byAddress.get(tx.to.toLowerCase()) : undefined;
            if (!deposit || tx.value === 0n) continue;
            // A reverted transaction moves no value: check its receipt (only for matches).
            const receipt = await client.getTransactionReceipt({ hash: tx.hash });
            if (receipt.status !== 'success') continue;
            found.push({
              chain_id: chain.id,
              tx_hash: tx.hash,
              log_index: -1,
              session_id: deposit.session_id,
              address: deposit.address,
              token_address: null,
              from_address: tx.from,
              amount_atomic: tx.value,
              block_number: Number(block.number),
              block_hash: block.hash!,
              seen_at: now,
            });
          }
        }
      }
    }
    return found;
  }

  async function syncOnce(): Promise<void> {
    const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    let cursor = await store.getCursor(store.db, chain.id);
    if (cursor === null) {
      cursor = (chain.start_block ?? head) - 1;
      logger.info({ chain: chain.key, from: cursor + 1 }, 'chain watcher starts');
    }
    const touched = new Set<string>();
    while (cursor < head) {
      const to = Math.min(head, cursor + chain.max_block_range);
      const watched = await store.watchedDeposits(chain.id, clock());
      const transfers = watched.length ? await findTransfers(cursor + 1, to, watched) : [];
      for (const id of await store.recordBlocks(chain.id, transfers, to, clock())) touched.add(id);
      cursor = to;
    }
    for (const id of await store.activeSessionsOnChain(chain.id)) touched.add(id);
    for (const id of touched) await sessions.refresh(id);
  }

  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = () => {
    running = syncOnce()
      .then(() => {
        if (failures) logger.info({ chain: chain.key }, 'chain watcher recovered');
        failures = 0;
      })
      .catch((error: unknown) => {
        failures += 1;
        logger.warn(
          { chain: chain.key, failures, err: (error as Error).message },
          'chain watcher could not sync; retrying with backoff',
        );
      })
      .finally(() => {
        if (stopped) return;
        const delay = failures
          ? Math.min(MAX_BACKOFF_MS, chain.polling_interval_ms * 2 ** Math.min(failures, 10))
          : chain.polling_interval_ms;
        timer = setTimeout(tick, delay);
      });
  };
  tick();

  return {
    syncOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
