import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ConfigError, parseConfig, readConfigInput } from '../../packages/server/src/config.js';
import {
  DEFAULT_FORWARDER_FACTORY,
  forwarderAddress,
} from '../../packages/server/src/treasury/forwarder-address.js';
import { chainRail } from '../../packages/server/src/chain/family.js';
import { testConfig } from '../support/app.js';
import { recordSecrets } from '../support/logs.js';
import { testMerchantWallet } from '../support/stack.js';

const chain = (extra: Record<string, unknown>) => ({
  key: 'anvil',
  id: 31337,
  name: 'Anvil (local)',
  rpc_url: 'http://127.0.0.1:1',
  confirmations: 2,
  ...extra,
});
const base = () => ({ secret_keys: [], xpub: testMerchantWallet().xpub });

test('forwarder mode requires a treasury address, and says so', () => {
  assert.throws(
    () => parseConfig({ ...base(), chains: [chain({ deposit_mode: 'forwarder' })] }),
    (error: unknown) =>
      error instanceof ConfigError && /chains\[0\]\.treasury_address: required/.test(error.message),
  );
  const config = testConfig();
  assert.equal(config.chains[0]!.deposit_mode, 'xpub', 'xpub stays the default');
  assert.equal(config.chains[0]!.sweep_batch_size, 50);
});

test('a bad relayer key is refused without being shown; CC_RELAYER_KEY sets it', () => {
  const bad = `0x${'ab'.repeat(31)}`;
  recordSecrets(bad);
  assert.throws(
    () => parseConfig({ ...base(), chains: [chain({})], treasury: { relayer_key: bad } }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /treasury\.relayer_key/.test(error.message) &&
      !error.message.includes(bad),
  );
  const key = generatePrivateKey();
  recordSecrets(key);
  const { input, sources } = readConfigInput({ CC_RELAYER_KEY: key, CC_TREASURY: '{}' });
  assert.deepEqual(input.treasury, { relayer_key: key });
  assert.equal(sources.treasury, 'CC_RELAYER_KEY');
});

test('a bad payout key is refused without being shown; CC_PAYOUT_KEY sets it beside the daily limits', () => {
  const bad = `0x${'cd'.repeat(31)}`;
  recordSecrets(bad);
  assert.throws(
    () => parseConfig({ ...base(), chains: [chain({})], payouts: { key: bad } }),
    (error: unknown) =>
      error instanceof ConfigError && /payouts\.key/.test(error.message) && !error.message.includes(bad),
  );
  const key = generatePrivateKey();
  recordSecrets(key);
  const { input, sources } = readConfigInput({
    CC_PAYOUT_KEY: key,
    CC_PAYOUTS: JSON.stringify({ daily_limit: { 'usdc@anvil': '25' } }),
  });
  assert.deepEqual(input.payouts, { daily_limit: { 'usdc@anvil': '25' }, key });
  assert.equal(sources.payouts, 'CC_PAYOUT_KEY');
  const config = parseConfig({ ...base(), chains: [chain({})], payouts: input.payouts });
  assert.equal(config.payouts.key, key);
  assert.deepEqual(config.payouts.daily_limit, { 'usdc@anvil': '25' });
});

test('sweep policies parse per asset, with defaults', () => {
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  const config = parseConfig({
    ...base(),
    chains: [
      chain({
        deposit_mode: 'forwarder',
        treasury_address: treasury,
        sweep: { USDC: { threshold: '5', max_gas_price_gwei: '0.5' } },
      }),
    ],
  });
  assert.deepEqual(config.chains[0]!.sweep, {
    USDC: { threshold: '5', interval_s: 3_600, max_gas_price_gwei: '0.5' },
  });
  assert.throws(() =>
    parseConfig({
      ...base(),
      chains: [
        chain({ deposit_mode: 'forwarder', treasury_address: treasury, sweep: { USDC: { threshold: 5 } } }),
      ],
    }),
  );
});

test('deposit addresses: forwarder chains get the CREATE2 address, xpub chains the xpub child', () => {
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  const config = parseConfig({
    ...base(),
    chains: [
      chain({ deposit_mode: 'forwarder', treasury_address: treasury }),
      chain({ key: 'other', id: 1337 }),
    ],
  });
  const [forwarderChain, xpubChain] = config.chains.map((c) => chainRail(c, config.xpub));
  assert.equal(forwarderChain!.deriveAddress(9), forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, 9));
  assert.notEqual(xpubChain!.deriveAddress(9), forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, 9));
  assert.match(xpubChain!.deriveAddress(9), /^0x[0-9a-fA-F]{40}$/);
});
