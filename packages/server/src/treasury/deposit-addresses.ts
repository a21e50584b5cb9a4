/**
 * The deposit-address rule of each configured chain: in forwarder mode the CREATE2 address of the
 * chain's forwarder for the derivation index (forwarder-address.ts); in xpub mode `null`, meaning
 * the xpub's child, as before. The session service asks it when a buyer chooses a method.
 */
import type { Address } from 'viem';
import type { Config } from '../config.js';
import { DEFAULT_FORWARDER_FACTORY, forwarderAddress } from './forwarder-address.js';

/**
 * Builds `(chainId, index) => address | null` for the configuration's chains: the forwarder
 * address on forwarder-mode chains, `null` (use the xpub) elsewhere.
 * @example const depositAddress = depositAddressRule(config); depositAddress(8453, 7) // '0x…' or null
 */
export function depositAddressRule(
  config: Pick<Config, 'chains'>,
): (chainId: number, index: number) => Address | null {
  const forwarders = new Map(
    config.chains
      .filter((chain) => chain.deposit_mode === 'forwarder' && chain.treasury_address)
      .map((chain) => [
        chain.id,
        { factory: chain.forwarder_factory ?? DEFAULT_FORWARDER_FACTORY, treasury: chain.treasury_address! },
      ]),
  );
  return (chainId, index) => {
    const forwarder = forwarders.get(chainId);
    return forwarder ? forwarderAddress(forwarder.factory, forwarder.treasury, index) : null;
  };
}
