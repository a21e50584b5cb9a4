/**
 * Issue 16's "a BTC, an LTC and a USDT-TRC20 method appear in one session's method list": one
 * server with bitcoin-regtest (no Bitcoin node here: its RPC URL points at a closed port),
 * litecoin-regtest (litecoind) and tron-local (anvil standing in for TRON's JSON-RPC, the recorded
 * HTTP API for the solid head). The session lists and prices all three; the chain without a node
 * makes /ready say so, and nothing else: the server stays up and the other rails work.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import type { Session } from '@crypto-checkout/protocol';
import { parseConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { tronAddressFromHex } from '../../packages/server/src/chain/tron/address.js';
import { deployTestToken, freePort, startAnvil, type Anvil } from '../support/chain.js';
import { litecoindMissing, startLitecoind, testUtxoAccount, type Litecoind } from '../support/litecoind.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { startTronHttpApi, type TronHttpApi } from '../support/tron-http-api.js';
import { waitFor } from '../support/wait-for.js';

const TRON_LOCAL_ID = 1337728;

describe('BTC, LTC and USDT-TRC20 in one session', { skip: litecoindMissing }, () => {
  let node: Litecoind;
  let anvil: Anvil;
  let api: TronHttpApi;
  let server: RunningServer;
  const secretKey = testSecretKey();

  before(async () => {
    [node, anvil, api] = await Promise.all([
      startLitecoind(),
      startAnvil({ args: ['--chain-id', String(TRON_LOCAL_ID)] }),
      startTronHttpApi(),
    ]);
    const usdt = tronAddressFromHex(await deployTestToken(anvil.rpcUrl, { symbol: 'USDT', decimals: 6 }));
    const seed = HDKey.fromMasterSeed(randomBytes(32), { public: 0x043587cf, private: 0x04358394 });
    const password = randomBytes(8).toString('hex');
    recordSecrets(password);
    const config = parseConfig({
      port: 0,
      data_dir: 'memory://',
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'bitcoin-regtest',
          // Nothing listens there: no Bitcoin node on this machine.
          rpc_url: `http://cc:${password}@127.0.0.1:${await freePort()}`,
          xpub: seed.derive("m/84'/1'/0'").publicExtendedKey,
          polling_interval_ms: 100,
        },
        {
          key: 'litecoin-regtest',
          rpc_url: node.rpcUrl,
          xpub: testUtxoAccount().tpub,
          polling_interval_ms: 100,
        },
        {
          key: 'tron-local',
          rpc_url: anvil.rpcUrl,
          http_api_url: api.url,
          xpub: HDKey.fromMasterSeed(randomBytes(32)).derive("m/44'/195'/0'").publicExtendedKey,
          polling_interval_ms: 100,
          tokens: [{ symbol: 'USDT', address: usdt, decimals: 6, peg: 'USD' }],
        },
      ],
      rates: { BTC: '50000', LTC: '100', TRX: '0.25' },
      log_level: 'warn',
      limits: { rate_limits: { enabled: false }, load_shedding: { enabled: false } },
      // A chain whose watcher has not reached its node for 2 s makes /ready say so.
      ready: { chain_stale_ms: 2_000 },
    });
    server = await startServer(config, { logger: testLogger() });
  });

  after(async () => {
    await server?.stop();
    await Promise.all([node?.stop(), anvil?.stop(), api?.close()]);
  });

  /** A new 10 USD session offering every configured method. */
  async function newSession(): Promise<Session> {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '10.00', currency: 'USD' }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const session = (await response.json()) as Session;
    recordSecrets(session.client_secret);
    return session;
  }

  test('one session lists and prices btc, ltc and usdt@tron-local; each gets a deposit address of its family', async () => {
    const session = await newSession();
    // The buyer's view prices each method at the current rate.
    const buyer = await fetch(`${server.url}/v1/sessions/${session.id}`, {
      headers: { authorization: `Bearer ${session.client_secret}` },
    });
    assert.equal(buyer.status, 200);
    const methods = new Map(((await buyer.json()) as Session).methods.map((m) => [m.id, m]));
    const pick = (id: string) => {
      const m = methods.get(id);
      assert.ok(m, `${id} in ${[...methods.keys()].join(', ')}`);
      return [m.family, m.kind, m.token, m.network, m.chain_id, m.quote?.amount];
    };
    assert.deepEqual(pick('btc@bitcoin-regtest'), [
      'utxo',
      'native',
      'BTC',
      'Bitcoin (regtest)',
      null,
      '0.0002',
    ]);
    assert.deepEqual(pick('ltc@litecoin-regtest'), [
      'utxo',
      'native',
      'LTC',
      'Litecoin (regtest)',
      null,
      '0.1',
    ]);
    assert.deepEqual(pick('usdt@tron-local'), ['tron', 'trc20', 'USDT', 'TRON (local)', TRON_LOCAL_ID, '10']);

    // Choosing each (on a session of its own) works, and the address is of its network, the
    // Bitcoin one with no node at all.
    const address = async (method: string) => {
      const r = await fetch(`${server.url}/v1/sessions/${(await newSession()).id}/payment`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ method }),
      });
      assert.equal(r.status, 200, await r.clone().text());
      return ((await r.json()) as Session).payment!.address;
    };
    assert.match(await address('btc@bitcoin-regtest'), /^bcrt1q[02-9ac-hj-np-z]{38}$/);
    assert.match(await address('ltc@litecoin-regtest'), /^rltc1q[02-9ac-hj-np-z]{38}$/);
    assert.match(await address('usdt@tron-local'), /^T[1-9A-HJ-NP-Za-km-z]{33}$/);
  });

  test('the chain without a node: /ready names it, /health stays up, the other watchers run', async () => {
    // Once the other watchers have synced, the one reason left is the Bitcoin chain.
    const ready = await waitFor(
      async () => {
        const r = await fetch(`${server.url}/ready`);
        const body = (await r.json()) as { ready: boolean; reasons: { check: string; chain?: string }[] };
        return r.status === 503 && body.reasons.length === 1 && body;
      },
      20_000,
      '/ready 503 for bitcoin-regtest alone',
    );
    assert.equal(ready.ready, false);
    assert.deepEqual(
      ready.reasons.map((r) => [r.check, r.chain]),
      [['chain', 'bitcoin-regtest']],
    );
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    await waitFor(
      () =>
        server.watchers
          .filter((w) => w.status().chain !== 'bitcoin-regtest')
          .every((w) => (w.status().processed ?? null) !== null),
      20_000,
      'litecoin and tron watchers',
    );
  });
});
