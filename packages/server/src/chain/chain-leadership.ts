/**
 * Chain leadership: with several instances on one PostgreSQL database, each chain is watched by
 * exactly one of them at a time. The instance holding the chain's advisory lock
 * (`store/connection-lock.ts`) runs its {@link ChainWatcher}; the others follow and
 * try to take the lock every few seconds. A leader that dies (even by SIGKILL) loses its connection,
 * so the lock; the next try of a follower takes it and starts a watcher, which resumes from the
 * block cursor stored in the database — no block is missed, none is recorded twice.
 * On PGlite (one process) there is no lock to take: the instance always leads.
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChainConfig } from '../config.js';
import type { ConnectionLock } from '../store/connection-lock.js';
import type { ChainWatcher, ChainWatcherStatus } from './family.js';

/** How often a follower tries to take the lock (and a leader checks it still holds it), in ms. */
export const LEADERSHIP_RETRY_MS = 2_000;

/** Whether this instance watches the chain (`leader`) or leaves it to another (`follower`). */
export type ChainRole = 'leader' | 'follower';

/** A chain watcher's status, with this instance's role for the chain. */
export interface LedChainWatcherStatus extends ChainWatcherStatus {
  role: ChainRole;
  /** Which instance leads (its name, see {@link ChainLeadershipOptions.instance}); `null` when unknown. */
  leader: string | null;
}

/** A chain watcher that runs only while this instance leads the chain. */
export interface LedChainWatcher extends ChainWatcher {
  status(): LedChainWatcherStatus;
}

/** What {@link startChainLeadership} needs. */
export interface ChainLeadershipOptions {
  chain: ChainConfig;
  /** The chain's lock; `null` on PGlite, where this instance always leads. */
  lock: ConnectionLock | null;
  /** Starts the chain's watcher; called each time this instance becomes the leader. */
  startWatcher: () => ChainWatcher;
  /** This instance's name in the logs and `/ready` (host and process id). */
  instance: string;
  logger: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** Default {@link LEADERSHIP_RETRY_MS}. */
  retryMs?: number;
}

/**
 * Runs the chain's watcher while this instance holds the chain's lock; tries to take it every
 * `retryMs` while another instance does, and stops watching at once if its lock's connection is lost.
 * @example const led = startChainLeadership({ chain, lock, startWatcher: () => startChainWatcher(…), instance, logger }); … await led.stop();
 */
export function startChainLeadership(options: ChainLeadershipOptions): LedChainWatcher {
  const { chain, lock, startWatcher, instance, logger } = options;
  const retryMs = options.retryMs ?? LEADERSHIP_RETRY_MS;
  const startedAt = new Date();
  let watcher: ChainWatcher | null = null;
  let leader: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  if (!lock) {
    // One process on one database: nobody to share the chain with.
    watcher = startWatcher();
    leader = instance;
  }

  const lead = () => {
    watcher = startWatcher();
    leader = instance;
    logger.info({ chain: chain.key, instance }, 'this instance leads the chain: it watches it');
    // A lost connection means the lock may be another's already: stop without waiting for the next check.
    void lock!.lost().then(() => (stopped ? undefined : wake()));
  };

  async function check(lock: ConnectionLock): Promise<void> {
    if (watcher) {
      if (await lock.stillHeld()) return;
      logger.warn(
        { chain: chain.key, instance },
        'lost the chain lock (database connection lost): stops watching; another instance may lead now',
      );
      const old = watcher;
      watcher = null;
      leader = null;
      await old.stop();
      return;
    }
    if (await lock.tryTake()) {
      if (!stopped) lead();
      return;
    }
    const holder = await lock.holder().catch(() => null);
    if (holder !== leader) {
      logger.info(
        { chain: chain.key, instance, leader: holder },
        'another instance leads the chain: this one follows, ready to take over',
      );
      leader = holder;
    }
  }

  function wake() {
    clearTimeout(timer);
    if (stopped || !lock || running) return;
    running = check(lock)
      .catch((error: unknown) =>
        logger.warn({ chain: chain.key, err: error }, 'chain leadership check failed'),
      )
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(wake, retryMs);
      });
  }
  wake();

  const follower = (): LedChainWatcherStatus => ({
    chain: chain.key,
    startedAt,
    lastSuccessAt: null,
    lastNewHeadAt: null,
    detection: null,
    head: null,
    role: 'follower',
    leader,
  });

  return {
    syncOnce: () => watcher?.syncOnce() ?? Promise.resolve(),
    status: () => (watcher ? { ...watcher.status(), role: 'leader', leader: instance } : follower()),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await watcher?.stop();
      watcher = null;
      // Released at once, so that a follower need not wait for this process to exit.
      await lock?.release();
    },
  };
}
