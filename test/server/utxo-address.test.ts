import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mnemonicToSeedSync } from '@scure/bip39';
import { HDKey } from '@scure/bip32';
import * as bitcoinjs from 'bitcoinjs-lib';
import {
  deriveUtxoAddress,
  parseUtxoAccountKey,
  receiveDescriptor,
  type UtxoAddressType,
} from '../../packages/server/src/chain/utxo/account-key.js';
import { bip21Uri } from '../../packages/server/src/chain/utxo/bip21.js';
import { UTXO_NETWORKS, type UtxoNetworkName } from '../../packages/server/src/chain/utxo/utxo-networks.js';
import { ADDRESS_PATTERNS } from '@crypto-checkout/protocol';

/**
 * Bitcoin and Litecoin receive addresses from account keys: BIP84's own test vectors, and every
 * network and address type held to an independent library (bitcoinjs-lib) over many indexes.
 */

/** BIP84's test vectors ("abandon … about", m/84'/0'/0'), from the BIP's text. */
const BIP84 = {
  zpub: 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs',
  zprv: 'zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE',
  receive: ['bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g'],
};
const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const TEST = { public: 0x043587cf, private: 0x04358394 };

/** The account node of the BIP84 mnemonic at `path`, with `versions`. */
function account(path: string, versions?: { public: number; private: number }) {
  return HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC), versions).derive(path);
}

/** The address bitcoinjs-lib gives for the receive child `index` of `node`. */
function bitcoinjsAddress(node: HDKey, index: number, type: UtxoAddressType, name: UtxoNetworkName): string {
  const n = UTXO_NETWORKS[name];
  const network = {
    messagePrefix: '',
    bech32: n.bech32,
    bip32: n.bip32,
    pubKeyHash: n.pubKeyHash,
    scriptHash: n.scriptHash,
    wif: n.wif,
  };
  const pubkey = node.deriveChild(0).deriveChild(index).publicKey!;
  if (type === 'p2wpkh') return bitcoinjs.payments.p2wpkh({ pubkey, network }).address!;
  if (type === 'p2pkh') return bitcoinjs.payments.p2pkh({ pubkey, network }).address!;
  return bitcoinjs.payments.p2sh({ redeem: bitcoinjs.payments.p2wpkh({ pubkey, network }), network })
    .address!;
}

describe('UTXO receive addresses', () => {
  test("BIP84's vectors: the zpub of m/84'/0'/0' derives bc1qcr8te4… and bc1qnjg0jd…", () => {
    const key = parseUtxoAccountKey(BIP84.zpub, UTXO_NETWORKS.bitcoin);
    assert.equal(key.type, 'p2wpkh');
    assert.equal(key.givenAs, 'zpub');
    assert.deepEqual(
      [0, 1].map((i) => deriveUtxoAddress(key, i)),
      BIP84.receive,
    );
    // The same key as an xpub (what Ledger Live exports) gives the same addresses by default.
    const xpub = account("m/84'/0'/0'").publicExtendedKey;
    assert.match(xpub, /^xpub/);
    const fromXpub = parseUtxoAccountKey(xpub, UTXO_NETWORKS.bitcoin);
    assert.deepEqual(
      [0, 1].map((i) => deriveUtxoAddress(fromXpub, i)),
      BIP84.receive,
    );
    // The node reads it as an xpub in a wpkh descriptor of the receive branch.
    assert.equal(receiveDescriptor(key), `wpkh(${xpub}/0/*)`);
  });

  test('refuses private keys, unknown versions and keys of the other kind of network', () => {
    assert.throws(() => parseUtxoAccountKey(BIP84.zprv, UTXO_NETWORKS.bitcoin), /PRIVATE key/);
    assert.throws(() => parseUtxoAccountKey('zpub-not-a-key', UTXO_NETWORKS.bitcoin), /not a valid extended/);
    const tpub = account("m/84'/1'/0'", TEST).publicExtendedKey;
    assert.throws(
      () => parseUtxoAccountKey(tpub, UTXO_NETWORKS.litecoin),
      /testnet key, but this chain is Litecoin mainnet/,
    );
    assert.throws(() => parseUtxoAccountKey(BIP84.zpub, UTXO_NETWORKS['bitcoin-regtest']), /mainnet key/);
    assert.throws(
      () => parseUtxoAccountKey(BIP84.zpub, UTXO_NETWORKS.bitcoin, 'p2sh-p2wpkh'),
      /a zpub is for p2wpkh addresses, but address_type is p2sh-p2wpkh/,
    );
  });

  const cases: { name: UtxoNetworkName; path: string; type: UtxoAddressType; prefix: RegExp }[] = [
    { name: 'bitcoin', path: "m/84'/0'/0'", type: 'p2wpkh', prefix: /^bc1q/ },
    { name: 'bitcoin', path: "m/49'/0'/0'", type: 'p2sh-p2wpkh', prefix: /^3/ },
    { name: 'bitcoin', path: "m/44'/0'/0'", type: 'p2pkh', prefix: /^1/ },
    { name: 'bitcoin-testnet', path: "m/84'/1'/0'", type: 'p2wpkh', prefix: /^tb1q/ },
    { name: 'bitcoin-regtest', path: "m/84'/1'/0'", type: 'p2wpkh', prefix: /^bcrt1q/ },
    { name: 'litecoin', path: "m/84'/2'/0'", type: 'p2wpkh', prefix: /^ltc1q/ },
    { name: 'litecoin', path: "m/49'/2'/0'", type: 'p2sh-p2wpkh', prefix: /^M/ },
    { name: 'litecoin', path: "m/44'/2'/0'", type: 'p2pkh', prefix: /^L/ },
    { name: 'litecoin-testnet', path: "m/84'/1'/0'", type: 'p2wpkh', prefix: /^tltc1q/ },
    { name: 'litecoin-regtest', path: "m/84'/1'/0'", type: 'p2wpkh', prefix: /^rltc1q/ },
  ];
  for (const { name, path, type, prefix } of cases) {
    test(`${name} ${type} (${path}) agrees with bitcoinjs-lib on 200 indexes`, () => {
      const net = UTXO_NETWORKS[name];
      const node = account(path, net.mainnet ? undefined : TEST);
      const key = parseUtxoAccountKey(node.publicExtendedKey, net, type);
      for (let i = 0; i < 200; i++) {
        const ours = deriveUtxoAddress(key, i);
        assert.equal(ours, bitcoinjsAddress(node, i, type, name), `${name} ${type} #${i}`);
        assert.match(ours, prefix);
        assert.match(ours, ADDRESS_PATTERNS.utxo, 'the wire contract accepts it');
      }
    });
  }

  test("Litecoin's Ltub and Mtub keys are read as the same account", () => {
    const node = account("m/49'/2'/0'");
    const bytes = (version: number) => {
      // The same key with Litecoin's version bytes, as Electrum-LTC exports it.
      const other = new HDKey({
        versions: { public: version, private: 0 },
        publicKey: node.publicKey!,
        chainCode: node.chainCode!,
        depth: node.depth,
        index: node.index,
        parentFingerprint: node.parentFingerprint,
      });
      return other.publicExtendedKey;
    };
    const mtub = bytes(0x01b26ef6);
    assert.match(mtub, /^Mtub/);
    const key = parseUtxoAccountKey(mtub, UTXO_NETWORKS.litecoin);
    assert.equal(key.type, 'p2sh-p2wpkh');
    assert.equal(deriveUtxoAddress(key, 0), bitcoinjsAddress(node, 0, 'p2sh-p2wpkh', 'litecoin'));
    const ltub = bytes(0x019da462);
    assert.match(ltub, /^Ltub/);
    assert.equal(
      deriveUtxoAddress(parseUtxoAccountKey(ltub, UTXO_NETWORKS.litecoin, 'p2pkh'), 0),
      bitcoinjsAddress(node, 0, 'p2pkh', 'litecoin'),
    );
  });

  test('BIP21: decimal amount without trailing zeros, upper-case bech32, label encoded, base58 kept', () => {
    assert.equal(
      bip21Uri({
        scheme: 'bitcoin',
        address: BIP84.receive[0]!,
        amountAtomic: 150_000n,
        decimals: 8,
        label: 'Shop & Co',
      }),
      'bitcoin:BC1QCR8TE4KR609GCAWUTMRZA0J4XV80JY8Z306FYU?amount=0.0015&label=Shop%20%26%20Co',
    );
    assert.equal(
      bip21Uri({
        scheme: 'litecoin',
        address: 'MQMcJhpWHYVeQArcZR3sBgyPZxxRtnH441',
        amountAtomic: 100_000_000n,
        decimals: 8,
      }),
      'litecoin:MQMcJhpWHYVeQArcZR3sBgyPZxxRtnH441?amount=1',
    );
  });
});
