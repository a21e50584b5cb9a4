/**
 * USDT (TRC-20) and TRX on TRON, paid end to end through the API: a real anvil node stands in for
 * java-tron's Ethereum-compatible JSON-RPC (a 6-decimal token deployed as USDT; the buyer pays the
 * `0x` twin of the `T…` deposit address, which is the same 20 bytes), and the recorded HTTP API
 * (`test/support/tron-fixtures/`) served locally gives the solidified head. Real backend on PGlite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import type { Session } from '@crypto-checkout/protocol';
import { TronWeb } from 'tronweb';
import type { Address } from 'viem';
import { english, generateMnemonic } from 'viem/accounts';
import { parseConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { tronAddressFromHex, tronAddressToHex } from '../../packages/server/src/chain/tron/address.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { startTronHttpApi, type TronHttpApi } from '../support/tron-http-api.js';
import { choose, view, waitFor } from '../support/wait.js';

/** The id of the known `tron-local` chain, which the anvil stand-in takes. */
const TRON_LOCAL_ID = 1337728;

describe('USDT (TRC-20) and TRX on TRON', () => {
  let anvil: Anvil;
  let api: TronHttpApi;
  let server: RunningServer;
  let config: ReturnType<typeof parseConfig>;
  let secretKey: string;
  let usdtHex: Address;
  let usdt: string;
  /** The merchant's TRON receive chain (m/44'/195'/0'/0), private: to check addresses with TronWeb. */
  let receive: HDKey;

  before(async () => {
    anvil = await startAnvil({ args: ['--chain-id', String(TRON_LOCAL_ID)] });
    api = await startTronHttpApi({ rpcUrl: anvil.rpcUrl });
    usdtHex = await deployTestToken(anvil.rpcUrl, { symbol: 'USDT', decimals: 6 });
    usdt = tronAddressFromHex(usdtHex);
    const account = HDKey.fromMasterSeed(mnemonicToSeedSync(generateMnemonic(english))).derive(
      "m/44'/195'/0'",
    );
    receive = account.deriveChild(0);
    // Nothing is solid yet: the head of a fresh anvil is block 2 or 3 (deployment, mint).
    api.setSolid(0);
    secretKey = testSecretKey();
    config = parseConfig({
      port: 0,
      data_dir: 'memory://',
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'tron-local',
          rpc_url: anvil.rpcUrl,
          http_api_url: api.url,
          xpub: account.publicExtendedKey,
          confirmations: 3,
          polling_interval_ms: 100,
          tokens: [{ symbol: 'USDT', address: usdt, decimals: 6, peg: 'USD' }],
        },
      ],
      rates: { TRX: '0.25' },
      log_level: 'warn',
      limits: { rate_limits: { enabled: false }, load_shedding: { enabled: false } },
    });
    server = await startServer(config, { logger: testLogger() });
  });

  after(async () => {
    await server?.stop();
    await api?.close();
    await anvil?.stop();
  });

  const createSession = async (amount: string): Promise<Session> => {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount, currency: 'USD' }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const session = (await response.json()) as Session;
    recordSecrets(session.client_secret);
    return session;
  };
  const head = async () => Number(await devClients(anvil.rpcUrl).public.getBlockNumber());

  test('lists USDT · TRON (TRC-20) and TRX, with a T… deposit address that TronWeb derives too', async () => {
    const session = await createSession('10.00');
    const methods = new Map(session.methods.map((method) => [method.id, method]));
    assert.deepEqual(
      { ...methods.get('usdt@tron-local'), quote: undefined },
      {
        id: 'usdt@tron-local',
        token: 'USDT',
        kind: 'trc20',
        family: 'tron',
        token_address: usdt,
        decimals: 6,
        chain_id: TRON_LOCAL_ID,
        network: 'TRON (local)',
        quote: undefined,
      },
    );
    assert.equal(methods.get('trx@tron-local')?.kind, 'native');
    const buyer = await choose(server.url, session, 'usdt@tron-local');
    const payment = buyer.payment!;
    assert.match(payment.address, /^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    // The merchant's wallet (TronWeb, from its private keys) owns it: one of its first addresses.
    const wallet = Array.from({ length: 10 }, (_, i) =>
      TronWeb.address.fromPrivateKey(Buffer.from(receive.deriveChild(i).privateKey!).toString('hex')),
    );
    assert.ok(wallet.includes(payment.address), `${payment.address} is one of the wallet's addresses`);
    // The QR code holds the bare address: TRON wallets scan that, and no TRON URI is widely honoured.
    assert.equal(payment.uri, payment.address);
    assert.equal(payment.amount_due, '10');
    assert.equal(payment.amount_due_atomic, '10000000');
  });

  test('a USDT transfer is processing until its block is solidified, then paid', async () => {
    const session = await createSession('12.50');
    const { payment } = await choose(server.url, session, 'usdt@tron-local');
    api.setSolid(await head());
    const hash = await sendDevPayment(anvil.rpcUrl, tronAddressToHex(payment!.address), '12.5', {
      address: usdtHex,
      decimals: 6,
    });
    const block = await head();
    // The solidified head stays just below the transfer's block while the chain goes on.
    api.setSolid(block - 1);
    await devClients(anvil.rpcUrl).test.mine({ blocks: 6 });
    const seen = await waitFor(async () => {
      const s = await view(server.url, secretKey, session.id);
      return s.transfers.length ? s : null;
    });
    // Polls go on (the solidity endpoint is asked again) but the count stops below the solid line.
    const asked = api.count('/walletsolidity/getnowblock');
    await waitFor(() => api.count('/walletsolidity/getnowblock') >= asked + 3, 10_000, 'three more polls');
    const held = await view(server.url, secretKey, session.id);
    assert.equal(held.status, 'processing');
    const transfer = held.transfers[0]!;
    assert.equal(transfer.confirmations, 2, 'solid + confirmations − 1 = block + 1: two of three');
    assert.equal(transfer.confirmations_required, 3);
    assert.ok(seen.transfers[0]!.confirmations <= 2);
    // Stored and shown in TRON's spelling: T… addresses, a transaction id without 0x.
    assert.equal(transfer.to, payment!.address);
    assert.equal(transfer.token_address, usdt);
    assert.equal(transfer.from, tronAddressFromHex(devClients(anvil.rpcUrl).account.address));
    assert.equal(transfer.tx_hash, hash.slice(2));
    assert.equal(transfer.amount, '12.5');

    api.setSolid(block);
    const paid = await waitFor(async () => {
      const s = await view(server.url, secretKey, session.id);
      return s.status === 'paid' ? s : null;
    });
    assert.equal(paid.transfers[0]!.confirmations, 3);
  });

  test('TRX is paid in sun to the same kind of address', async () => {
    const session = await createSession('5.00');
    const { payment } = await choose(server.url, session, 'trx@tron-local');
    // 5 USD at 0.25 USD per TRX: 20 TRX, 20 000 000 sun.
    assert.equal(payment!.amount_due_atomic, '20000000');
    const { wallet, public: pub } = devClients(anvil.rpcUrl);
    const hash = await wallet.sendTransaction({
      chain: null,
      to: tronAddressToHex(payment!.address),
      value: 20_000_000n,
    });
    await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    await devClients(anvil.rpcUrl).test.mine({ blocks: 3 });
    api.setSolid(await head());
    const paid = await waitFor(async () => {
      const s = await view(server.url, secretKey, session.id);
      return s.status === 'paid' ? s : null;
    });
    assert.equal(paid.transfers[0]!.token, 'TRX');
    assert.equal(paid.transfers[0]!.amount_atomic, '20000000');
    assert.equal(paid.transfers[0]!.to, payment!.address);
  });

  test('a TRC-10 token sent to a TRX deposit address pays nothing, though the JSON-RPC shows its amount as value', async () => {
    const session = await createSession('5.00');
    const { payment } = await choose(server.url, session, 'trx@tron-local');
    const { wallet, public: pub } = devClients(anvil.rpcUrl);
    // On TRON: 20 000 000 units of a TRC-10 token the buyer issued, not 20 TRX.
    const fake = await wallet.sendTransaction({
      chain: null,
      to: tronAddressToHex(payment!.address),
      value: 20_000_000n,
    });
    api.trc10(fake);
    await pub.waitForTransactionReceipt({ hash: fake, pollingInterval: 50 });
    await devClients(anvil.rpcUrl).test.mine({ blocks: 3 });
    api.setSolid(await head());
    const asked = api.count('/wallet/gettransactionbyid');
    // The watcher's next ticks read its block (solid now): nothing paid.
    const ticks = api.count('/walletsolidity/getnowblock');
    await waitFor(() => api.count('/walletsolidity/getnowblock') >= ticks + 3, 10_000, 'three more ticks');
    const s = await view(server.url, secretKey, session.id);
    assert.equal(s.status, 'open');
    assert.deepEqual(s.transfers, []);
    assert.ok(api.count('/wallet/gettransactionbyid') > asked, 'its contract type was asked');
  });

  test('a fresh watcher whose solidified head lags records where it starts, so a payment mined before the solid line reaches it is seen', async () => {
    // A second backend on an empty database: its watcher has no cursor yet, and the solid line is
    // ten blocks behind the head (as on a real chain, where it is ~19 behind).
    await devClients(anvil.rpcUrl).test.mine({ blocks: 12 });
    const start = await head();
    api.setSolid(start - 10);
    const fresh = await startServer({ ...config, data_dir: 'memory://' }, { logger: testLogger() });
    try {
      const asked = api.count('/walletsolidity/getnowblock');
      await waitFor(() => api.count('/walletsolidity/getnowblock') >= asked + 2, 10_000, 'two ticks');
      const response = await fetch(`${fresh.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: '7.00', currency: 'USD' }),
      });
      const session = (await response.json()) as Session;
      recordSecrets(session.client_secret);
      const { payment } = await choose(fresh.url, session, 'usdt@tron-local');
      await sendDevPayment(anvil.rpcUrl, tronAddressToHex(payment!.address), '7', {
        address: usdtHex,
        decimals: 6,
      });
      // More ticks while the chain goes on and the solid line stays put.
      await devClients(anvil.rpcUrl).test.mine({ blocks: 4 });
      const later = api.count('/walletsolidity/getnowblock');
      await waitFor(() => api.count('/walletsolidity/getnowblock') >= later + 3, 10_000, 'three more ticks');
      api.setSolid(await head());
      const paid = await waitFor(
        async () => {
          const s = await view(fresh.url, secretKey, session.id);
          return s.status === 'paid' ? s : null;
        },
        15_000,
        'the payment seen and paid',
      );
      assert.equal(paid.transfers[0]!.amount, '7');
    } finally {
      await fresh.stop();
    }
  });
});
