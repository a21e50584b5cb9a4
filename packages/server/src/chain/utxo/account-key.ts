/**
 * A merchant's account-level extended public key for a Bitcoin-like chain, and the receive addresses
 * derived from it (m/…/0/i). Wallets export the same key under several names: `xpub`/`tpub` (BIP32),
 * `ypub`/`upub` and Litecoin's `Mtub` (BIP49: P2SH-wrapped SegWit), `zpub`/`vpub` (BIP84: native
 * SegWit) and Litecoin's `Ltub`/`ttub` (Electrum-LTC's xpub). The version bytes say mainnet or
 * testnet and, for the BIP49/BIP84 kinds, the address type; a plain xpub does not, so its type comes
 * from the configuration (`address_type`, default native SegWit, which every current wallet uses).
 *
 * Addresses are encoded with @scure/base's bech32 and base58check and @noble/hashes' HASH160, the
 * audited libraries @scure/bip32 is built on and loads anyway: a whole Bitcoin library
 * (@scure/btc-signer, bitcoinjs-lib) would add ~50 ms to every server start for three encodings of
 * a key hash. Tests hold the result to BIP84's vectors, to bitcoinjs-lib and to the node's own
 * `deriveaddresses`. Private keys are refused: the server never holds one.
 * @module
 */
import { HDKey } from '@scure/bip32';
import { bech32, createBase58check } from '@scure/base';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ExtendedKeyError, MAX_CHILD_INDEX } from '../evm/derive-address.js';
import type { UtxoNetwork } from './utxo-networks.js';

/** How receive addresses are formed: native SegWit (BIP84), wrapped SegWit (BIP49) or legacy (BIP44). */
export type UtxoAddressType = 'p2wpkh' | 'p2sh-p2wpkh' | 'p2pkh';

const base58check = createBase58check(sha256);

/** Public version bytes → what they say. `type: null`: the key itself does not say. */
const PUBLIC_VERSIONS = new Map<number, { name: string; mainnet: boolean; type: UtxoAddressType | null }>([
  [0x0488b21e, { name: 'xpub', mainnet: true, type: null }],
  [0x049d7cb2, { name: 'ypub', mainnet: true, type: 'p2sh-p2wpkh' }],
  [0x04b24746, { name: 'zpub', mainnet: true, type: 'p2wpkh' }],
  [0x019da462, { name: 'Ltub', mainnet: true, type: null }],
  [0x01b26ef6, { name: 'Mtub', mainnet: true, type: 'p2sh-p2wpkh' }],
  [0x043587cf, { name: 'tpub', mainnet: false, type: null }],
  [0x044a5262, { name: 'upub', mainnet: false, type: 'p2sh-p2wpkh' }],
  [0x045f1cf6, { name: 'vpub', mainnet: false, type: 'p2wpkh' }],
  [0x0436f6e1, { name: 'ttub', mainnet: false, type: null }],
]);
/** Private version bytes (xprv, yprv, zprv, Ltpv, Mtpv, tprv, uprv, vprv, ttpv): refused. */
const PRIVATE_VERSIONS = new Set([
  0x0488ade4, 0x049d7878, 0x04b2430c, 0x019d9cfe, 0x01b26792, 0x04358394, 0x044a4e28, 0x045f18bc, 0x0436ef7d,
]);

/** An account key read for one network, ready to derive receive addresses. */
export interface UtxoAccountKey {
  /** The account node (BIP32 versions of the network, as its node reads them). */
  readonly account: HDKey;
  /** The receive branch, m/…/0. */
  readonly receive: HDKey;
  /** How addresses are formed. */
  readonly type: UtxoAddressType;
  readonly network: UtxoNetwork;
  /** What the key was given as (`zpub`, `Ltub`, …), for messages. */
  readonly givenAs: string;
}

/**
 * Reads an account-level extended public key for `network`. `type` is the configured address type;
 * it must agree with a key that implies one (a zpub is native SegWit).
 * @example parseUtxoAccountKey('zpub6rFR7y4Q2Aij…', UTXO_NETWORKS.bitcoin).type // 'p2wpkh'
 */
export function parseUtxoAccountKey(
  key: string,
  network: UtxoNetwork,
  type?: UtxoAddressType,
): UtxoAccountKey {
  let bytes: Uint8Array;
  try {
    bytes = base58check.decode(key.trim());
  } catch (error) {
    throw new ExtendedKeyError(`not a valid extended public key (${(error as Error).message})`);
  }
  if (bytes.length !== 78) throw new ExtendedKeyError('not a valid extended public key (not 78 bytes)');
  const version = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  if (PRIVATE_VERSIONS.has(version)) {
    throw new ExtendedKeyError(
      'this is an extended PRIVATE key; give the server the account xpub/zpub only (it never needs a spend key)',
    );
  }
  const kind = PUBLIC_VERSIONS.get(version);
  if (!kind) {
    throw new ExtendedKeyError(
      `unknown extended key version 0x${version.toString(16).padStart(8, '0')}; give an xpub, ypub, zpub, tpub, upub, vpub, Ltub, Mtub or ttub`,
    );
  }
  if (kind.mainnet !== network.mainnet) {
    throw new ExtendedKeyError(
      `a ${kind.name} is a ${kind.mainnet ? 'mainnet' : 'testnet'} key, but this chain is ${network.coin} ${network.mainnet ? 'mainnet' : 'testnet/regtest'}`,
    );
  }
  if (type && kind.type && type !== kind.type) {
    throw new ExtendedKeyError(
      `a ${kind.name} is for ${kind.type} addresses, but address_type is ${type}; leave address_type out or export the matching key`,
    );
  }
  // Rewritten to the version bytes the network's node reads (xpub or tpub), the same key.
  const rewritten = Uint8Array.from(bytes);
  new DataView(rewritten.buffer).setUint32(0, network.bip32.public);
  const account = HDKey.fromExtendedKey(base58check.encode(rewritten), network.bip32);
  return {
    account,
    receive: account.deriveChild(0),
    type: kind.type ?? type ?? 'p2wpkh',
    network,
    givenAs: kind.name,
  };
}

/**
 * The receive address at `index` (m/…/0/index) of an account key: lower-case bech32 for native
 * SegWit, base58 for the others.
 * @example deriveUtxoAddress(key, 0) // 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu'
 */
export function deriveUtxoAddress(key: UtxoAccountKey, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_CHILD_INDEX) {
    throw new RangeError(`child index must be an integer in 0..${MAX_CHILD_INDEX}, got ${index}`);
  }
  const keyHash = hash160(key.receive.deriveChild(index).publicKey!);
  const { network } = key;
  switch (key.type) {
    case 'p2wpkh':
      // Witness version 0 and the 20-byte key hash (BIP173).
      return bech32.encode(network.bech32, [0, ...bech32.toWords(keyHash)]);
    case 'p2sh-p2wpkh':
      // The script hash of the witness program `OP_0 <20 bytes>` (BIP49).
      return base58check.encode(
        versioned(network.scriptHash, hash160(Uint8Array.from([0x00, 0x14, ...keyHash]))),
      );
    case 'p2pkh':
      return base58check.encode(versioned(network.pubKeyHash, keyHash));
  }
}

/** RIPEMD-160 of SHA-256, Bitcoin's 20-byte hash of keys and scripts. */
const hash160 = (bytes: Uint8Array) => ripemd160(sha256(bytes));

/** A version byte followed by a hash: the payload of a base58check address. */
const versioned = (version: number, hash: Uint8Array) => Uint8Array.from([version, ...hash]);

/**
 * The output descriptor of the account's receive addresses (`branch` 0), or of its internal branch
 * (1: the treasury, `treasury/utxo-treasury.ts`), without its checksum (the node adds it:
 * `getdescriptorinfo`): `wpkh(xpub…/0/*)`, `sh(wpkh(…))` or `pkh(…)`.
 * @example receiveDescriptor(key) // 'wpkh(tpubDC…/0/*)'
 */
export function receiveDescriptor(key: UtxoAccountKey, branch: 0 | 1 = 0): string {
  const path = `${key.account.publicExtendedKey}/${branch}/*`;
  switch (key.type) {
    case 'p2wpkh':
      return `wpkh(${path})`;
    case 'p2sh-p2wpkh':
      return `sh(wpkh(${path}))`;
    case 'p2pkh':
      return `pkh(${path})`;
  }
}
