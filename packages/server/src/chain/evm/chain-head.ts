/**
 * Reads a chain's head block from its node, for ordering a cancel against transfers the watcher has
 * not reached yet (`SessionService.cancel`). Bounded and quiet: a node that does not answer within
 * the timeout gives `null`, and the cancel falls back to the watcher's cursor.
 * @module
 */
import type { PublicClient } from 'viem';
import type { ChainConfig } from '../../config.js';
import type { RpcObserver } from '../../metrics.js';
import { observedTransport } from './observed-transport.js';

/** How long a cancel waits for a node's head before using the watcher's cursor instead, in ms. */
export const CHAIN_HEAD_TIMEOUT_MS = 2_000;

/**
 * A function that asks the configured node of a chain for its head block number; `null` when the
 * chain is not configured or its node does not answer in `timeoutMs`. viem is loaded on first use,
 * so building the services does not wait for it.
 * @example const head = await chainHeadReader(config.chains)(8453); // 23_456_789 or null
 */
export function chainHeadReader(
  chains: readonly ChainConfig[],
  timeoutMs = CHAIN_HEAD_TIMEOUT_MS,
  observeRpc?: RpcObserver,
): (chainId: number) => Promise<number | null> {
  const clients = new Map<number, Promise<PublicClient>>();
  const clientFor = (chain: ChainConfig) => {
    let client = clients.get(chain.id);
    if (!client) {
      client = import('viem').then(
        ({ createPublicClient, http }) =>
          createPublicClient({
            transport: observedTransport(
              http(chain.rpc_url, { retryCount: 0, timeout: timeoutMs }),
              chain.key,
              observeRpc,
            ),
          }) as PublicClient,
      );
      clients.set(chain.id, client);
    }
    return client;
  };
  return async (chainId) => {
    const chain = chains.find((c) => c.id === chainId);
    if (!chain) return null;
    try {
      return Number(await (await clientFor(chain)).getBlockNumber({ cacheTime: 0 }));
    } catch {
      return null; // unreachable or slow: the watcher's cursor stands in
    }
  };
}

/**
 * Reads a chain's current gas price (wei) from its node, or `null` when it cannot tell (unknown
 * chain, unreachable, slow): for estimating what a buyer's transfer costs in network fees.
 * @example const wei = await chainGasPriceReader(config.chains)(8453); // 6_000_000n or null
 */
export function chainGasPriceReader(
  chains: readonly ChainConfig[],
  timeoutMs = CHAIN_HEAD_TIMEOUT_MS,
): (chainId: number) => Promise<bigint | null> {
  const clients = new Map<number, Promise<PublicClient>>();
  return async (chainId) => {
    const chain = chains.find((c) => c.id === chainId);
    if (!chain) return null;
    let client = clients.get(chain.id);
    if (!client) {
      client = import('viem').then(
        ({ createPublicClient, http }) =>
          createPublicClient({
            transport: http(chain.rpc_url, { retryCount: 0, timeout: timeoutMs }),
          }) as PublicClient,
      );
      clients.set(chain.id, client);
    }
    try {
      return await (await client).getGasPrice();
    } catch {
      return null;
    }
  };
}
