/**
 * Whether a payout destination is an address of the asset's network, one validator per chain family.
 * EVM, UTXO (Bitcoin, Litecoin) and TRON; a family without a validator in
 * {@link DESTINATION_VALIDATORS} has no payouts (400).
 * @module
 */
import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { getAddress, isAddress, zeroAddress } from 'viem';
import type { MethodInfo } from '../chain/registry.js';
import { utxoNetworkOf } from '../chain/utxo/utxo-chain.js';
import { tronAddressToHex } from '../chain/tron/address.js';

/** Checks a destination for a method: `null` when valid, else why not (for the caller). */
export type DestinationValidator = (destination: string, method: MethodInfo) => string | null;

/**
 * EVM: a 20-byte address with a valid EIP-55 checksum (mixed case). An all-lowercase address is
 * refused: the checksum is what catches a mistyped character, and a payout cannot be called back.
 * The zero address burns what it receives and is refused too.
 */
export const evmDestination: DestinationValidator = (destination) => {
  if (!isAddress(destination, { strict: false })) return 'must be a 0x-prefixed 20-byte address';
  if (destination.toLowerCase() === zeroAddress) return 'must not be the zero address (it burns the funds)';
  if (destination !== getAddress(destination)) {
    return `must carry its EIP-55 checksum (mixed case): ${getAddress(destination)} if this is the right address`;
  }
  return null;
};

const base58check = createBase58check(sha256);

/**
 * Bitcoin/Litecoin: an address of the chain's own network, in one of the encodings every wallet
 * sends to — native SegWit v0 (bech32, BIP173: 20- or 32-byte program), Taproot and later witness
 * versions (bech32m, BIP350), or base58check P2PKH/P2SH with the network's version bytes. Upper-case
 * bech32 is accepted (BIP173 allows it), mixed case is not. Litecoin MWEB (`ltcmweb1…`) is refused:
 * a transparent transaction cannot pay it.
 */
export const utxoDestination: DestinationValidator = (destination, method) => {
  const network = utxoNetworkOf(method.chain);
  const lower = destination.toLowerCase();
  if (/^[a-z]*mweb1/.test(lower)) return 'MWEB addresses cannot be paid by a transparent transaction';
  if (lower.startsWith(`${network.bech32}1`)) {
    if (destination !== lower && destination !== destination.toUpperCase())
      return 'a bech32 address is all lower-case or all upper-case, never mixed';
    for (const [codec, v0] of [
      [bech32, true],
      [bech32m, false],
    ] as const) {
      let words: number[];
      try {
        words = codec.decode(lower as `${string}1${string}`, 90).words;
      } catch {
        continue;
      }
      const version = words[0]!;
      if ((version === 0) !== v0) continue; // v0 uses bech32, v1+ bech32m (BIP350)
      if (version > 16) return 'unknown witness version';
      const program = codec.fromWords(words.slice(1));
      if (version === 0 && program.length !== 20 && program.length !== 32)
        return 'a SegWit v0 program is 20 or 32 bytes';
      if (program.length < 2 || program.length > 40) return 'a witness program is 2 to 40 bytes';
      return null;
    }
    return `not a valid ${network.coin} bech32 address (checksum)`;
  }
  let bytes: Uint8Array;
  try {
    bytes = base58check.decode(destination);
  } catch {
    return `must be a ${network.coin} address of this network (${network.bech32}1…, or base58)`;
  }
  if (bytes.length !== 21 || (bytes[0] !== network.pubKeyHash && bytes[0] !== network.scriptHash))
    return `a base58 address of another network or kind: this chain is ${network.coin} ${network.nodeChain}`;
  return null;
};

/**
 * TRON: a `T…` address, base58check of 0x41 and 20 bytes (chain/tron/address.ts). A `0x…` address
 * is refused with a hint: it is the EVM spelling, and USDT sent to the wrong network is lost. The
 * all-zero address (`T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb`) burns what it receives and is refused too.
 */
export const tronDestination: DestinationValidator = (destination) => {
  if (/^0x/i.test(destination))
    return 'must be a TRON T… address: a 0x… address is an EVM address (another network)';
  if (!destination.startsWith('T')) return 'must be a TRON address (T…, 34 characters)';
  let hex: string;
  try {
    hex = tronAddressToHex(destination);
  } catch {
    return 'not a valid TRON address (base58check with the 0x41 prefix; the checksum fails)';
  }
  if (hex.toLowerCase() === zeroAddress) return 'must not be the zero address (it burns the funds)';
  return null;
};

/** The validator of each chain family; the key is the method's chain family. */
export const DESTINATION_VALIDATORS: Record<string, DestinationValidator> = {
  evm: evmDestination,
  utxo: utxoDestination,
  tron: tronDestination,
};

/** The chain family of a method (`evm`, `utxo`, `tron`). */
export function chainFamily(method: MethodInfo): string {
  return method.chain.family;
}

/**
 * Checks a payout destination for the asset's network: `null` when valid, else the problem.
 * @example validateDestination('0xAbC…', usdcOnBase) // null
 */
export function validateDestination(destination: string, method: MethodInfo): string | null {
  const family = chainFamily(method);
  const validator = DESTINATION_VALIDATORS[family];
  if (!validator) return `payouts on ${family} networks are not supported yet`;
  return validator(destination, method);
}
