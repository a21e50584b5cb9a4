/**
 * Deposit addresses derived ahead of the buyers who will take them, per chain: choosing a method
 * takes a reserved index and its address from memory instead of reserving an index (a statement)
 * and deriving its address (an elliptic-curve multiplication, and for forwarders a CREATE2 hash) on
 * the request path. Indexes are reserved from the database's sequence in bulk, one statement per
 * refill; the addresses are derived one per event-loop turn, so requests run between them.
 *
 * Why no index is handed out twice, across restarts and instances: every index comes from the
 * `deposit_index_seq` sequence, which never returns a value twice (to any connection, even one whose
 * transaction rolls back), and an entry leaves the pool's queue when it is taken. What a restart
 * loses is what the pool held: at most {@link DERIVATION_POOL_SIZE} indexes per chain, never used
 * (a gap, like a choice that failed after reserving).
 *
 * Why a pooled index is always watched: indexes leave the pool late (an entry may wait as long as no
 * buyer comes) and out of order across chains and instances, so a deposit can be stored with an
 * index below deposits stored before it. The chain watchers' address books therefore read deposits
 * by the number each takes when it is inserted (`watch_seq`, migration 22; `address-book.ts`), never
 * by derivation index.
 *
 * Why UTXO chains take no part: their payments are seen by the node's watch-only wallet, which holds
 * the addresses of a range of indexes imported ahead of the highest deposit (`utxo/node-wallet.ts`).
 * A pooled index reserved before a watcher (re)opens that wallet can sit below the range it imports
 * and be paid unseen. There every take reserves its index and derives on the spot, before the
 * choice's write (still outside any lock), as before the pool.
 * @module
 */
import type { ChainRail } from './family.js';

/** How many addresses each chain's pool holds at most (what a restart may leave unused per chain). */
export const DERIVATION_POOL_SIZE = 64;

/** Addresses derived per event-loop turn while refilling: a few, so requests wait little between turns. */
const DERIVED_PER_TURN = 4;

/** A reserved derivation index and the address derived from it. */
export interface PooledAddress {
  index: number;
  address: string;
}

/** What {@link DerivationPool} needs. */
export interface DerivationPoolOptions {
  /** Each chain's rail, by chain key: what derives its addresses. */
  rails: Map<string, ChainRail>;
  /** Reserves `count` fresh indexes from the sequence (one statement); never the same index twice. */
  reserve: (count: number) => Promise<number[]>;
  /** Addresses held per chain; 0 turns the pool off (every take reserves and derives on the spot). */
  size?: number | undefined;
}

/** One chain's queue: entries oldest first, the refill running, takes waiting for it. */
interface ChainPool {
  entries: PooledAddress[];
  refill: Promise<unknown> | null;
  /** Takes that found the pool empty during a refill: each gets the next address derived, or `null`. */
  waiting: ((entry: PooledAddress | null) => void)[];
}

/** Yields to the event loop: requests that arrived meanwhile run before the next derivation. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A bounded pool of pre-derived deposit addresses per EVM or TRON chain, refilled in the background after takes
 * (never on a timer: an idle server reserves nothing). When a chain's pool is empty, a take reserves
 * one index and derives its address on the spot, as the pool-less path did.
 * @example const pool = new DerivationPool({ rails, reserve: (n) => store.reserveDerivationIndexes(n) });
 * const { index, address } = await pool.take('anvil');
 */
export class DerivationPool {
  private readonly pools = new Map<string, ChainPool>();
  private readonly size: number;
  private stopped = false;
  /** Indexes dropped unused (left in the pool at `stop`): the cost of the pool. */
  wasted = 0;

  constructor(private readonly options: DerivationPoolOptions) {
    this.size = options.size ?? DERIVATION_POOL_SIZE;
  }

  /**
   * A fresh index of `chainKey` and its address, never handed out before (by this or any
   * instance). Throws for a chain without a rail.
   */
  async take(chainKey: string): Promise<PooledAddress> {
    const rail = this.options.rails.get(chainKey);
    if (!rail) throw new Error(`no rail for chain ${chainKey}`);
    if (this.size <= 0 || this.stopped || rail.family === 'utxo') return this.direct(rail);
    const pool = this.poolOf(chainKey);
    const entry = pool.entries.shift();
    if (entry) {
      if (pool.entries.length <= this.size / 2) this.startRefill(rail, pool);
      return { index: entry.index, address: entry.address };
    }
    // Empty: wait for the next address the refill derives (it has its index already) rather than
    // reserve one more with a statement of its own.
    const next = new Promise<PooledAddress | null>((resolve) => pool.waiting.push(resolve));
    this.startRefill(rail, pool);
    return (await next) ?? this.direct(rail);
  }

  /** How many addresses `chainKey`'s pool holds now. */
  held(chainKey: string): number {
    return this.pools.get(chainKey)?.entries.length ?? 0;
  }

  /**
   * Stops refilling and waits for a refill in flight (call before the database closes). Later takes
   * reserve and derive on the spot. What the pools held is dropped, counted in {@link wasted}.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.refill));
    for (const pool of this.pools.values()) {
      this.wasted += pool.entries.length;
      pool.entries.length = 0;
    }
  }

  private poolOf(chainKey: string): ChainPool {
    let pool = this.pools.get(chainKey);
    if (!pool) this.pools.set(chainKey, (pool = { entries: [], refill: null, waiting: [] }));
    return pool;
  }

  private startRefill(rail: ChainRail, pool: ChainPool): void {
    if (pool.refill || this.stopped) return;
    pool.refill = this.refill(rail, pool).then((reserved) => {
      pool.refill = null;
      // Takes that came while it derived and are still waiting: another refill for them, or, when
      // reserving failed or the pool stopped, each reserves on its own.
      if (reserved && pool.waiting.length && !this.stopped) this.startRefill(rail, pool);
      else for (const resolve of pool.waiting.splice(0)) resolve(null);
    });
  }

  private async direct(rail: ChainRail): Promise<PooledAddress> {
    const [index] = await this.options.reserve(1);
    return { index: index!, address: rail.deriveAddress(index!) };
  }

  /**
   * Tops the pool up to its size: one statement, then a few derivations per event-loop turn. Takes
   * waiting for an address get one as soon as it is derived. Answers whether it reserved.
   */
  private async refill(rail: ChainRail, pool: ChainPool): Promise<boolean> {
    let indexes: number[];
    try {
      indexes = await this.options.reserve(this.size - pool.entries.length + pool.waiting.length);
    } catch {
      // Nothing to act on here: the waiting takes reserve on their own and report the failure.
      return false;
    }
    for (let i = 0; i < indexes.length; i++) {
      if (i % DERIVED_PER_TURN === 0) await nextTurn();
      const index = indexes[i]!;
      if (this.stopped) {
        this.wasted += 1;
        continue;
      }
      const entry = { index, address: rail.deriveAddress(index) };
      const waiting = pool.waiting.shift();
      if (waiting) waiting({ index, address: entry.address });
      else pool.entries.push(entry);
    }
    return true;
  }
}
