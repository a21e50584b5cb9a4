/**
 * The reorganisation rewind every chain family's watcher shares: when the block at the cursor no
 * longer has the stored hash, walk back to the newest block whose stored hash the node still has (the
 * common ancestor) and undo everything above it in one transaction ({@link SessionService.rewindChain}).
 * Only how a block's hash is read differs by family (viem's `getBlock`, Bitcoin Core's `getblockhash`).
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChainConfig } from '../config.js';
import type { SessionService } from '../sessions/session-service.js';

/** What {@link rewindAfterReorg} needs. */
export interface RewindOptions {
  chain: Pick<ChainConfig, 'id' | 'key'>;
  sessions: Pick<SessionService, 'storedBlockHash' | 'rewindChain'>;
  logger: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  /** The stored cursor whose block changed. */
  cursor: number;
  /** The node's current head (blocks above it cannot be asked for). */
  head: number;
  /** How many blocks below the head are tracked: only for the log line when the reorg is deeper. */
  reorgDepth: number;
  /** The hash the node has now at height `n` (`n` ≤ `head`). */
  hashAt: (n: number) => Promise<string>;
}

/**
 * Rewinds the chain's records to the common ancestor and returns its height, the new cursor.
 * @example cursor = await rewindAfterReorg({ chain, sessions, logger, cursor, head, reorgDepth, hashAt })
 */
export async function rewindAfterReorg(options: RewindOptions): Promise<number> {
  const { chain, sessions, logger, cursor, head, reorgDepth, hashAt } = options;
  let ancestor = cursor;
  for (;;) {
    const known = await sessions.storedBlockHash(chain.id, ancestor);
    if (known === null) {
      logger.error(
        { chain: chain.key, cursor, tracked: reorgDepth },
        'chain reorganisation deeper than the tracked blocks; rescanning from the oldest tracked block',
      );
      break;
    }
    if (ancestor <= head && (await hashAt(ancestor)) === known) break;
    ancestor -= 1;
  }
  // The removal and the sessions' reverted states commit together.
  const result = await sessions.rewindChain(chain.id, ancestor, cursor);
  logger.warn(
    {
      chain: chain.key,
      from: cursor,
      to: ancestor,
      depth: cursor - ancestor,
      transfers_removed: result.transfers,
    },
    'chain reorganisation: rewound and rescanning',
  );
  return ancestor;
}
