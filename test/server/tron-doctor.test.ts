/**
 * `doctor` on a TRON chain: the node's chain id, the first deposit address of the TRON xpub (as
 * TronWeb derives it), the solidified head from the HTTP API, and the TRC-20 contract's decimals and
 * symbol through the JSON-RPC with the contract's 0x twin. Real anvil standing in for TRON's JSON-RPC,
 * the recorded HTTP API served locally, the doctor in process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { TronWeb } from 'tronweb';
import { runDoctor, type Check } from '../../packages/server/src/cli/doctor.js';
import { tronAddressFromHex } from '../../packages/server/src/chain/tron/address.js';
import { deployTestToken, devClients, startAnvil, type Anvil } from '../support/chain.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { startTronHttpApi, type TronHttpApi } from '../support/tron-http-api.js';

const MNEMONIC = 'test test test test test test test test test test test junk';
const TRON_XPUB = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC)).derive(
  "m/44'/195'/0'",
).publicExtendedKey;

describe('doctor on a TRON chain', () => {
  let anvil: Anvil;
  let api: TronHttpApi;
  let usdt: string;

  before(async () => {
    anvil = await startAnvil({ args: ['--chain-id', '1337728'] });
    api = await startTronHttpApi();
    usdt = tronAddressFromHex(await deployTestToken(anvil.rpcUrl, { symbol: 'USDT', decimals: 6 }));
  });
  after(async () => {
    await api?.close();
    await anvil?.stop();
  });

  const doctor = async (chain: Record<string, unknown>): Promise<Check[]> => {
    const report = await runDoctor({
      CC_DATA_DIR: 'memory://',
      CC_SECRET_KEYS: testSecretKey(),
      CC_XPUB: testMerchantWallet().xpub,
      CC_RATES: '{}',
      CC_CHAINS: JSON.stringify([
        { key: 'tron-local', rpc_url: anvil.rpcUrl, http_api_url: api.url, xpub: TRON_XPUB, ...chain },
      ]),
    });
    assert.equal(report.configInvalid, false, JSON.stringify(report.checks));
    return report.checks.filter((check) => check.name.includes('tron'));
  };
  const find = (checks: Check[], name: string) => checks.find((check) => check.name === name);

  test("passes a good chain and prints the first deposit address as the wallet's", async () => {
    const head = Number(await devClients(anvil.rpcUrl).public.getBlockNumber());
    api.setSolid(head - 1);
    const checks = await doctor({ tokens: [{ symbol: 'USDT', address: usdt, decimals: 6, peg: 'USD' }] });
    assert.deepEqual(
      checks.filter((check) => check.status !== 'ok'),
      [],
    );
    assert.match(find(checks, 'chain tron-local')!.message, /^chain id 1337728 \(TRON \(local\)\)/);
    // The address the merchant's TronLink shows first for this mnemonic.
    assert.match(
      find(checks, 'chain tron-local xpub')!.message,
      new RegExp(TronWeb.fromMnemonic(MNEMONIC).address),
    );
    assert.equal(
      find(checks, 'chain tron-local solidified')!.message,
      `solidified head ${head - 1}, 1 blocks behind the head`,
    );
    assert.match(
      find(checks, 'token usdt@tron-local')!.message,
      new RegExp(`^${usdt}: decimals 6, symbol "USDT"`),
    );
  });

  test('fails wrong decimals and a solidity node that answers an error', async () => {
    api.setSolid('error');
    const checks = await doctor({ tokens: [{ symbol: 'USDT', address: usdt, decimals: 18, peg: 'USD' }] });
    assert.deepEqual(
      checks.filter((check) => check.status === 'fail').map((check) => check.name),
      ['chain tron-local solidified', 'token usdt@tron-local'],
    );
    assert.match(find(checks, 'chain tron-local solidified')!.message, /reported an error: class java.lang/);
    assert.match(find(checks, 'token usdt@tron-local')!.message, /decimals\(\) answers 6, configured 18/);
  });
});
