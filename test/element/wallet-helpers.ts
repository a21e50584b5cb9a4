/**
 * Helpers for the wallet tests: development wallets with fresh, really funded anvil accounts, and a
 * fake WalletConnect provider at the element's one WalletConnect seam.
 */
import { executeServerCommand } from '@web/test-runner-commands';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { createDevWallet, type DevWallet, type DevWalletOptions } from '../support/dev-wallet.js';
import type { CryptoCheckout } from '../../src/element/index.js';
import {
  setWalletConnectLoader,
  type WalletConnectOptions,
  type WalletConnectProvider,
} from '../../src/element/wallet/walletconnect.js';
import { part, parts, stack, until } from './helpers.js';

let chain: Promise<{ rpcUrl: string; usdc: string }> | undefined;
/** The test chain's RPC URL and test USDC. */
export const chainInfo = () =>
  (chain ??= executeServerCommand<{ rpcUrl: string; usdc: string }, undefined>('stack-info'));

const wallets: DevWallet[] = [];

/**
 * A development wallet whose account is new and funded for real on anvil with `usdc` test USDC and
 * `eth` ETH (`'0'` for none), announced on the page (EIP-6963) unless `announce: false`.
 * {@link disposeWallets} takes it off the page after the test.
 */
export async function fundedWallet(
  options: { usdc?: string; eth?: string; announce?: boolean } & Partial<DevWalletOptions> = {},
): Promise<DevWallet> {
  const { usdc = '100', eth = '1', announce = true, ...rest } = options;
  const privateKey = generatePrivateKey();
  const address = privateKeyToAddress(privateKey);
  if (eth !== '0') await stack.pay(address, eth, 'eth');
  if (usdc !== '0') await stack.pay(address, usdc, 'usdc');
  const wallet = createDevWallet({ rpcUrl: (await chainInfo()).rpcUrl, privateKey, ...rest });
  wallets.push(wallet);
  if (announce) wallet.announce();
  else wallet.dispose();
  return wallet;
}

/** Stops the test's wallets from answering discovery, so that the next test sees only its own. */
export function disposeWallets() {
  for (const wallet of wallets.splice(0)) wallet.dispose();
}

/** The wallet panel's button for the wallet named `name`, once it is shown. */
export const walletOption = (el: CryptoCheckout, name: string) =>
  until(
    () => parts(el, 'wallet-option').find((b) => b.textContent!.replace(/\s+/g, ' ').trim().startsWith(name)),
    `the wallet panel offers ${name}`,
  );

/** Text of the wallet panel's status or error line. */
export const walletText = (el: CryptoCheckout, name: 'wallet-status' | 'wallet-error') =>
  (part(el, name)?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Methods of the requests a wallet received, in order. */
export const methods = (wallet: DevWallet) => wallet.requests.map((r) => r.method);

/**
 * Replaces the element's WalletConnect loader with a fake provider, since WalletConnect's relay is
 * unreachable here. The fake behaves like `@walletconnect/ethereum-provider` towards the element:
 * `enable()` emits `display_uri` with a `wc:` URI and resolves once {@link approve} is called (a
 * phone wallet scanned it), then forwards requests to a development wallet, as the relay would to
 * the phone. `calls` records every start of the provider.
 */
export function fakeWalletConnect(wallet: DevWallet) {
  const calls: WalletConnectOptions[] = [];
  const uris: string[] = [];
  let approve!: () => void;
  const approved = new Promise<void>((resolve) => (approve = resolve));
  const listeners = new Map<string, Set<(...args: never[]) => void>>();
  const provider: WalletConnectProvider = {
    session: undefined,
    request: (args) => wallet.request(args as { method: string; params?: unknown }),
    on(event, listener) {
      listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
      if (event !== 'display_uri') wallet.on(event, listener as never);
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      wallet.removeListener(event, listener as never);
    },
    async enable() {
      if (!provider.session) {
        const uri = `wc:${crypto.randomUUID().replace(/-/g, '')}@2?relay-protocol=irn&symKey=${'ab'.repeat(32)}`;
        uris.push(uri);
        listeners.get('display_uri')?.forEach((listener) => (listener as (uri: string) => void)(uri));
        await approved;
        provider.session = {
          peer: { metadata: { name: 'Phone wallet', redirect: { native: 'phonewallet://' } } },
        };
      }
      return (await wallet.request({ method: 'eth_requestAccounts' })) as string[];
    },
    async disconnect() {
      provider.session = undefined;
    },
  };
  setWalletConnectLoader(async (options) => {
    calls.push(options);
    return provider;
  });
  return { provider, calls, uris, approve, restore: () => setWalletConnectLoader() };
}
