import type { RecentWatchSeqs, WatchedDeposit } from '../store/session-store.js';

/** Where the address book reads deposits from (the session service). */
export interface DepositSource {
  /** Watched deposits stored after `afterSeq` or numbered in `alsoSeqs` (`SessionStore.depositsToWatch`). */
  depositsToWatch(afterSeq: number, alsoSeqs: number[], now: Date): Promise<WatchedDeposit[]>;
  /** The newest deposit numbers stored, watched or not (`SessionStore.recentWatchSeqs`). */
  recentWatchSeqs(window: number): Promise<RecentWatchSeqs>;
}

/**
 * How long a hole in the deposits' insert numbers (`watch_seq`) is asked for again: an insert still
 * committing when a later one was read. The number is taken inside the choice's one statement (or
 * its short transaction), so it commits within moments; a hole still empty after this is an insert
 * that rolled back.
 */
export const GAP_RETRY_MS = 120_000;
/** Larger jumps in the numbers are not tracked as holes (no moment has that many inserts in flight). */
const MAX_GAP = 10_000;
/** How often addresses past their watch window are dropped. */
const PRUNE_EVERY_MS = 60_000;

/**
 * The deposit addresses a chain watcher matches transfers against, kept in memory and refreshed
 * incrementally: each refresh reads only deposits stored after the last one it saw, by the number
 * each deposit takes when inserted (`watch_seq`, migration 22), plus recent holes in those numbers,
 * which a slower insert may still fill. The cost of a refresh does not grow with the number of open
 * payments. Addresses past their watch window are dropped.
 *
 * Why not by derivation index: indexes are reserved before the deposit is stored — by the derivation
 * pool (`derivation-pool.ts`) up to its size ahead and for as long as an entry waits — so a deposit
 * can be stored with an index below deposits stored long before it. A cursor on the index skipped it
 * (a payment never seen); a cursor on the insert number cannot.
 * @example const book = new AddressBook(sessions, (a) => a.toLowerCase()); await book.refresh(new Date()); book.get(address);
 */
export class AddressBook {
  private readonly byAddress = new Map<string, WatchedDeposit>();
  /** The highest `watch_seq` read, or -1 before the first refresh. */
  private cursor = -1;
  private loaded = false;
  private maxIndex = -1;
  /** Holes in `watch_seq` → when first noticed. */
  private readonly gaps = new Map<number, number>();
  private lastPrune = 0;

  /**
   * @param normalize the key an address is matched by, from the chain's family: lower case for EVM
   * (EIP-55 is a checksum over case), unchanged for base58 (case carries the value).
   */
  constructor(
    private readonly source: DepositSource,
    private readonly normalize: (address: string) => string,
  ) {}

  /**
   * The highest derivation index among the deposits loaded so far (of any chain), or -1 before any.
   * Not a bound on the indexes still to come: the derivation pool may hand out lower ones later.
   */
  get highestIndex(): number {
    return this.maxIndex;
  }

  /** The lowest derivation index among the watched deposits, or `null` when none is watched. */
  get lowestIndex(): number | null {
    let lowest: number | null = null;
    for (const deposit of this.byAddress.values()) {
      if (lowest === null || deposit.derivation_index < lowest) lowest = deposit.derivation_index;
    }
    return lowest;
  }

  /** Number of addresses watched. */
  get size(): number {
    return this.byAddress.size;
  }

  /** The deposit paid to by `address` (in any form the family treats as the same), if it is watched. */
  get(address: string): WatchedDeposit | undefined {
    return this.byAddress.get(this.normalize(address));
  }

  /**
   * Loads deposits stored since the last refresh. Call it after reading the chain's head: a buyer
   * only learns an address after its deposit committed, so every payment in a block up to that head
   * goes to an address this refresh sees.
   */
  async refresh(now: Date): Promise<void> {
    const nowMs = now.getTime();
    for (const [seq, since] of this.gaps) if (nowMs - since > GAP_RETRY_MS) this.gaps.delete(seq);
    let rows: WatchedDeposit[];
    if (this.loaded) {
      rows = await this.source.depositsToWatch(this.cursor, [...this.gaps.keys()], now);
    } else {
      // The first read takes every watched deposit; its holes are noted just before it.
      await this.noteRecentHoles(nowMs);
      rows = await this.source.depositsToWatch(-1, [], now);
    }
    for (const row of rows) {
      this.byAddress.set(this.normalize(row.address), row);
      this.gaps.delete(row.watch_seq);
      if (row.watch_seq > this.cursor) {
        this.noteHoles(this.cursor, row.watch_seq, nowMs);
        this.cursor = row.watch_seq;
      }
      if (row.derivation_index > this.maxIndex) this.maxIndex = row.derivation_index;
    }
    this.loaded = true;
    if (nowMs - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = nowMs;
      for (const [address, deposit] of this.byAddress) {
        if (deposit.watch_until <= now) this.byAddress.delete(address);
      }
    }
  }

  /**
   * Before the first read: the holes among the newest stored numbers (inserts of other requests or
   * instances still committing as this book starts, e.g. a watcher taking over leadership). The
   * first read itself returns watched deposits only, so it cannot tell a hole from a deposit that
   * expired; this read, which counts expired ones too, can. The cursor starts at the highest number
   * stored then; deposits the first read finds above it had their holes noted like any later read's.
   */
  private async noteRecentHoles(nowMs: number): Promise<void> {
    const { highest, stored } = await this.source.recentWatchSeqs(MAX_GAP);
    const present = new Set(stored);
    for (let seq = Math.max(0, highest - MAX_GAP + 1); seq < highest; seq++) {
      if (!present.has(seq)) this.gaps.set(seq, nowMs);
    }
    this.cursor = highest;
  }

  /** Numbers skipped between `from` and `to` (both excluded): asked for again for {@link GAP_RETRY_MS}. */
  private noteHoles(from: number, to: number, nowMs: number): void {
    if (to - from > MAX_GAP) return;
    for (let seq = from + 1; seq < to; seq++) this.gaps.set(seq, nowMs);
  }
}
