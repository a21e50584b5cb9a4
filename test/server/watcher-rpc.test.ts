import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPublicClient, custom, http, type Address, type EIP1193RequestFn } from 'viem';
import { startChainWatcher, type ChainWatcher } from '../../packages/server/src/chain/evm/chain-watcher.js';
import type { ChainConfig } from '../../packages/server/src/config.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { testTokenAbi } from '../support/contracts/test-token.js';
import { buildTestApp, FAKE_USDC, type TestApp } from '../support/app.js';
import { insertOpenPayments } from '../support/bulk.js';
import { waitFor } from '../support/wait.js';
import { testLogger } from '../support/logs.js';

const CHAIN_ID = 31337;

describe('chain watcher RPC usage on a live anvil chain', () => {
  let anvil: Anvil;
  let app: TestApp;
  const watchers: ChainWatcher[] = [];

  before(async () => {
    anvil = await startAnvil();
    const usdc = await deployTestToken(anvil.rpcUrl); // the dev account's first contract: FAKE_USDC
    assert.equal(usdc.toLowerCase(), FAKE_USDC);
    app = await buildTestApp({
      chains: [
        {
          key: 'anvil',
          id: CHAIN_ID,
          name: 'Anvil (local)',
          rpc_url: anvil.rpcUrl,
          ws_url: anvil.wsUrl,
          confirmations: 1,
          // Polling is made too slow to matter: each test drives or wakes the watcher itself.
          polling_interval_ms: 600_000,
          tokens: [{ symbol: 'USDC', address: FAKE_USDC, decimals: 6, peg: 'USD' }],
        },
      ],
    });
  });
  after(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await app?.close();
    await anvil?.stop();
  });

  /** A public client that counts the JSON-RPC calls made through it, by method. */
  function countingClient() {
    const inner = http(anvil.rpcUrl)({ retryCount: 0 });
    const calls = new Map<string, number>();
    const request = ((args: { method: string; params?: unknown }) => {
      calls.set(args.method, (calls.get(args.method) ?? 0) + 1);
      return inner.request(args as never);
    }) as EIP1193RequestFn;
    const client = createPublicClient({ transport: custom({ request }) });
    return { client, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
  }

  /** A session paying 1 USDC (or 0.0005 ETH) with its deposit address. */
  async function openPayment(method: 'usdc@anvil' | 'eth@anvil') {
    const session = await app.createSession({ amount: '1.50' });
    const buyer = await app.sessions.choosePayment(session.id, method);
    return { id: session.id, address: buyer.payment!.address as Address };
  }

  test('RPC calls per block do not grow with the number of open payments', async () => {
    const counter = countingClient();
    const chain: ChainConfig = { ...app.config.chains[0]!, ws_url: undefined };
    const watcher = startChainWatcher({
      chain,
      sessions: app.sessions,
      logger: testLogger() || console,
      client: counter.client as never,
    });
    watchers.push(watcher);
    await waitFor(
      async () => (await app.store.getCursor(app.store.db, CHAIN_ID)) !== null,
      10_000,
      'first tick',
    );
    const usdcPayment = await openPayment('usdc@anvil');
    const ethPayment = await openPayment('eth@anvil');

    /** Mines `blocks` blocks, each with one USDC and one ETH payment, syncing after each. */
    async function callsPerBlock(
      blocks: number,
    ): Promise<{ total: number; byMethod: Record<string, number> }> {
      await watcher.syncOnce();
      counter.calls.clear();
      for (let i = 0; i < blocks; i++) {
        const { test: anvilClient, wallet } = devClients(anvil.rpcUrl);
        await anvilClient.setAutomine(false);
        await wallet.writeContract({
          address: FAKE_USDC,
          abi: testTokenAbi,
          functionName: 'transfer',
          args: [usdcPayment.address, 10_000n],
        });
        await wallet.sendTransaction({ to: ethPayment.address, value: 1_000_000_000n });
        await anvilClient.mine({ blocks: 1 });
        await anvilClient.setAutomine(true);
        await watcher.syncOnce();
      }
      return {
        total: counter.total() / blocks,
        byMethod: Object.fromEntries([...counter.calls].map(([m, n]) => [m, n / blocks])),
      };
    }

    const few = await callsPerBlock(3);
    await insertOpenPayments(app.store.db, { count: 5_000, chainId: CHAIN_ID, tokenAddress: FAKE_USDC });
    const many = await callsPerBlock(3);
    console.log(`RPC calls per block: 2 open payments ${JSON.stringify(few)}; 5002 ${JSON.stringify(many)}`);
    assert.deepEqual(many, few);
    // One head, one cursor check, one full block, one log query, one header, one receipt per match.
    assert.ok(few.total <= 8, `calls per block: ${few.total}`);
    const stored = (await app.sessions.load(usdcPayment.id))!.transfers;
    assert.equal(stored.length, 6);
    assert.equal((await app.sessions.load(ethPayment.id))!.transfers.length, 6);
  });

  test('a newHeads subscription wakes the watcher as soon as a block arrives (polling every 10 min)', async () => {
    const watcher = startChainWatcher({
      chain: app.config.chains[0]!,
      sessions: app.sessions,
      logger: testLogger() || console,
    });
    watchers.push(watcher);
    // The subscription opens asynchronously: mine empty blocks until the cursor follows the head,
    // which with 10-minute polling only the subscription can make happen.
    const { test: anvilClient, public: pub } = devClients(anvil.rpcUrl);
    await waitFor(
      async () => {
        await anvilClient.mine({ blocks: 1 });
        const head = Number(await pub.getBlockNumber({ cacheTime: 0 }));
        await new Promise((resolve) => setTimeout(resolve, 200));
        return (await app.store.getCursor(app.store.db, CHAIN_ID)) === head;
      },
      10_000,
      'the subscription to wake the watcher',
    );
    const payment = await openPayment('usdc@anvil');
    const started = Date.now();
    await sendDevPayment(anvil.rpcUrl, payment.address, '1.5', { address: FAKE_USDC, decimals: 6 });
    await waitFor(
      async () => (await app.sessions.load(payment.id))!.session.status === 'paid',
      5_000,
      'paid through the subscription',
    );
    console.log(`mined → paid through newHeads: ${Date.now() - started} ms`);
  });
});
