/**
 * BIP21 payment URIs for Bitcoin and Litecoin: `bitcoin:<address>?amount=<decimal>&label=<text>`.
 * @module
 */
import { formatAtomic } from '../../money.js';

/**
 * Builds a BIP21 URI. The amount is in whole coins, a decimal without trailing zeros (never a float);
 * a bech32 address is upper-cased, which BIP173 allows, so that a QR code can encode it in the
 * smaller alphanumeric mode; the scheme stays lower-case, since some Android parsers refuse
 * `BITCOIN:` (rust-bitcoin#1844), and base58 addresses keep their case, which is their value.
 * @example bip21Uri({ scheme: 'bitcoin', address: 'bc1q…', amountAtomic: 150000n, decimals: 8 }) // 'bitcoin:BC1Q…?amount=0.0015'
 */
export function bip21Uri(request: {
  scheme: 'bitcoin' | 'litecoin';
  address: string;
  amountAtomic: bigint;
  decimals: number;
  label?: string | undefined;
}): string {
  const bech32 = /^[a-z]+1[02-9ac-hj-np-z]+$/.test(request.address);
  const address = bech32 ? request.address.toUpperCase() : request.address;
  const params = [`amount=${formatAtomic(request.amountAtomic, request.decimals)}`];
  if (request.label) params.push(`label=${encodeURIComponent(request.label)}`);
  return `${request.scheme}:${address}?${params.join('&')}`;
}
