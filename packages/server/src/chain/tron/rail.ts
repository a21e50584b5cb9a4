/**
 * The TRON family behind the chain-family seam (`../family.ts`): deposit addresses are the `T…`
 * addresses of the account key's receive chain (m/44'/195'/0'/0/i), the QR code holds the bare
 * address (TRON has no payment URI that wallets honour), addresses match exactly (base58 is
 * case-sensitive), and the watcher is the EVM one over TRON's Ethereum-compatible JSON-RPC with
 * TRON's address spelling and solidified blocks (`chain-watcher.ts`).
 * @module
 */
import type { ChainConfig } from '../../config.js';
import type { ChainRail } from '../family.js';
import { parseXpub } from '../evm/derive-address.js';
import { deriveTronAddress } from './address.js';

/**
 * The rail of a TRON chain, from its own account xpub (m/44'/195'/0').
 * @example tronRail(chain).deriveAddress(0) // 'T…'
 */
export function tronRail(chain: ChainConfig): ChainRail {
  if (!chain.xpub) throw new Error(`chain ${chain.key}: a TRON chain needs its own xpub (m/44'/195'/0')`);
  const root = parseXpub(chain.xpub);
  return {
    family: 'tron',
    wireChainId: chain.id,
    deriveAddress: (index) => deriveTronAddress(root, index),
    // TRON wallets scan a plain address; the amount and token are shown beside the QR code as text.
    paymentUri: ({ to }) => to,
    normalizeAddress: (address) => address,
    loadWatcher: async () => (await import('./chain-watcher.js')).startTronWatcher,
  };
}
