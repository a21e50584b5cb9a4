import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../src/server/config.js';
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
        assert.match(error.message, /secret_keys\.0: must look like sk_test_/);
        assert.match(error.message, /xpub: not a valid BIP32 extended public key/);
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
