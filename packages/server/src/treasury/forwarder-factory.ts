/**
 * On-chain actions on ForwarderFactory, shared by the sweeper, the CLI and the bench: deploy the
 * factory at its deterministic address when a chain lacks it, and send one batch sweep. Any key may
 * send these: the contracts let the money reach only the treasury named in each deposit address.
 */
import type { Account, Address, Chain, Hash, PublicClient, Transport, WalletClient } from 'viem';
import { encodeFunctionData } from 'viem';
import {
  DEFAULT_FORWARDER_FACTORY,
  DETERMINISTIC_DEPLOYER,
  FACTORY_DEPLOYMENT_DATA,
} from './forwarder-address.js';
import { forwarderFactoryAbi } from './forwarder-contracts.js';

/** Thrown when the factory is absent and cannot be created at its fixed address on this chain. */
export class FactoryUnavailableError extends Error {
  override name = 'FactoryUnavailableError';
}

/** A wallet client with an account (the relayer's gas key). */
export type RelayerClient = WalletClient<Transport, Chain | undefined, Account>;

/**
 * Makes sure ForwarderFactory has code at `factory`. When it is the default (deterministic) address
 * and absent, deploys it through the deterministic-deployment proxy and waits for the receipt.
 * Returns the deployment transaction's hash, or null when the factory was already there.
 * @example await ensureForwarderFactory(publicClient, relayer, DEFAULT_FORWARDER_FACTORY)
 */
export async function ensureForwarderFactory(
  client: PublicClient,
  relayer: RelayerClient,
  factory: Address = DEFAULT_FORWARDER_FACTORY,
): Promise<Hash | null> {
  const code = await client.getCode({ address: factory });
  if (code && code !== '0x') return null;
  if (factory.toLowerCase() !== DEFAULT_FORWARDER_FACTORY.toLowerCase()) {
    throw new FactoryUnavailableError(
      `no ForwarderFactory at ${factory}; deploy it there, or leave forwarder_factory unset to use ${DEFAULT_FORWARDER_FACTORY}`,
    );
  }
  const proxy = await client.getCode({ address: DETERMINISTIC_DEPLOYER });
  if (!proxy || proxy === '0x') {
    throw new FactoryUnavailableError(
      `this chain has no deterministic-deployment proxy at ${DETERMINISTIC_DEPLOYER}; deploy ForwarderFactory yourself and set forwarder_factory`,
    );
  }
  const hash = await relayer.sendTransaction({
    chain: relayer.chain ?? null,
    to: DETERMINISTIC_DEPLOYER,
    data: FACTORY_DEPLOYMENT_DATA,
  });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  if (receipt.status !== 'success') throw new FactoryUnavailableError(`factory deployment ${hash} reverted`);
  return hash;
}

/** What one sweep transaction moves: these deposit indexes of `treasury`, these tokens (and coin). */
export interface SweepBatch {
  factory: Address;
  treasury: Address;
  indexes: readonly number[];
  /** ERC-20 contracts to flush from every listed address; the native coin always goes too. */
  tokens: readonly Address[];
}

/** Calldata of `ForwarderFactory.sweep` for `batch` (for an estimate, an export or a send). */
export function encodeSweep(batch: SweepBatch) {
  return encodeFunctionData({
    abi: forwarderFactoryAbi,
    functionName: 'sweep',
    args: [batch.treasury, batch.indexes.map(BigInt), [...batch.tokens]],
  });
}
