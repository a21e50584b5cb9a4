import type { Chain } from 'viem';
import { httpUrl } from '../http-url.js';

/**
 * Public RPC endpoints and native coins of the chains the backend knows
 * (`packages/server/src/chain/known-chains.ts`), for `wallet_addEthereumChain` when a wallet does not know the
 * session's chain. Taken from viem's chain definitions, which the wallet chunk does not import whole
 * (the OP-stack ones pull in transaction serializers). The backend's own RPC URL is never sent to
 * the browser: it may carry an API key.
 */
const PUBLIC_CHAINS: Record<number, [rpcUrl: string, coin: string]> = {
  1: ['https://ethereum.reth.rs/rpc', 'ETH'],
  8453: ['https://mainnet.base.org', 'ETH'],
  137: ['https://polygon.drpc.org', 'POL'],
  42161: ['https://arb1.arbitrum.io/rpc', 'ETH'],
  10: ['https://mainnet.optimism.io', 'ETH'],
  56: ['https://56.rpc.thirdweb.com', 'BNB'],
  11155111: ['https://11155111.rpc.thirdweb.com', 'ETH'],
  84532: ['https://sepolia.base.org', 'ETH'],
  80002: ['https://polygon-amoy.drpc.org', 'POL'],
  421614: ['https://sepolia-rollup.arbitrum.io/rpc', 'ETH'],
  11155420: ['https://sepolia.optimism.io', 'ETH'],
  97: ['https://data-seed-prebsc-1-s1.bnbchain.org:8545', 'tBNB'],
  31337: ['http://127.0.0.1:8545', 'ETH'],
};

/** The native coin's symbol of a known chain (for "needs a little ETH"), or `undefined`. */
export const nativeSymbol = (id: number | null): string | undefined =>
  id === null ? undefined : PUBLIC_CHAINS[id]?.[1];

/**
 * The chain to add to a wallet that does not know it, named as the checkout names it, or `undefined`
 * when no public RPC endpoint is known for the chain.
 * @example chainToAdd(8453, 'Base', 'https://basescan.org')?.rpcUrls.default.http // ['https://mainnet.base.org']
 */
export function chainToAdd(id: number, name: string, explorerUrl: string | null): Chain | undefined {
  const known = PUBLIC_CHAINS[id];
  if (!known) return undefined;
  const [rpcUrl, symbol] = known;
  const explorer = httpUrl(explorerUrl);
  return {
    id,
    name,
    nativeCurrency: { name: symbol, symbol, decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    ...(explorer ? { blockExplorers: { default: { name, url: explorer } } } : {}),
  };
}
