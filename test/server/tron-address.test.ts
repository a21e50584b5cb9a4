/**
 * TRON address derivation and encoding, held to TronWeb (TRON's own JavaScript library) as the
 * independent implementation: 1,000 deposit indexes derived from the account xpub must equal the
 * addresses TronWeb computes from the private keys of the same mnemonic, and bad addresses are refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { TronWeb } from 'tronweb';
import { parseXpub } from '../../packages/server/src/chain/evm/derive-address.js';
import {
  deriveTronAddress,
  isTronAddress,
  TronAddressError,
  tronAddressFromHex,
  tronAddressToHex,
} from '../../packages/server/src/chain/tron/address.js';

const MNEMONIC = 'test test test test test test test test test test test junk';
const master = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
/** The account key TRON wallets export as xpub (m/44'/195'/0'). */
const account = master.derive("m/44'/195'/0'");
const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

describe('TRON addresses', () => {
  test("index i of the account xpub is TronWeb's address for m/44'/195'/0'/0/i, for 1,000 indexes", () => {
    const root = parseXpub(account.publicExtendedKey);
    const receive = account.deriveChild(0);
    const indexes = [...Array.from({ length: 1000 }, (_, i) => i), 2 ** 31 - 1];
    for (const index of indexes) {
      // TronWeb derives the address from the private key: an independent path (its own secp256k1,
      // keccak and base58) from the watch-only public derivation the server does.
      const privateKey = Buffer.from(receive.deriveChild(index).privateKey!).toString('hex');
      assert.equal(
        deriveTronAddress(root, index),
        TronWeb.address.fromPrivateKey(privateKey),
        `index ${index}`,
      );
    }
  });

  test("index 0 is the address TronWeb's fromMnemonic gives for TRON's default path", () => {
    const root = parseXpub(account.publicExtendedKey);
    assert.equal(deriveTronAddress(root, 0), TronWeb.fromMnemonic(MNEMONIC).address);
    assert.equal(deriveTronAddress(root, 5), TronWeb.fromMnemonic(MNEMONIC, "m/44'/195'/0'/0/5").address);
  });

  test('T-address and 0x hex convert both ways as TronWeb does', () => {
    assert.equal(tronAddressToHex(USDT).toLowerCase(), `0x${TronWeb.address.toHex(USDT).slice(2)}`);
    assert.equal(tronAddressFromHex('0xa614f803b6fd780986a42c78ec9c7f77e6ded13c'), USDT);
    assert.equal(tronAddressFromHex('41A614F803B6FD780986A42C78EC9C7F77E6DED13C'), USDT);
    const root = parseXpub(account.publicExtendedKey);
    for (let index = 0; index < 50; index++) {
      const address = deriveTronAddress(root, index);
      assert.equal(tronAddressFromHex(tronAddressToHex(address)), address);
      assert.equal(tronAddressToHex(address).toLowerCase(), `0x${TronWeb.address.toHex(address).slice(2)}`);
    }
  });

  test('refuses a changed character (checksum), a wrong length, a wrong prefix and a foreign alphabet', () => {
    const bad = [
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u', // last character changed: checksum fails
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6', // one character short
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt',
      'TR7NHqjeKQxGTCi8q8ZY4pL0otSzgjLj6t', // 0 is not in the base58 alphabet
      '1BoatSLRHtKNngkdXEeobR76b53LETtpyT', // a valid base58check Bitcoin address: prefix 0x00
      '0xa614f803b6fd780986a42c78ec9c7f77e6ded13c',
      '',
    ];
    for (const address of bad) {
      assert.throws(() => tronAddressToHex(address), TronAddressError, address);
      assert.equal(isTronAddress(address), false, address);
      assert.equal(
        TronWeb.isAddress(address) && address.startsWith('T'),
        false,
        `TronWeb agrees: ${address}`,
      );
    }
    assert.throws(() => tronAddressFromHex('0x1234'), TronAddressError);
    assert.equal(isTronAddress(USDT), true);
  });
});
