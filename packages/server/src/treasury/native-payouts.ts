/**
 * NativePayouts (packages/server/contracts/NativePayouts.sol): the one contract through which every
 * native-coin payout (ETH, …) is paid — by the payout key in batches, by an exported EIP-1559
 * transaction, or by a Safe. It sends each amount on and emits `NativePayout(from, to, value)`,
 * which is how the executor finds a coin payout on chain (a plain transfer leaves no log). Like the
 * forwarder factory it is deployed through the deterministic-deployment proxy with salt 0, so it has
 * the same address on every chain, and anyone may deploy it: it has no owner and keeps no coin.
 * @module
 */
import {
  encodeFunctionData,
  getAddress,
  getContractAddress,
  parseAbiItem,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { DETERMINISTIC_DEPLOYER, FACTORY_SALT } from './forwarder-address.js';
import { nativePayoutsAbi, nativePayoutsBytecode } from './forwarder-contracts.js';

/** Where NativePayouts lives on every chain where it was deployed through the proxy. */
export const NATIVE_PAYOUTS_ADDRESS: Address = getContractAddress({
  opcode: 'CREATE2',
  from: DETERMINISTIC_DEPLOYER,
  salt: FACTORY_SALT,
  bytecode: nativePayoutsBytecode,
});

/** Calldata for the deterministic-deployment proxy that creates NativePayouts at its address. */
export const NATIVE_PAYOUTS_DEPLOYMENT_DATA: Hex = `${FACTORY_SALT}${nativePayoutsBytecode.slice(2)}`;

/** Gas for the proxy to create NativePayouts (≈ 230k measured on anvil; headroom for other chains). */
export const NATIVE_PAYOUTS_DEPLOYMENT_GAS = 400_000n;

/** The event of one coin payout. */
export const NATIVE_PAYOUT_EVENT = parseAbiItem(
  'event NativePayout(address indexed from, address indexed to, uint256 value)',
);

/**
 * Gas limit of a `pay` call with `count` payouts: 21,000 + calldata, and per payout a value call to
 * a possibly new account (9,000 + 25,000 + 2,600 cold), its event and the loop (≈ 39,000 at most).
 * Unused gas is not charged; the limit only has to be enough. A recipient contract gets what is left.
 */
export function nativePayoutsGas(count: number): bigint {
  return 40_000n + 50_000n * BigInt(count);
}

/** Calldata of `NativePayouts.pay(to, amounts)`. */
export function encodeNativePayouts(payments: readonly { to: string; amount: bigint }[]): Hex {
  return encodeFunctionData({
    abi: nativePayoutsAbi,
    functionName: 'pay',
    args: [payments.map((p) => getAddress(p.to)), payments.map((p) => p.amount)],
  });
}

/** Thrown when NativePayouts is absent and this chain has no deterministic-deployment proxy. */
export class NativePayoutsUnavailableError extends Error {
  override name = 'NativePayoutsUnavailableError';
}

/**
 * Whether NativePayouts has code on the chain of `client`; throws
 * {@link NativePayoutsUnavailableError} when it is absent and cannot be deployed at its address.
 * @example if (!(await nativePayoutsDeployed(client))) send NATIVE_PAYOUTS_DEPLOYMENT_DATA to the proxy
 */
export async function nativePayoutsDeployed(client: PublicClient): Promise<boolean> {
  const code = await client.getCode({ address: NATIVE_PAYOUTS_ADDRESS });
  if (code && code !== '0x') return true;
  const proxy = await client.getCode({ address: DETERMINISTIC_DEPLOYER });
  if (!proxy || proxy === '0x') {
    throw new NativePayoutsUnavailableError(
      `this chain has no deterministic-deployment proxy at ${DETERMINISTIC_DEPLOYER}, so NativePayouts cannot be placed at ${NATIVE_PAYOUTS_ADDRESS}: native-coin payouts cannot be sent here`,
    );
  }
  return false;
}

/** The deployment transaction's fields (to the proxy), for a signer or an export. */
export const nativePayoutsDeployment = { to: DETERMINISTIC_DEPLOYER, data: NATIVE_PAYOUTS_DEPLOYMENT_DATA };
