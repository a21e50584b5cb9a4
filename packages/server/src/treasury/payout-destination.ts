/**
 * Whether a payout destination is an address of the asset's network, one validator per chain family.
 * EVM is here; payouts on UTXO and TRON chains are refused (400) until their export exists: add a
 * validator to {@link DESTINATION_VALIDATORS} together with it.
 * @module
 */
import { getAddress, isAddress, zeroAddress } from 'viem';
import type { MethodInfo } from '../chain/registry.js';

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

/** The validator of each chain family; the key is the method's chain family. */
export const DESTINATION_VALIDATORS: Record<string, DestinationValidator> = { evm: evmDestination };

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
