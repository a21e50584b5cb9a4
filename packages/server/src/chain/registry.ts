import type { PaymentMethod } from '@crypto-checkout/protocol';
import type { ChainConfig, Config } from '../config.js';
import type { Pricer } from '../rates/pricer.js';

/**
 * A payment method the server can accept: a token (or native coin) on a configured chain. Its
 * `quote` is not part of it: that is the current price, added to each view.
 */
export interface MethodInfo extends Omit<PaymentMethod, 'quote'> {
  chain: ChainConfig;
  /** Fiat currency the token is pegged to 1:1, if it is a stablecoin. */
  peg: 'USD' | null;
}

/**
 * Builds the methods the configuration enables, keyed by method id (`usdc@anvil`). The native coin
 * of a chain is offered only when the rate sources can price it in US dollars.
 */
export function buildMethodRegistry(
  config: Config,
  pricer: Pick<Pricer, 'supports'>,
): Map<string, MethodInfo> {
  const methods = new Map<string, MethodInfo>();
  for (const chain of config.chains) {
    for (const token of chain.tokens) {
      const id = `${token.symbol.toLowerCase()}@${chain.key}`;
      methods.set(id, {
        id,
        token: token.symbol,
        kind: chain.family === 'tron' ? 'trc20' : 'erc20',
        family: chain.family,
        token_address: token.address,
        decimals: token.decimals,
        chain_id: chain.family === 'utxo' ? null : chain.id,
        network: chain.name,
        chain,
        peg: token.peg ?? null,
      });
    }
    if (chain.native && pricer.supports({ token: chain.native.symbol, peg: null }, 'USD')) {
      const id = `${chain.native.symbol.toLowerCase()}@${chain.key}`;
      methods.set(id, {
        id,
        token: chain.native.symbol,
        kind: 'native',
        family: chain.family,
        token_address: null,
        decimals: chain.native.decimals,
        // A UTXO chain has no EIP-155 id (see chain/family.ts): null rather than an invented number.
        chain_id: chain.family === 'utxo' ? null : chain.id,
        network: chain.name,
        chain,
        peg: null,
      });
    }
  }
  return methods;
}
