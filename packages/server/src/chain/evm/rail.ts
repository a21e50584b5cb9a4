/**
 * The EVM family behind the chain-family seam (`../family.ts`): deposit addresses are the EIP-55
 * addresses of the account key's children, payment URIs are EIP-681, addresses match case-blind, and
 * the watcher reads `Transfer` logs and native transfers block by block (`chain-watcher.ts`).
 * @module
 */
import type { Address } from 'viem';
import type { ChainConfig } from '../../config.js';
import type { ChainRail } from '../family.js';
import { deriveDepositAddress, parseXpub } from './derive-address.js';
import { eip681Uri } from './eip681.js';
import { DEFAULT_FORWARDER_FACTORY, forwarderAddress } from '../../treasury/forwarder-address.js';

/**
 * The rail of an EVM chain. Its account key is the chain's own `xpub`, else the configuration's
 * top-level one (every EVM chain shares the addresses of m/44'/60'/0'/0 by default). In forwarder
 * deposit mode (docs/sweeps.md) the deposit address of index i is instead the CREATE2 address of
 * the keyless forwarder that can only send to `treasury_address` (`treasury/forwarder-address.ts`).
 * @example evmRail(chain, config.xpub).deriveAddress(7) // '0x…'
 */
export function evmRail(chain: ChainConfig, fallbackXpub: string): ChainRail {
  const root = parseXpub(chain.xpub ?? fallbackXpub);
  // An EVM chain's treasury_address is a 0x… address (config.ts refuses a T… one there).
  const treasury =
    chain.deposit_mode === 'forwarder' ? (chain.treasury_address as Address | undefined) : undefined;
  const factory = chain.forwarder_factory ?? DEFAULT_FORWARDER_FACTORY;
  return {
    family: 'evm',
    wireChainId: chain.id,
    deriveAddress: (index) =>
      treasury ? forwarderAddress(factory, treasury, index) : deriveDepositAddress(root, index),
    paymentUri: ({ to, amountAtomic, token }) => eip681Uri({ to, chainId: chain.id, amountAtomic, token }),
    // EIP-55 is a checksum over case only: the same address in any case.
    normalizeAddress: (address) => address.toLowerCase(),
    loadWatcher: async () => (await import('./chain-watcher.js')).startChainWatcher,
  };
}
