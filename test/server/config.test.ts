import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { getAddress, isAddress } from 'viem';
import * as viemChains from 'viem/chains';
import { HDKey } from '@scure/bip32';
import { KNOWN_CHAINS } from '../../packages/server/src/chain/known-chains.js';
import { ConfigError, loadConfig, parseConfig } from '../../packages/server/src/config.js';
import { isTronAddress } from '../../packages/server/src/chain/tron/address.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';

const valid = () => ({
  secret_keys: [testSecretKey()],
  xpub: testMerchantWallet().xpub,
  chains: [{ key: 'anvil', id: 31337, name: 'Anvil', rpc_url: 'http://127.0.0.1:8545', confirmations: 2 }],
});

describe('configuration', () => {
  test('applies documented defaults', () => {
    const config = parseConfig(valid());
    assert.equal(config.port, 8787);
    assert.equal(config.data_dir, './.data');
    assert.deepEqual(config.cors_origins, ['*']);
    assert.equal(config.default_expires_in, 1800);
    assert.equal(config.chains[0]!.polling_interval_ms, 2000);
  });

  test('names every bad field in one message', () => {
    assert.throws(
      () => parseConfig({ ...valid(), secret_keys: ['hunter2'], xpub: 'nope', chains: [] }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /secret_keys\[0\]: \(value not shown: a secret\) must look like sk_test_/,
        );
        assert.match(error.message, /xpub: "nope" is not a valid BIP32 extended public key/);
        assert.match(error.message, /chains: configure at least one chain/);
        return true;
      },
    );
  });

  test('refuses the same chain key twice', () => {
    const config = valid();
    assert.throws(
      () => parseConfig({ ...config, chains: [config.chains[0], config.chains[0]] }),
      /used twice/,
    );
  });

  test('reads a config file overlaid by environment variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...valid(), port: 9000 }));
    const key = testSecretKey();
    const config = loadConfig({
      CC_CONFIG: file,
      CC_SECRET_KEYS: `${key}, ${testSecretKey()}`,
      PORT: '9100',
    });
    assert.equal(config.port, 9100);
    assert.equal(config.secret_keys.length, 2);
    assert.equal(config.secret_keys[0], key);
  });

  test('says which variable holds bad JSON', () => {
    assert.throws(() => loadConfig({ CC_CHAINS: '[{' }), /CC_CHAINS must be valid JSON/);
  });
});

describe('known chains', () => {
  const withChains = (...chains: unknown[]) => ({ ...valid(), chains });
  const rejects = (input: unknown, ...messages: RegExp[]) =>
    assert.throws(
      () => parseConfig(input),
      (error: Error) => {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error.name}`);
        for (const message of messages) assert.match(error.message, message);
        return true;
      },
    );

  test('a known key and an rpc_url are enough: the registry fills in the rest', () => {
    const [chain] = parseConfig(withChains({ key: 'base', rpc_url: 'https://base.example' })).chains;
    assert.equal(chain!.id, 8453);
    assert.equal(chain!.name, 'Base');
    assert.equal(chain!.confirmations, 10);
    assert.equal(chain!.explorer_url, 'https://basescan.org');
    assert.deepEqual(chain!.native, { symbol: 'ETH', decimals: 18 });
    assert.deepEqual(chain!.tokens, [
      { symbol: 'USDC', address: '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913', decimals: 6, peg: 'USD' },
    ]);
    assert.equal(chain!.polling_interval_ms, 2000);
  });

  test('what the entry gives wins over the registry', () => {
    const [chain] = parseConfig(
      withChains({
        key: 'polygon',
        id: 137,
        rpc_url: 'https://polygon.example',
        confirmations: 64,
        native: null,
        polling_interval_ms: 500,
      }),
    ).chains;
    assert.equal(chain!.confirmations, 64);
    assert.equal(chain!.native, null);
    assert.equal(chain!.polling_interval_ms, 500);
    assert.deepEqual(
      chain!.tokens.map((token) => token.symbol),
      ['USDC', 'USDT'],
    );
  });

  test('token symbols pick the registry contracts, alongside contracts given in full', () => {
    const dai = { symbol: 'DAI', address: '0x6B175474E89094C44Da98b954EedeAC495271d0F', decimals: 18 };
    const [chain] = parseConfig(
      withChains({ key: 'ethereum', rpc_url: 'https://eth.example', tokens: ['usdt', dai] }),
    ).chains;
    assert.deepEqual(chain!.tokens, [
      { symbol: 'USDT', address: '0xdac17f958d2ee523a2206206994597c13d831ec7', decimals: 6, peg: 'USD' },
      { symbol: 'DAI', address: '0x6b175474e89094c44da98b954eedeac495271d0f', decimals: 18 },
    ]);
  });

  test('BNB Smart Chain tokens have 18 decimals', () => {
    const [chain] = parseConfig(withChains({ key: 'bsc', rpc_url: 'https://bsc.example' })).chains;
    assert.deepEqual(
      chain!.tokens.map((token) => [token.symbol, token.decimals]),
      [
        ['USDC', 18],
        ['USDT', 18],
      ],
    );
  });

  test('refuses a token symbol the known chain does not have', () => {
    rejects(
      withChains({ key: 'base', rpc_url: 'https://base.example', tokens: ['USDC', 'USDT'] }),
      /chains\[0\]\.tokens\[1\]: "USDT" is not a known token on base \(known: USDC\)/,
    );
  });

  test('refuses an id that contradicts the known chain', () => {
    rejects(
      withChains({ key: 'base', id: 1, rpc_url: 'https://base.example' }),
      /chains\[0\]\.id: 1 contradicts the known chain "base" \(Base, id 8453\)/,
    );
  });

  test('an unknown key still needs id, name and confirmations', () => {
    rejects(
      withChains({ key: 'bsae', rpc_url: 'https://base.example' }),
      /chains\[0\]\.id: is required: the key is not a known chain \(known: ethereum, base, .*anvil, bitcoin, litecoin, .*litecoin-regtest\) — hint/,
      /chains\[0\]\.name: is required: the key is not a known chain — hint/,
      /chains\[0\]\.confirmations: is required: the key is not a known chain — hint/,
    );
  });

  test('an unknown key cannot pick tokens by symbol', () => {
    rejects(
      withChains({
        key: 'mychain',
        id: 999,
        name: 'Mine',
        confirmations: 3,
        rpc_url: 'https://mine.example',
        tokens: ['USDC'],
      }),
      /chains\[0\]\.tokens\[0\]: "USDC" can only pick a token of a known chain/,
    );
  });

  test('every registry address is checksummed and unique on its chain', () => {
    for (const chain of KNOWN_CHAINS) {
      for (const token of chain.tokens) {
        if (chain.family === 'tron') {
          assert.ok(isTronAddress(token.address), `${token.symbol}@${chain.key} base58check`);
        } else {
          assert.ok(isAddress(token.address, { strict: true }), `${token.symbol}@${chain.key}`);
          assert.equal(token.address, getAddress(token.address), `${token.symbol}@${chain.key} checksum`);
        }
        assert.match(token.source, /^https:\/\//);
      }
      const addresses = chain.tokens.map((token) => token.address.toLowerCase());
      const symbols = chain.tokens.map((token) => token.symbol);
      assert.equal(new Set(addresses).size, addresses.length, `duplicate address on ${chain.key}`);
      assert.equal(new Set(symbols).size, symbols.length, `duplicate symbol on ${chain.key}`);
    }
    const keys = KNOWN_CHAINS.map((chain) => chain.key);
    assert.equal(new Set(keys).size, keys.length);
  });

  test('chain ids, native coins and explorers agree with viem/chains', () => {
    const viemNames: Record<string, keyof typeof viemChains> = {
      ethereum: 'mainnet',
      base: 'base',
      polygon: 'polygon',
      arbitrum: 'arbitrum',
      optimism: 'optimism',
      bsc: 'bsc',
      sepolia: 'sepolia',
      'base-sepolia': 'baseSepolia',
      'polygon-amoy': 'polygonAmoy',
      'arbitrum-sepolia': 'arbitrumSepolia',
      'optimism-sepolia': 'optimismSepolia',
      'bsc-testnet': 'bscTestnet',
      anvil: 'anvil',
      tron: 'tron',
      'tron-nile': 'tronNile',
    };
    // Every chain viem knows (EVM and TRON), less the local TRON stand-in (anvil with its own id).
    const local = new Set(['tron-local']);
    const checked = KNOWN_CHAINS.filter((known) => known.family !== 'utxo' && !local.has(known.key));
    assert.deepEqual(checked.map((known) => known.key).sort(), Object.keys(viemNames).sort());
    for (const known of checked) {
      const chain = viemChains[viemNames[known.key]!];
      assert.equal(chain.id, known.id, known.key);
      assert.deepEqual(
        { symbol: chain.nativeCurrency.symbol, decimals: chain.nativeCurrency.decimals },
        known.native,
        known.key,
      );
      // tronscan routes in the fragment (`https://tronscan.org/#/transaction/…`): the base keeps its `#`.
      assert.equal(chain.blockExplorers?.default.url, known.explorer_url?.replace(/\/#$/, ''), known.key);
      // viem leaves `testnet` unset on local dev chains; anvil's coins have no value either.
      if (known.key !== 'anvil') assert.equal(chain.testnet ?? false, known.testnet, known.key);
    }
  });

  test('every known chain parses from its key and an rpc_url alone (and a UTXO or TRON chain its xpub)', () => {
    // TRON chains need their own account key too.
    const tronXpub = HDKey.fromMasterSeed(new Uint8Array(32).fill(7)).derive(
      "m/44'/195'/0'",
    ).publicExtendedKey;
    const chains = KNOWN_CHAINS.map((known) => ({
      key: known.key,
      rpc_url: 'https://rpc.example',
      // A local TRON net has no public HTTP API to default to (mainnet and Nile: TronGrid).
      ...(known.family === 'tron' ? { xpub: tronXpub } : {}),
      ...(known.family === 'tron' && !known.http_api_url ? { http_api_url: 'http://127.0.0.1:8090' } : {}),
      ...(known.family === 'utxo' ? { xpub: known.testnet ? TEST_ACCOUNT_TPUB : BIP84_ZPUB } : {}),
    }));
    const config = parseConfig(withChains(...chains));
    assert.deepEqual(
      config.chains.map((chain) => [chain.key, chain.id]),
      KNOWN_CHAINS.map((known) => [known.key, known.id]),
    );
  });

  test('a UTXO chain needs its own account key of its network, a negative number and no tokens', () => {
    assert.throws(
      () => parseConfig(withChains({ key: 'litecoin', rpc_url: 'https://rpc.example' })),
      /chains\[0\]\.xpub: required for a UTXO chain/,
    );
    assert.throws(
      () =>
        parseConfig(withChains({ key: 'litecoin', rpc_url: 'https://rpc.example', xpub: TEST_ACCOUNT_TPUB })),
      /a tpub is a testnet key, but this chain is Litecoin mainnet/,
    );
    assert.throws(
      () =>
        parseConfig(
          withChains({
            key: 'my-btc',
            family: 'utxo',
            utxo_network: 'bitcoin',
            id: 7,
            name: 'My Bitcoin',
            confirmations: 1,
            rpc_url: 'https://rpc.example',
            xpub: BIP84_ZPUB,
          }),
        ),
      /a UTXO chain has no EIP-155 id: give a negative number/,
    );
    assert.throws(
      () =>
        parseConfig(
          withChains({
            key: 'bitcoin',
            rpc_url: 'https://rpc.example',
            xpub: BIP84_ZPUB,
            address_type: 'p2pkh',
          }),
        ),
      /a zpub is for p2wpkh addresses, but address_type is p2pkh/,
    );
    const config = parseConfig(
      withChains({ key: 'bitcoin', rpc_url: 'https://rpc.example', xpub: BIP84_ZPUB }),
    );
    assert.deepEqual(
      { family: config.chains[0]!.family, id: config.chains[0]!.id, network: config.chains[0]!.utxo_network },
      { family: 'utxo', id: -1, network: 'bitcoin' },
    );
  });
});

/** BIP84's test vector: the account key of "abandon … about", m/84'/0'/0'. */
const BIP84_ZPUB =
  'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
/** A testnet account key (m/84'/1'/0' of a fixed seed). */
const TEST_ACCOUNT_TPUB = HDKey.fromMasterSeed(new Uint8Array(32).fill(7), {
  public: 0x043587cf,
  private: 0x04358394,
}).derive("m/84'/1'/0'").publicExtendedKey;
