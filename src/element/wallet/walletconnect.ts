/**
 * The one seam between the element and WalletConnect. The element asks {@link walletConnectProvider}
 * for the page's provider; behind it a {@link WalletConnectLoader} starts one. The real loader imports
 * `@walletconnect/ethereum-provider` (a chunk of its own) and initialises it; tests, which cannot
 * reach WalletConnect's relay, put a fake provider there with {@link setWalletConnectLoader}.
 * @module
 */
import type { Eip1193Provider } from './eip1193.js';

/** The paired wallet as WalletConnect describes it. */
export interface WalletConnectPeer {
  name?: string;
  /** Deep links that bring the wallet app to the front (for confirming a request on the same phone). */
  redirect?: { native?: string; universal?: string };
}

/** What the element uses of WalletConnect's `EthereumProvider`, beyond EIP-1193. */
export interface WalletConnectProvider extends Eip1193Provider {
  /**
   * Resolves with the accounts once a wallet is paired; without a session it first emits
   * `display_uri` with the `wc:` pairing URI (the element shows it as a QR code and a link).
   */
  enable(): Promise<string[]>;
  /** Ends the session with the wallet. */
  disconnect(): Promise<void>;
  /** The current session, if paired. */
  session?: { peer?: { metadata?: WalletConnectPeer } } | undefined;
}

/** How the element asks for a provider. */
export interface WalletConnectOptions {
  /** The merchant's WalletConnect (Reown) project id. */
  projectId: string;
  /**
   * Chains the session can be paid on, asked for as `optionalChains` (EIP-155 ids), so that a wallet
   * that lacks one still connects.
   */
  chains: [number, ...number[]];
  /** Who asks, as the wallet shows it. */
  metadata: { name: string; description: string; url: string; icons: string[] };
}

/** Starts a WalletConnect provider. */
export type WalletConnectLoader = (options: WalletConnectOptions) => Promise<WalletConnectProvider>;

/** Fetches WalletConnect's code without starting it (no storage, no relay). */
export const importWalletConnect = () => import('./walletconnect-sdk.js');

/**
 * The real loader: imports `@walletconnect/ethereum-provider` and initialises it without its modal
 * (`showQrModal: false`), so that the element draws the pairing itself and the modal's code is never
 * needed. Browser only, and only on the buyer's tap: `init()` is what opens indexedDB and the relay.
 * @example const provider = await loadWalletConnectProvider({ projectId, chains: [8453], metadata });
 */
export const loadWalletConnectProvider: WalletConnectLoader = async ({ projectId, chains, metadata }) => {
  const { EthereumProvider } = await importWalletConnect();
  const provider = await EthereumProvider.init({
    projectId,
    optionalChains: chains,
    showQrModal: false,
    metadata,
  });
  return provider as unknown as WalletConnectProvider;
};

let loader: WalletConnectLoader = loadWalletConnectProvider;

// One provider per page, however many elements (and copies of this bundle) there are: WalletConnect's
// core refuses a second initialisation ("Core is already initialized"), and one pairing serves all.
const PAGE_KEY = Symbol.for('crypto-checkout.walletconnect');
const page = globalThis as { [PAGE_KEY]?: Promise<WalletConnectProvider> };

/**
 * Replaces how the provider is started: tests pass a fake, a page that runs WalletConnect already
 * can pass its own provider. Without an argument the real loader is back. Forgets the page's
 * provider either way.
 * @example setWalletConnectLoader(async () => fakeProvider);
 */
export function setWalletConnectLoader(next?: WalletConnectLoader): void {
  loader = next ?? loadWalletConnectProvider;
  delete page[PAGE_KEY];
}

/**
 * The page's WalletConnect provider, started on first use with the first caller's options (later
 * callers share it; a wallet switches chains within the session). A start that fails is forgotten,
 * so that the buyer can try again.
 */
export function walletConnectProvider(options: WalletConnectOptions): Promise<WalletConnectProvider> {
  const existing = page[PAGE_KEY];
  if (existing) return existing;
  const started = loader(options);
  page[PAGE_KEY] = started;
  started.catch(() => {
    if (page[PAGE_KEY] === started) delete page[PAGE_KEY];
  });
  return started;
}

/**
 * Fetches WalletConnect's chunk ahead of the buyer's tap, once the buyer can choose it; nothing when
 * a replacement loader is in use.
 */
export function preloadWalletConnect(): void {
  if (loader === loadWalletConnectProvider) importWalletConnect().catch(() => {});
}
