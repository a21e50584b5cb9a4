/**
 * Deposit addresses in forwarder mode: the CREATE2 address of DepositForwarder(treasury) made by
 * ForwarderFactory, which itself sits at a CREATE2 address of the deterministic-deployment proxy.
 * Pure computation (no RPC), so the same index gives the same address on every chain where the
 * factory was deployed this way.
 */
import { concat, encodeAbiParameters, getContractAddress, keccak256, type Address, type Hex } from 'viem';
import { depositForwarderBytecode, forwarderFactoryBytecode } from './forwarder-contracts.js';

/**
 * The deterministic-deployment proxy (Arachnid's CREATE2 deployer): present on most EVM chains and
 * on anvil by default. Calldata `salt ++ initCode` creates `initCode` at a CREATE2 address of it.
 */
export const DETERMINISTIC_DEPLOYER: Address = '0x4e59b44847b379578588920ca78fbf26c0b4956c';

/** The salt under which the factory is deployed through the proxy (zero: nothing to choose). */
export const FACTORY_SALT: Hex = `0x${'00'.repeat(32)}`;

/** Where ForwarderFactory lives on every chain where it was deployed through the proxy. */
export const DEFAULT_FORWARDER_FACTORY: Address = getContractAddress({
  opcode: 'CREATE2',
  from: DETERMINISTIC_DEPLOYER,
  salt: FACTORY_SALT,
  bytecode: forwarderFactoryBytecode,
});

/** Calldata for the deterministic-deployment proxy that creates the factory at its fixed address. */
export const FACTORY_DEPLOYMENT_DATA: Hex = concat([FACTORY_SALT, forwarderFactoryBytecode]);

const initCodeHashes = new Map<string, Hex>();

/** keccak256 of DepositForwarder's creation code with `treasury` as constructor argument. */
function initCodeHash(treasury: Address): Hex {
  const key = treasury.toLowerCase();
  let hash = initCodeHashes.get(key);
  if (!hash) {
    hash = keccak256(concat([depositForwarderBytecode, encodeAbiParameters([{ type: 'address' }], [treasury])]));
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
  return getContractAddress({
    opcode: 'CREATE2',
    from: factory,
    salt: keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [treasury, BigInt(index)])),
    bytecodeHash: initCodeHash(treasury),
  });
}
