/**
 * The UTXO family (Bitcoin, Litecoin) behind the chain-family seam (`../family.ts`): deposit
 * addresses are the receive addresses of the chain's own account key (`account-key.ts`), payment
 * URIs are BIP21 (`bip21.ts`), bech32 addresses match case-blind and base58 ones exactly, and the
 * watcher reads a watch-only wallet on the merchant's node (`utxo-watcher.ts`).
 * @module
 */
import type { ChainConfig } from '../../config.js';
import type { ChainRail } from '../family.js';
import { deriveUtxoAddress, parseUtxoAccountKey } from './account-key.js';
import { bip21Uri } from './bip21.js';
import { normalizeUtxoAddress, utxoNetworkOf } from './utxo-chain.js';

/**
 * The rail of a UTXO chain. Its account key is the chain's own `xpub` (a BIP84 zpub/vpub, or an
 * xpub/tpub/Ltub with `address_type`); the configuration has checked it is there and fits.
 * @example utxoRail(chain).deriveAddress(0) // 'ltc1q…'
 */
export function utxoRail(chain: ChainConfig): ChainRail {
  const network = utxoNetworkOf(chain);
  if (!chain.xpub) throw new Error(`chain ${chain.key} has no xpub`);
  const key = parseUtxoAccountKey(chain.xpub, network, chain.address_type);
  return {
    family: 'utxo',
    // No EIP-155 id: null on the wire rather than the internal number (see ../family.ts).
    wireChainId: null,
    deriveAddress: (index) => deriveUtxoAddress(key, index),
    paymentUri: ({ to, amountAtomic, decimals, label }) =>
      bip21Uri({ scheme: network.scheme, address: to, amountAtomic, decimals, label }),
    normalizeAddress: normalizeUtxoAddress,
    loadWatcher: async () => (await import('./utxo-watcher.js')).startUtxoWatcher,
  };
}
