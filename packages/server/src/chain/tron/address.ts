/**
 * TRON addresses: derivation from the merchant's account xpub and the two spellings of one address.
 *
 * A TRON account is the same secp256k1 key as an EVM account: its 20-byte address is the last 20
 * bytes of keccak256 of the public key, exactly the EVM address. TRON writes it as base58check of
 * `0x41 ‖ those 20 bytes` (a `T…` string of 34 characters); its Ethereum-compatible JSON-RPC writes
 * the 20 bytes as `0x…`. The watcher reads `0x…` from the node and stores and shows `T…`.
 * @module
 */
import { createHash } from 'node:crypto';
import { createBase58check } from '@scure/base';
import type { HDKey } from '@scure/bip32';
// viem/utils alone: the `viem` entry loads all of viem, on the server's start-up path.
import type { Address } from 'viem';
import { getAddress } from 'viem/utils';
import { deriveDepositAddress } from '../evm/derive-address.js';

/** The version byte of a TRON mainnet (and testnet) address. */
export const TRON_ADDRESS_PREFIX = 0x41;

/** The BIP44 coin type of TRON (SLIP-44): deposit addresses live at m/44'/195'/0'/0/i. */
export const TRON_COIN_TYPE = 195;

/** Thrown when a string is not a valid `T…` address (wrong alphabet, length, prefix or checksum). */
export class TronAddressError extends Error {
  override name = 'TronAddressError';
}

// Double SHA-256 checksum, as Bitcoin's base58check: node:crypto does the hashing.
const base58check = createBase58check((data: Uint8Array) => createHash('sha256').update(data).digest());

/**
 * Encodes a 20-byte address given as `0x…` (any case) or as TRON hex (`41…`, 21 bytes) as a
 * base58check `T…` address.
 * @example tronAddressFromHex('0xa614f803b6fd780986a42c78ec9c7f77e6ded13c') // 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'
 */
export function tronAddressFromHex(hex: string): string {
  const clean = hex.replace(/^0x/i, '').toLowerCase();
  const body = clean.length === 42 && clean.startsWith('41') ? clean.slice(2) : clean;
  if (!/^[0-9a-f]{40}$/.test(body)) {
    throw new TronAddressError(`not a 20-byte address: ${JSON.stringify(hex.slice(0, 50))}`);
  }
  const bytes = new Uint8Array(21);
  bytes[0] = TRON_ADDRESS_PREFIX;
  bytes.set(Buffer.from(body, 'hex'), 1);
  return base58check.encode(bytes);
}

/**
 * Decodes a `T…` address to its 20 bytes as a checksummed `0x…` address (the spelling of TRON's
 * JSON-RPC and of `eth_getLogs` topics). Throws {@link TronAddressError} on a bad checksum, a wrong
 * length or a prefix other than 0x41.
 * @example tronAddressToHex('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t') // '0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C'
 */
export function tronAddressToHex(address: string): Address {
  let bytes: Uint8Array;
  try {
    bytes = base58check.decode(address);
  } catch (error) {
    throw new TronAddressError(`not a TRON address (${(error as Error).message})`);
  }
  if (bytes.length !== 21 || bytes[0] !== TRON_ADDRESS_PREFIX) {
    throw new TronAddressError('not a TRON address: a T-address holds 0x41 and 20 bytes');
  }
  return getAddress(`0x${Buffer.from(bytes.subarray(1)).toString('hex')}`);
}

/**
 * Whether `address` is a valid `T…` address (alphabet, length, prefix and checksum).
 * @example isTronAddress('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t') // true
 */
export function isTronAddress(address: string): boolean {
  try {
    tronAddressToHex(address);
    return true;
  } catch {
    return false;
  }
}

/** The external chain (`…/0`) of each account root, derived once. */
const receiveChains = new WeakMap<HDKey, HDKey>();

/**
 * Derives the TRON deposit address for index `i` from the merchant's account-level xpub at
 * m/44'/195'/0' (what TRON wallets export): the receive address m/44'/195'/0'/0/i, the one TronLink
 * and Ledger show as the account's address i. The step to the external chain `/0` is done once per
 * root; child i uses the same fast derivation as EVM deposits.
 * @example deriveTronAddress(parseXpub(accountXpub), 0) // 'T…'
 */
export function deriveTronAddress(accountRoot: HDKey, index: number): string {
  let receive = receiveChains.get(accountRoot);
  if (!receive) {
    receive = accountRoot.deriveChild(0);
    receiveChains.set(accountRoot, receive);
  }
  return tronAddressFromHex(deriveDepositAddress(receive, index));
}
