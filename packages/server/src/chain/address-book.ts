import type { WatchedDeposit } from '../store/session-store.js';

/** Where the address book reads deposits from (the session service). */
export interface DepositSource {
  depositsToWatch(afterIndex: number, alsoIndexes: number[], now: Date): Promise<WatchedDeposit[]>;
}

/**
 * How long a skipped derivation index is asked for again (a deposit transaction still committing,
 * or an index waiting in the derivation pool: `derivation-pool.ts` hands out none older than half this).
 */
export const GAP_RETRY_MS = 120_000;
/** Larger jumps in the sequence are not tracked as gaps (no transaction holds that many indexes). */
const MAX_GAP = 10_000;
/** How often addresses past their watch window are dropped. */
const PRUNE_EVERY_MS = 60_000;

/**
 * The deposit addresses a chain watcher matches transfers against, kept in memory and refreshed
 * incrementally: each refresh reads only deposits with a derivation index above the highest seen
 * (plus recent gaps in the sequence, which a slower transaction may still fill), so its cost does
 * not grow with the number of open payments. Addresses past their watch window are dropped.
 * @example const book = new AddressBook(sessions); await book.refresh(new Date()); book.get(address);
 */
export class AddressBook {
  private readonly byAddress = new Map<string, WatchedDeposit>();
  private maxIndex = -1;
  /** Skipped indexes → when first noticed. */
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

  /** The highest derivation index loaded so far (of any chain's deposit), or -1 before any. */
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
   * Loads deposits created since the last refresh. Call it after reading the chain's head: a buyer
   * only learns an address after its deposit committed, so every payment in a block up to that head
   * goes to an address this refresh sees.
   */
  async refresh(now: Date): Promise<void> {
    const nowMs = now.getTime();
    for (const [index, since] of this.gaps) if (nowMs - since > GAP_RETRY_MS) this.gaps.delete(index);
    const rows = await this.source.depositsToWatch(this.maxIndex, [...this.gaps.keys()], now);
    // The first read sees every committed deposit; it skips expired ones, which are not gaps.
    const trackGaps = this.maxIndex >= 0;
    for (const row of rows) {
      this.byAddress.set(this.normalize(row.address), row);
      this.gaps.delete(row.derivation_index);
      if (trackGaps && row.derivation_index - this.maxIndex <= MAX_GAP) {
        for (let i = this.maxIndex + 1; i < row.derivation_index; i++) this.gaps.set(i, nowMs);
      }
      if (row.derivation_index > this.maxIndex) this.maxIndex = row.derivation_index;
    }
    if (nowMs - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = nowMs;
      for (const [address, deposit] of this.byAddress) {
        if (deposit.watch_until <= now) this.byAddress.delete(address);
      }
    }
  }
}
