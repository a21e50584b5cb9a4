/**
 * What the UTXO rail and watcher both read off a chain's configuration: its network, the name of
 * its wallet on the node, and how its addresses are matched.
 * @module
 */
import type { ChainConfig } from '../../config.js';
import { UTXO_NETWORKS, type UtxoNetwork } from './utxo-networks.js';

/**
 * The network of a UTXO chain (its `utxo_network`, which known chains set and the configuration
 * requires for the others).
 */
export function utxoNetworkOf(chain: ChainConfig): UtxoNetwork {
  if (!chain.utxo_network) throw new Error(`chain ${chain.key} has no utxo_network`);
  return UTXO_NETWORKS[chain.utxo_network];
}

/** The name of the server's watch-only wallet on the chain's node: `wallet`, else `crypto-checkout-<key>`. */
export function walletNameOf(chain: ChainConfig): string {
  return chain.wallet ?? `crypto-checkout-${chain.key}`;
}

/**
 * The key a UTXO address is matched by: bech32 is case-insensitive (lower-cased), base58 is not
 * (its case carries the value; unchanged).
 * @example normalizeUtxoAddress('LTC1QABC…') // 'ltc1qabc…'
 */
export function normalizeUtxoAddress(address: string): string {
  return /^[a-z]+1[02-9ac-hj-np-z]+$/i.test(address) ? address.toLowerCase() : address;
}
