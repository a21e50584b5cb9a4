/**
 * Payout destinations on Bitcoin-like chains: an address of the chain's own network in an encoding
 * wallets send to (bech32 v0, bech32m v1+, base58 P2PKH/P2SH), held to BIP173/BIP350's vectors and
 * to addresses bitcoinjs-lib makes for Litecoin; other networks, bad checksums, the wrong checksum
 * kind for the witness version, mixed case and MWEB are refused with a reason.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import * as bitcoinjs from 'bitcoinjs-lib';
import type { MethodInfo } from '../../packages/server/src/chain/registry.js';
import { validateDestination } from '../../packages/server/src/treasury/payout-destination.js';

/** A method of a UTXO chain on `network`: all the validator reads. */
const on = (network: string) =>
  ({ chain: { family: 'utxo', utxo_network: network } }) as unknown as MethodInfo;

const LITECOIN: bitcoinjs.Network = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'ltc',
  bip32: { public: 0x0488b21e, private: 0x0488ade4 },
  pubKeyHash: 0x30,
  scriptHash: 0x32,
  wif: 0xb0,
};

describe('payout destinations on Bitcoin and Litecoin', () => {
  test("BIP173/BIP350 vectors: v0 (20 and 32 bytes, either case) and Taproot are Bitcoin's", () => {
    for (const address of [
      'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3',
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
    ]) {
      assert.equal(validateDestination(address, on('bitcoin')), null, address);
    }
  });

  test('a wrong checksum kind, a bad checksum, mixed case and another network are refused', () => {
    const refused: [string, string, RegExp][] = [
      // Taproot with a bech32 (not bech32m) checksum, and v0 with bech32m: BIP350's invalid vectors.
      ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', 'bitcoin', /checksum/],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kmn4tdk', 'bitcoin', /checksum/],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'bitcoin', /checksum/],
      ['bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'bitcoin', /mixed/],
      ['tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'bitcoin', /Bitcoin address of this network/],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'litecoin', /Litecoin address of this network/],
      ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'litecoin', /another network/],
      ['mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', 'bitcoin', /another network/],
      ['0x52908400098527886E0F7030069857D2E4169EE7', 'bitcoin', /Bitcoin address of this network/],
      [
        'ltcmweb1qq20e30p5mmpxvp6jgrqvgn8s06x6ftlnqj8d8grpxhpvl9gydl8jqq0k2ts5rqyq4x2hm7rqw4rd6qv8x7m3w9vc3rs4h6whtlrysy3w5ytk2jmr',
        'litecoin',
        /MWEB/,
      ],
    ];
    for (const [address, network, why] of refused) {
      assert.match(validateDestination(address, on(network)) ?? 'accepted', why, address);
    }
  });

  test("Litecoin addresses bitcoinjs-lib makes are Litecoin's, and not Bitcoin's", () => {
    for (let i = 0; i < 20; i++) {
      const hash = randomBytes(20);
      const made = [
        bitcoinjs.payments.p2wpkh({ hash, network: LITECOIN }).address!,
        bitcoinjs.payments.p2pkh({ hash, network: LITECOIN }).address!,
        bitcoinjs.payments.p2sh({ hash, network: LITECOIN }).address!,
        bitcoinjs.payments.p2wsh({ hash: randomBytes(32), network: LITECOIN }).address!,
      ];
      for (const address of made) {
        assert.equal(validateDestination(address, on('litecoin')), null, address);
        assert.notEqual(validateDestination(address, on('bitcoin')), null, address);
      }
    }
  });
});
