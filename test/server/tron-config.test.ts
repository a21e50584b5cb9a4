/**
 * The configuration of a TRON chain: what the known `tron` entry fills in, and the family's rules —
 * its own account xpub, T… token contracts (checksummed), java-tron's 5 000-block log limit, and the
 * TRON-only keys refused on other chains.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import { ConfigError, parseConfig } from '../../packages/server/src/config.js';
import { fundingLivemode } from '../../packages/server/src/treasury/tron-treasury-watch.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';

const TRON_XPUB = HDKey.fromMasterSeed(new Uint8Array(32).fill(3)).derive("m/44'/195'/0'").publicExtendedKey;
const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

const withChain = (chain: Record<string, unknown>) => ({
  secret_keys: [testSecretKey()],
  xpub: testMerchantWallet().xpub,
  chains: [chain],
});
const problems = (chain: Record<string, unknown>): string => {
  try {
    parseConfig(withChain(chain));
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('the configuration was accepted');
};

describe('TRON configuration', () => {
  test('the known tron chain fills in id, TRX, 20 confirmations, tronscan and Tether USDT', () => {
    const config = parseConfig(
      withChain({ key: 'tron', rpc_url: 'https://api.trongrid.io/jsonrpc', xpub: TRON_XPUB }),
    );
    const chain = config.chains[0]!;
    assert.equal(chain.family, 'tron');
    assert.equal(chain.id, 728126428);
    assert.deepEqual(chain.native, { symbol: 'TRX', decimals: 6 });
    assert.equal(chain.confirmations, 20);
    assert.equal(chain.explorer_url, 'https://tronscan.org/#');
    assert.equal(chain.http_api_url, 'https://api.trongrid.io', 'TronGrid unless set');
    assert.deepEqual(chain.tokens, [{ symbol: 'USDT', address: USDT, decimals: 6, peg: 'USD' }]);
    assert.equal(chain.finality, undefined, 'solidified unless set');
  });

  test('needs its own xpub, T… contracts with a good checksum, and at most 5 000 blocks per log query', () => {
    assert.match(
      problems({ key: 'tron', rpc_url: 'https://t.example/jsonrpc' }),
      /xpub: required for a TRON chain/,
    );
    assert.match(
      problems({
        key: 'tron',
        rpc_url: 'https://t.example/jsonrpc',
        xpub: TRON_XPUB,
        tokens: [{ symbol: 'USDT', address: `${USDT.slice(0, -1)}u`, decimals: 6 }],
      }),
      /tokens\[0\]\.address: .*checksum fails/,
    );
    assert.match(
      problems({
        key: 'tron',
        rpc_url: 'https://t.example/jsonrpc',
        xpub: TRON_XPUB,
        tokens: [{ symbol: 'USDT', address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6 }],
      }),
      /a TRON chain takes T… addresses/,
    );
    assert.match(
      problems({ key: 'tron', rpc_url: 'https://t.example/jsonrpc', xpub: TRON_XPUB, max_block_range: 5001 }),
      /max_block_range: at most 5000 on a TRON chain/,
    );
  });

  test('refuses TRON-only keys and T… contracts on an EVM chain', () => {
    const message = problems({
      key: 'base',
      rpc_url: 'https://base.example',
      http_api_url: 'https://api.trongrid.io',
      finality: 'solidified',
      tokens: [{ symbol: 'USDT', address: USDT, decimals: 6 }],
    });
    assert.match(message, /http_api_url: only for a TRON chain/);
    assert.match(message, /finality: only for a TRON chain/);
    assert.match(message, /a T… address is a TRON contract; this chain is EVM/);
  });

  test('money sent into a TRON treasury is live on TRON mainnet only', () => {
    assert.equal(fundingLivemode(728126428), true, 'TRON mainnet');
    assert.equal(fundingLivemode(3448148188), false, 'Nile');
    assert.equal(fundingLivemode(2494104990), false, 'Shasta');
    assert.equal(fundingLivemode(1337728), false, 'the tests’ stand-in');
  });

  test('a TRON chain that takes TRX needs the HTTP API, which alone tells TRX from a TRC-10 token', () => {
    const refused = () =>
      parseConfig(
        withChain({ key: 'tron-local', rpc_url: 'http://127.0.0.1:50545/jsonrpc', xpub: TRON_XPUB }),
      );
    assert.throws(refused, /http_api_url: required on a TRON chain that takes TRX/);
    const tokensOnly = parseConfig(
      withChain({
        key: 'tron-local',
        rpc_url: 'http://127.0.0.1:50545/jsonrpc',
        xpub: TRON_XPUB,
        native: null,
      }),
    );
    assert.equal(tokensOnly.chains[0]!.http_api_url, undefined);
  });
});
