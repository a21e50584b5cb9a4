/**
 * What the UTXO tests need to play the merchant's wallet with bitcoinjs-lib (an independent library):
 * Litecoin regtest's network parameters and an HD signer over the merchant's @scure/bip32 seed
 * (in the tests only: the server never holds a private key).
 */
import type * as bitcoinjs from 'bitcoinjs-lib';
import type { HDKey } from '@scure/bip32';
import { TEST_VERSIONS } from './litecoind.js';

/** The Litecoin regtest method id. */
export const LTC = 'ltc@litecoin-regtest';

/** Litecoin regtest for bitcoinjs-lib (addresses only; signing does not depend on it). */
export const LTC_REGTEST: bitcoinjs.Network = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'rltc',
  bip32: TEST_VERSIONS,
  pubKeyHash: 0x6f,
  scriptHash: 0x3a,
  wif: 0xef,
};

/** bitcoinjs-lib's HD signer over a @scure/bip32 node (the merchant's seed, in the test only). */
export function hdSigner(node: HDKey): bitcoinjs.HDSigner {
  const fingerprint = new Uint8Array(4);
  new DataView(fingerprint.buffer).setUint32(0, node.fingerprint);
  return {
    publicKey: node.publicKey!,
    fingerprint,
    derivePath: (path) => hdSigner(node.derive(path)),
    sign: (hash) => node.sign(hash),
  };
}
