/**
 * The chain-family seam: the few questions every family of chains answers (EVM in `evm/`, Bitcoin
 * and Litecoin in `utxo/`, TRON in `tron/`), so that sessions, statuses, the event stream, webhooks
 * and the element stay family-agnostic. A family derives the deposit address for index i in the
 * form the buyer sees, builds the payment URI shown in the QR code, normalises an address for
 * matching, and starts the watcher that records what it sees through
 * {@link SessionService.recordBlockRange}. Not a plugin system: the families are listed in
 * {@link chainRail}, one `switch`. Watchers load lazily ({@link ChainRail.loadWatcher}): EVM's
 * brings viem's clients, which the server's start-up need not wait for.
 *
 * **Internal chain ids.** Every table keys chains by an integer `chain_id` (`ChainConfig.id`). For
 * an EVM chain it is its EIP-155 id (unchanged from before families existed, so stored data stays
 * valid); TRON's JSON-RPC chain id is used the same way (Nile's 3 448 148 188 exceeds int32, hence
 * the bigint columns of migration 9). Bitcoin-like chains have no such id: each gets a fixed
 * negative number (`known-chains.ts`; a custom UTXO chain must give one), which can never meet an
 * EIP-155 id. On the wire `chain_id` is the EIP-155 id, and `null` for a UTXO chain: an invented
 * number there would be taken for one by wallets and integrations.
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChainConfig } from '../config.js';
import type { RpcObserver } from '../metrics.js';
import type { SessionService } from '../sessions/session-service.js';
import { evmRail } from './evm/rail.js';
import { tronRail } from './tron/rail.js';
import { utxoRail } from './utxo/rail.js';

/** The families of chains the server speaks to. */
export type ChainFamily = 'evm' | 'utxo' | 'tron';

/** How new blocks are noticed: a push subscription (with polling as the safety net), or polling alone. */
export type DetectionMode = 'subscription' | 'polling';

/** A running chain watcher, whichever family it watches. */
export interface ChainWatcher {
  /** Processes every block up to the current head once (the loop calls this on each tick). */
  syncOnce(): Promise<void>;
  /** Stops the loop, closes any subscription and waits for a running tick to finish. */
  stop(): Promise<void>;
  /** What `GET /ready` reads: when the watcher last reached its node and last saw the head move. */
  status(): ChainWatcherStatus;
}

/** How recently a chain watcher heard from its node (see {@link ChainWatcher.status}). */
export interface ChainWatcherStatus {
  /** The chain's key. */
  chain: string;
  /** When the watcher started. */
  startedAt: Date;
  /** When an RPC call last succeeded (the head read, a block range recorded); `null` before the first. */
  lastSuccessAt: Date | null;
  /** When the head was last seen at a new height; `null` before the first read. */
  lastNewHeadAt: Date | null;
  /** The newest head seen, or `null`. */
  head: number | null;
  /** The last block recorded (the cursor), or `null` before the first read; the metrics' head lag. */
  processed?: number | null;
  /**
   * How new blocks are noticed now: `subscription` while a `newHeads` WebSocket subscription is up
   * (polling goes on as the safety net), `polling` otherwise; `null` when no watcher runs here (another
   * instance leads the chain, see `chain-leadership.ts`).
   */
  detection: DetectionMode | null;
}

/** What every family's watcher needs. */
export interface ChainWatcherOptions {
  chain: ChainConfig;
  /**
   * Where what the watcher sees goes: it reads the cursor and block hashes there and records each
   * block range (transfers, hashes, cursor, the sessions' new states) through it, in one transaction
   * that the service opens. The watcher itself holds no database handle.
   */
  sessions: SessionService;
  logger: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  clock?: () => Date;
  /** Told about every JSON-RPC request the watcher's client sends (the metrics); optional. */
  observeRpc?: RpcObserver | undefined;
}

/** What a payment URI says: pay `amountAtomic` of `token` (a contract, or `null` for the coin) to `to`. */
export interface PaymentRequest {
  to: string;
  amountAtomic: bigint;
  /** Token contract, or `null` for the chain's own coin. */
  token: string | null;
  /** Decimals of the unit `amountAtomic` counts. */
  decimals: number;
  /** A short text for the wallet's payment screen (BIP21 `label`); families that have no such field ignore it. */
  label?: string | undefined;
}

/** One configured chain seen through its family: the seam. */
export interface ChainRail {
  /** The family that answers for the chain. */
  readonly family: ChainFamily;
  /** The chain's id on the wire: its EIP-155 id, or `null` when it has none (UTXO chains). */
  readonly wireChainId: number | null;
  /**
   * The deposit address at derivation index `index` of the chain's account key, in the form shown
   * to the buyer and stored (EIP-55 for EVM, lower-case bech32 for SegWit, base58 for TRON).
   */
  deriveAddress(index: number): string;
  /** The URI a wallet reads from the QR code: EIP-681, BIP21, or TRON's own. */
  paymentUri(request: PaymentRequest): string;
  /** The key an address is matched by: case-folded where the encoding ignores case, unchanged otherwise. */
  normalizeAddress(address: string): string;
  /**
   * Loads the family's watcher code and answers the function that starts watching this chain for
   * payments to open deposits.
   */
  loadWatcher(): Promise<(options: ChainWatcherOptions) => ChainWatcher>;
}

/** Thrown when a chain's family has no rail on this server. */
export class UnsupportedChainFamilyError extends Error {
  override name = 'UnsupportedChainFamilyError';
}

/**
 * The rail of one configured chain. `fallbackXpub` is the top-level `xpub`, which EVM chains use
 * when they have no `xpub` of their own; other families always have their own account key.
 * @example const rail = chainRail(config.chains[0], config.xpub); rail.deriveAddress(7)
 */
export function chainRail(chain: ChainConfig, fallbackXpub: string): ChainRail {
  switch (chain.family) {
    case 'evm':
      return evmRail(chain, fallbackXpub);
    case 'tron':
      return tronRail(chain);
    case 'utxo':
      return utxoRail(chain);
    default:
      throw new UnsupportedChainFamilyError(
        `chain ${chain.key}: the ${chain.family} family is not available on this server yet`,
      );
  }
}

/**
 * The rails of every configured chain, by chain key.
 * @example const rails = chainRails(config); rails.get('anvil')!.deriveAddress(0)
 */
export function chainRails(config: { chains: readonly ChainConfig[]; xpub: string }): Map<string, ChainRail> {
  return new Map(config.chains.map((chain) => [chain.key, chainRail(chain, config.xpub)]));
}
