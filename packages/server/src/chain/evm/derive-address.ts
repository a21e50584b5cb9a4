import { createHmac } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import type { Address } from 'viem';
// viem/accounts alone: the `viem` entry loads all of viem (≈ 0.3 s), on the server's start-up path.
import { publicKeyToAddress } from 'viem/utils';

/** Highest non-hardened BIP32 child index. */
export const MAX_CHILD_INDEX = 2 ** 31 - 1;

/** Thrown when the configured extended key cannot be used to derive deposit addresses. */
export class ExtendedKeyError extends Error {
  override name = 'ExtendedKeyError';
}

/**
 * Parses and checks a merchant's extended public key. Private keys (xprv/tprv) are refused: the
 * server is watch-only by design, so a leak of its configuration can never move funds.
 * @example const root = parseXpub(process.env.CC_XPUB!)
 */
export function parseXpub(xpub: string): HDKey {
  let key: HDKey;
  try {
    key = HDKey.fromExtendedKey(xpub.trim());
  } catch (error) {
    throw new ExtendedKeyError(`not a valid BIP32 extended public key (${(error as Error).message})`);
  }
  if (key.privateKey) {
    throw new ExtendedKeyError(
      'this is an extended PRIVATE key; give the server the xpub only (it never needs a spend key)',
    );
  }
  return key;
}

/**
 * Derives the deposit address at non-hardened child `index` of `root`. With the xpub of
 * m/44'/60'/0'/0, child i is the wallet account m/44'/60'/0'/0/i that the merchant can spend from.
 * @example deriveDepositAddress(parseXpub(xpub), 7) // '0x…'
 */
export function deriveDepositAddress(root: HDKey, index: number): Address {
  // publicKeyToAddress returns the EIP-55 checksummed address.
  return publicKeyToAddress(`0x${Buffer.from(deriveChildPublicKey(root, index)).toString('hex')}`);
}

/**
 * The uncompressed (65-byte, `04…`) secp256k1 public key of non-hardened child `index` of `root`:
 * what both the EVM and the TRON address are hashed from (keccak256 of its last 64 bytes, last 20
 * bytes of that), so both families share this one fast derivation.
 * @example deriveChildPublicKey(parseXpub(xpub), 7).length // 65
 */
export function deriveChildPublicKey(root: HDKey, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > MAX_CHILD_INDEX) {
    throw new RangeError(`child index must be an integer in 0..${MAX_CHILD_INDEX}, got ${index}`);
  }
  // BIP32 public child derivation (CKDpub), as @scure/bip32's deriveChild does it, but with the
  // parent point decoded once per root and IL·G by noble's variable-time multiplication over its
  // precomputed table of G (`multiplyUnsafe`): IL is no secret (anyone holding the xpub computes it),
  // so constant time buys nothing here. About a third less CPU than OpenSSL's ECDH (generic code for
  // secp256k1) did, and several times faster than deriveChild; derive-address.test.ts holds it to
  // @scure/bip32 on many indexes.
  const parent = parentOf(root);
  const data = Buffer.alloc(37);
  data.set(parent.compressed, 0);
  data.writeUInt32BE(index, 33);
  const digest = createHmac('sha512', parent.chainCode).update(data).digest();
  const il = BigInt(`0x${digest.toString('hex', 0, 32)}`);
  // BIP32 declares a child with IL = 0 or IL ≥ n invalid.
  if (il === 0n || il >= secp256k1.Point.Fn.ORDER) {
    throw new ExtendedKeyError(`child ${index} is invalid under BIP32; use another index`);
  }
  const child = parent.point.add(secp256k1.Point.BASE.multiplyUnsafe(il));
  if (child.is0()) throw new ExtendedKeyError(`child ${index} is invalid under BIP32; use another index`);
  // Encoded from its affine form: `toBytes` of a projective point inverts Z twice (once to check the
  // point, once to encode it), one of the costliest steps here; of an affine one, not at all.
  return secp256k1.Point.fromAffine(child.toAffine()).toBytes(false);
}

/** A root's public point, compressed key and chain code, decoded once. */
const parents = new WeakMap<
  HDKey,
  { point: InstanceType<typeof secp256k1.Point>; compressed: Uint8Array; chainCode: Uint8Array }
>();

function parentOf(root: HDKey) {
  let parent = parents.get(root);
  if (!parent) {
    if (!root.publicKey || !root.chainCode) throw new ExtendedKeyError('the extended key has no public key');
    parent = {
      point: secp256k1.Point.fromBytes(root.publicKey),
      compressed: root.publicKey,
      chainCode: root.chainCode,
    };
    parents.set(root, parent);
  }
  return parent;
}
