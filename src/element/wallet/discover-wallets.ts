import type { Eip1193Provider } from './eip1193.js';

/** What a wallet announces about itself (EIP-6963 `EIP6963ProviderInfo`). */
export interface WalletInfo {
  /** A UUIDv4 that is new for each page load. */
  uuid: string;
  /** The wallet's name, e.g. `MetaMask`. */
  name: string;
  /** A `data:` URI of the wallet's icon (shown in an `<img>`, never as markup). */
  icon: string;
  /** Reverse-DNS id, e.g. `io.metamask`. */
  rdns: string;
}

/** One injected wallet found on the page. */
export interface InjectedWallet {
  info: WalletInfo;
  provider: Eip1193Provider;
}

interface AnnounceEvent extends Event {
  detail?: { info?: Partial<WalletInfo>; provider?: Eip1193Provider };
}

const isInfo = (info: Partial<WalletInfo> | undefined): info is WalletInfo =>
  !!info && typeof info.uuid === 'string' && typeof info.name === 'string' && !!info.name;

/** The name of a legacy `window.ethereum` by its vendor flags; 'Browser wallet' when unknown. */
const legacyName = (provider: Record<string, unknown>, fallback: string): string =>
  provider.isRabby
    ? 'Rabby'
    : provider.isCoinbaseWallet
      ? 'Coinbase Wallet'
      : provider.isBraveWallet
        ? 'Brave Wallet'
        : provider.isTrust
          ? 'Trust Wallet'
          : provider.isMetaMask
            ? 'MetaMask'
            : fallback;

/**
 * Finds the page's injected wallets with EIP-6963: listens for `eip6963:announceProvider`, asks
 * with `eip6963:requestProvider` and calls `onChange` with every wallet known so far (one per
 * `uuid`), in the order they announced themselves. When no wallet announces itself, a legacy
 * `window.ethereum` is listed as `fallbackName`. Returns a function that stops listening.
 * @example
 * const stop = discoverWallets((wallets) => render(wallets), 'Browser wallet');
 * // later: stop()
 */
export function discoverWallets(
  onChange: (wallets: InjectedWallet[]) => void,
  fallbackName: string,
): () => void {
  if (typeof window === 'undefined') return () => {};
  const announced = new Map<string, InjectedWallet>();
  const report = () => {
    const wallets = [...announced.values()];
    const legacy = (window as { ethereum?: Eip1193Provider & Record<string, unknown> }).ethereum;
    if (!wallets.length && legacy && typeof legacy.request === 'function') {
      wallets.push({
        info: { uuid: 'window.ethereum', name: legacyName(legacy, fallbackName), icon: '', rdns: '' },
        provider: legacy,
      });
    }
    onChange(wallets);
  };
  const onAnnounce = (event: Event) => {
    const { info, provider } = (event as AnnounceEvent).detail ?? {};
    if (!isInfo(info) || typeof provider?.request !== 'function') return;
    // Icons are shown with <img src>, which runs no script; anything but a data: image is dropped.
    const icon = /^data:image\//i.test(info.icon ?? '') ? info.icon : '';
    announced.set(info.uuid, {
      info: { uuid: info.uuid, name: info.name, icon, rdns: info.rdns ?? '' },
      provider,
    });
    report();
  };
  window.addEventListener('eip6963:announceProvider', onAnnounce);
  window.dispatchEvent(new Event('eip6963:requestProvider'));
  report();
  return () => window.removeEventListener('eip6963:announceProvider', onAnnounce);
}
