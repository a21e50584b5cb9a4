import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { mnemonicToAccount, publicKeyToAddress } from 'viem/accounts';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  deriveDepositAddress,
  ExtendedKeyError,
  parseXpub,
} from '../../packages/server/src/chain/evm/derive-address.js';

const MNEMONIC = 'test test test test test test test test test test test junk';
const account = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC)).derive("m/44'/60'/0'/0");

describe('deposit address derivation', () => {
  test("child i of the xpub of m/44'/60'/0'/0 is the wallet's account i", () => {
    const root = parseXpub(account.publicExtendedKey);
    for (const index of [0, 1, 7, 1000]) {
      assert.equal(
        deriveDepositAddress(root, index),
        mnemonicToAccount(MNEMONIC, { addressIndex: index }).address,
      );
    }
  });

  test('agrees with @scure/bip32 child derivation on many indexes of several keys', () => {
    // The derivation takes IL·G from OpenSSL; @scure/bip32 does all of it in JavaScript.
    const roots = [account, ...Array.from({ length: 3 }, () => HDKey.fromMasterSeed(randomBytes(32)))];
    for (const key of roots) {
      const root = parseXpub(key.publicExtendedKey);
      const indexes = [
        0,
        1,
        2,
        2 ** 31 - 1,
        ...Array.from({ length: 40 }, () => randomBytes(4).readUInt32BE() >>> 1),
      ];
      for (const index of indexes) {
        const child = root.deriveChild(index).publicKey!;
        const uncompressed = secp256k1.Point.fromBytes(child).toBytes(false);
        assert.equal(
          deriveDepositAddress(root, index),
          publicKeyToAddress(`0x${Buffer.from(uncompressed).toString('hex')}`),
          `index ${index}`,
        );
      }
    }
  });

  test('refuses an extended private key: the server never holds a spend key', () => {
    assert.throws(
      () => parseXpub(account.privateExtendedKey),
      (error: Error) => {
        assert.ok(error instanceof ExtendedKeyError);
        assert.match(error.message, /PRIVATE key/);
        return true;
      },
    );
  });

  test('refuses garbage and hardened or out-of-range indexes', () => {
    assert.throws(() => parseXpub('xpub-not-really'), ExtendedKeyError);
    const root = parseXpub(account.publicExtendedKey);
    assert.throws(() => deriveDepositAddress(root, 2 ** 31), RangeError);
    assert.throws(() => deriveDepositAddress(root, -1), RangeError);
  });
});
