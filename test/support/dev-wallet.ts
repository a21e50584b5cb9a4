/**
 * "Dev wallet": a wallet for a local anvil chain that runs in the page. It is an EIP-1193 provider,
 * announced through EIP-6963 like a browser extension, backed by a viem local account that signs real
 * transactions and sends them to anvil. The demo page offers it so that a newcomer pays with one
 * click; the element tests use it, with switches that make it behave like a reluctant or broken
 * wallet. Local chains and play money only: it is never part of the element's bundle.
 *
 * @example
 * import { announceDevWallet } from './dev-wallet.js';
 * announceDevWallet({ rpcUrl: 'http://127.0.0.1:8545' }); // <crypto-checkout> now lists "Dev wallet"
 * @module
 */
import {
  createPublicClient,
  createWalletClient,
  hexToBigInt,
  http,
  numberToHex,
  type Address,
  type Hex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_PAYER_KEY } from './dev-accounts.js';

/** Requests a {@link DevWallet} can be told to refuse (as if the user pressed "Reject") or hold. */
export type DevWalletPrompt =
  'eth_requestAccounts' | 'wallet_switchEthereumChain' | 'wallet_addEthereumChain' | 'eth_sendTransaction';

/** How a {@link DevWallet} behaves. */
export interface DevWalletOptions {
  /** The anvil node's JSON-RPC URL (anvil answers browsers: it allows any origin). */
  rpcUrl: string;
  /** The account's private key; default: anvil's first development account (funded, holds test USDC). */
  privateKey?: Hex;
  /**
   * The chain the wallet is on at first; default: the node's. Another id is make-believe: the wallet
   * reports it and refuses to send until it is switched to the node's chain.
   */
  chainId?: number;
  /**
   * Chains the wallet knows, i.e. switches to without adding first; default: the starting chain and
   * the node's. Switching to another answers 4902 (unknown chain), as MetaMask does.
   */
  knownChains?: number[];
  /** Requests answered with 4001 (the user rejected them). */
  reject?: DevWalletPrompt[];
  /** Requests that wait, like a wallet whose prompt nobody answers, until {@link DevWallet.release}. */
  hold?: DevWalletPrompt[];
  /**
   * Gas limit for every transaction instead of an estimate. A token transfer with too little gas
   * runs out of it and is mined reverted: a real failed transaction.
   */
  gas?: bigint;
  /** Name announced (EIP-6963); default `Dev wallet`. */
  name?: string;
}

/** A request the wallet received, for tests to inspect. */
export interface DevWalletRequest {
  method: string;
  params?: unknown;
}

/** The development wallet: an EIP-1193 provider plus switches for tests. */
export interface DevWallet {
  /** EIP-1193. */
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
  /** What it announces (EIP-6963). */
  readonly info: { uuid: string; name: string; icon: string; rdns: string };
  /** The account's address. */
  readonly address: Address;
  /** Every request received, in order. */
  readonly requests: DevWalletRequest[];
  /** Chains added with `wallet_addEthereumChain`, as asked. */
  readonly added: unknown[];
  /** Requests it refuses with 4001 (starts as `options.reject`; tests may change it). */
  readonly rejecting: Set<DevWalletPrompt>;
  /** Answers the held requests of `method` (see `hold`) and stops holding it. */
  release(method: DevWalletPrompt): void;
  /** Disconnects, as a wallet that lost its connection: events `disconnect` and `accountsChanged([])`, then 4900 for every request. */
  disconnect(): void;
  /** Announces the wallet (again) with `eip6963:announceProvider`. */
  announce(): void;
  /** Stops answering `eip6963:requestProvider`. */
  dispose(): void;
}

const ICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0f766e"/><path d="M9 10h8a6 6 0 0 1 0 12H9z" fill="none" stroke="#fff" stroke-width="3"/></svg>',
  );

/** An EIP-1193 error: `code` 4001 user rejected, 4900 disconnected, 4902 unknown chain… */
const rpcError = (code: number, message: string) => Object.assign(new Error(message), { code });

/**
 * Creates a development wallet (not yet announced; see {@link announceDevWallet}).
 * @example const wallet = createDevWallet({ rpcUrl, reject: ['eth_sendTransaction'] });
 */
export function createDevWallet(options: DevWalletOptions): DevWallet {
  const account = privateKeyToAccount(options.privateKey ?? DEV_PAYER_KEY);
  const transport = http(options.rpcUrl, { retryCount: 0 });
  const node = createPublicClient({ transport });
  const signer = createWalletClient({ account, transport });
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const fire = (event: string, ...args: unknown[]) =>
    listeners.get(event)?.forEach((listener) => listener(...args));
  const rejecting = new Set<DevWalletPrompt>(options.reject ?? []);
  const held = new Map<string, (() => void)[]>();
  const holding = new Set<string>(options.hold ?? []);
  const requests: DevWalletRequest[] = [];
  const added: unknown[] = [];
  let nodeChain: Promise<number> | undefined;
  const nodeChainId = () => (nodeChain ??= node.getChainId());
  let chain: number | undefined = options.chainId;
  let known: Set<number> | undefined;
  const knownChains = async () =>
    (known ??= new Set(options.knownChains ?? [chain ?? -1, await nodeChainId()]));
  let connected = false;
  let disconnected = false;

  const switchTo = (id: number) => {
    if (chain === id) return;
    chain = id;
    fire('chainChanged', numberToHex(id));
  };

  const answer = async (method: string, params: unknown): Promise<unknown> => {
    const first = (Array.isArray(params) ? params[0] : undefined) as Record<string, unknown> | undefined;
    chain ??= await nodeChainId();
    switch (method) {
      case 'eth_requestAccounts':
        if (!connected) {
          connected = true;
          fire('connect', { chainId: numberToHex(chain) });
          fire('accountsChanged', [account.address]);
        }
        return [account.address];
      case 'eth_accounts':
        return connected ? [account.address] : [];
      case 'eth_chainId':
        return numberToHex(chain);
      case 'net_version':
        return String(chain);
      case 'wallet_switchEthereumChain': {
        const id = Number(first?.chainId);
        if (!(await knownChains()).has(id))
          throw rpcError(
            4902,
            `Unrecognized chain ID "${numberToHex(id)}". Try adding the chain using wallet_addEthereumChain first.`,
          );
        switchTo(id);
        return null;
      }
      case 'wallet_addEthereumChain': {
        const id = Number(first?.chainId);
        added.push(first);
        (await knownChains()).add(id);
        switchTo(id); // as MetaMask does after adding
        return null;
      }
      case 'eth_sendTransaction': {
        if (!connected) throw rpcError(4100, 'The requested account has not been authorized by the user.');
        if (chain !== (await nodeChainId()))
          throw rpcError(-32000, `the wallet is on chain ${chain}, not the node's`);
        const tx = (first ?? {}) as { to?: Address; data?: Hex; value?: Hex; gas?: Hex };
        return signer.sendTransaction({
          chain: null,
          to: tx.to,
          data: tx.data,
          value: tx.value ? hexToBigInt(tx.value) : undefined,
          gas: options.gas ?? (tx.gas ? hexToBigInt(tx.gas) : undefined),
        });
      }
      default:
        // Reads go to the node (the make-believe chains have no node of their own).
        return node.request({ method, params } as never);
    }
  };

  const wallet: DevWallet = {
    info: {
      uuid: crypto.randomUUID(),
      name: options.name ?? 'Dev wallet',
      icon: ICON,
      rdns: 'org.crypto-checkout.dev-wallet',
    },
    address: account.address,
    requests,
    added,
    rejecting,
    async request({ method, params }) {
      requests.push({ method, params });
      if (disconnected) throw rpcError(4900, 'The provider is disconnected from all chains.');
      if (holding.has(method))
        await new Promise<void>((resolve) => held.set(method, [...(held.get(method) ?? []), resolve]));
      if (disconnected) throw rpcError(4900, 'The provider is disconnected from all chains.');
      if (rejecting.has(method as DevWalletPrompt)) throw rpcError(4001, 'User rejected the request.');
      return answer(method, params);
    },
    on(event, listener) {
      listeners.set(event, (listeners.get(event) ?? new Set()).add(listener));
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
    },
    release(method) {
      holding.delete(method);
      held.get(method)?.forEach((resolve) => resolve());
      held.delete(method);
    },
    disconnect() {
      disconnected = true;
      connected = false;
      fire('disconnect', rpcError(4900, 'The provider is disconnected from all chains.'));
      fire('accountsChanged', []);
    },
    announce() {
      window.dispatchEvent(
        new CustomEvent('eip6963:announceProvider', {
          detail: Object.freeze({ info: wallet.info, provider: wallet }),
        }),
      );
    },
    dispose() {
      window.removeEventListener('eip6963:requestProvider', onRequestProvider);
    },
  };
  const onRequestProvider = () => wallet.announce();
  window.addEventListener('eip6963:requestProvider', onRequestProvider);
  return wallet;
}

/**
 * Creates a development wallet and announces it (EIP-6963), so that `<crypto-checkout>` elements on
 * the page, present and future, list it.
 * @example announceDevWallet({ rpcUrl: 'http://127.0.0.1:8545' });
 */
export function announceDevWallet(options: DevWalletOptions): DevWallet {
  const wallet = createDevWallet(options);
  wallet.announce();
  return wallet;
}
