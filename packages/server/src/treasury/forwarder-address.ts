/**
 * Deposit addresses in forwarder mode: the CREATE2 address of DepositForwarder(treasury) made by
 * ForwarderFactory, which itself sits at a CREATE2 address of the deterministic-deployment proxy.
 * Pure computation (no RPC), so the same index gives the same address on every chain where the
 * factory was deployed this way. Written on @noble/hashes' keccak rather than viem's helpers: the
 * session service derives addresses on the server's start-up path, where the `viem` entry (≈ 0.3 s to
 * load) is kept out; forwarder-contracts.test.ts holds it to viem and to the factory on chain.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Address, Hex } from 'viem';
import { depositForwarderBytecode, forwarderFactoryBytecode } from './forwarder-contracts.js';

const bytes = (hex: string) => Buffer.from(hex.replace(/^0x/, ''), 'hex');
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');
/** `value` as a 32-byte big-endian word (abi.encode of an address or uint256). */
const word = (value: bigint) => bytes(value.toString(16).padStart(64, '0'));

/** EIP-55 mixed-case checksum of a 20-byte address given as 40 hex digits. */
function checksummed(lower: string): Address {
  const hash = hex(keccak_256(Buffer.from(lower, 'ascii')));
  let out = '0x';
  for (let k = 0; k < 40; k++) out += parseInt(hash[k]!, 16) >= 8 ? lower[k]!.toUpperCase() : lower[k]!;
  return out as Address;
}

/** The CREATE2 address: keccak256(0xff ++ deployer ++ salt ++ keccak256(initCode))[12:]. */
function create2Address(deployer: string, salt: Uint8Array, initCodeHash: Uint8Array): Address {
  const digest = keccak_256(Buffer.concat([Buffer.from([0xff]), bytes(deployer), salt, initCodeHash]));
  return checksummed(hex(digest.subarray(12)));
}

/**
 * The deterministic-deployment proxy (Arachnid's CREATE2 deployer): present on most EVM chains and
 * on anvil by default. Calldata `salt ++ initCode` creates `initCode` at a CREATE2 address of it.
 */
export const DETERMINISTIC_DEPLOYER: Address = '0x4e59b44847b379578588920ca78fbf26c0b4956c';

/** The salt under which the factory is deployed through the proxy (zero: nothing to choose). */
export const FACTORY_SALT: Hex = `0x${'00'.repeat(32)}`;

/** Where ForwarderFactory lives on every chain where it was deployed through the proxy. */
export const DEFAULT_FORWARDER_FACTORY: Address = create2Address(
  DETERMINISTIC_DEPLOYER,
  bytes(FACTORY_SALT),
  keccak_256(bytes(forwarderFactoryBytecode)),
);

/** Calldata for the deterministic-deployment proxy that creates the factory at its fixed address. */
export const FACTORY_DEPLOYMENT_DATA: Hex = `${FACTORY_SALT}${forwarderFactoryBytecode.slice(2)}`;

const initCodeHashes = new Map<string, Uint8Array>();

/** keccak256 of DepositForwarder's creation code with `treasury` as constructor argument. */
function initCodeHash(treasury: Address): Uint8Array {
  const key = treasury.toLowerCase();
  let hash = initCodeHashes.get(key);
  if (!hash) {
    hash = keccak_256(Buffer.concat([bytes(depositForwarderBytecode), word(BigInt(key))]));
    initCodeHashes.set(key, hash);
  }
  return hash;
}

/**
 * The deposit address `index` of `treasury` under `factory`: where the session's buyer pays. It has
 * no code until a sweep, and none after it (the forwarder removes itself), so it receives tokens and
 * coin like any address.
 * @example forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, 7) // '0x…'
 */
export function forwarderAddress(factory: Address, treasury: Address, index: number | bigint): Address {
  if (BigInt(index) < 0n || !Number.isInteger(Number(index)))
    throw new RangeError(`a deposit index is a non-negative integer, got ${index}`);
  const salt = keccak_256(Buffer.concat([word(BigInt(treasury)), word(BigInt(index))]));
  return create2Address(factory, salt, initCodeHash(treasury));
}
