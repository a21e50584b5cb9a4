/**
 * Money is never left unflagged: a cancel racing a payment, on a real anvil node. The watcher is
 * driven by hand (`syncOnce`), so each test decides exactly what the server has seen when the
 * merchant cancels — a transfer still pending, mined but not yet seen, mined after the cancel — and
 * the server's clock is set ahead of the chain in some rounds, so that block timestamps fall in or
 * before the second of the cancel (the case that used to leave a canceled session with money, no
 * review reason and no webhook).
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createPublicClient, http, parseUnits, type Address } from 'viem';
import type { Session, SessionList } from '@crypto-checkout/protocol';
import { chainHeadReader } from '../../packages/server/src/chain/evm/chain-head.js';
import { startChainWatcher, type ChainWatcher } from '../../packages/server/src/chain/evm/chain-watcher.js';
import { buildTestApp, FAKE_USDC, type TestApp } from '../support/app.js';
import { deployTestToken, devClients, freePort, startAnvil, type Anvil } from '../support/chain.js';
import { testTokenAbi } from '../support/contracts/test-token.js';
import { testLogger } from '../support/logs.js';

const CHAIN_ID = 31337;

describe('a cancel racing a payment on anvil: the money is always flagged', () => {
  let anvil: Anvil;
  let app: TestApp;
  let watcher: ChainWatcher;
  /** How far the server's clock runs ahead of the real one (and so of block timestamps), in ms. */
  let skewMs = 0;

  before(async () => {
    anvil = await startAnvil();
    // The dev account's first contract on a fresh node: the address the test configuration names.
    assert.equal((await deployTestToken(anvil.rpcUrl)).toLowerCase(), FAKE_USDC);
    app = await buildTestApp(
      {
        chains: [
          {
            key: 'anvil',
            id: CHAIN_ID,
            name: 'Anvil (local)',
            rpc_url: anvil.rpcUrl,
            confirmations: 1,
            tokens: [{ symbol: 'USDC', address: FAKE_USDC, decimals: 6, peg: 'USD' }],
          },
        ],
      },
      { clock: () => new Date(Date.now() + skewMs) },
    );
    // Driven by hand: the loop is stopped after its first tick, `syncOnce` is the watcher seeing blocks.
    watcher = startChainWatcher({
      chain: app.config.chains[0]!,
      sessions: app.sessions,
      logger: testLogger() || pino({ level: 'warn' }),
    });
    await watcher.stop();
  });
  after(async () => {
    await devClients(anvil.rpcUrl).test.setAutomine(true);
    await app?.close();
    await anvil?.stop();
  });

  /** The node's clients, as the development payer. */
  const clients = () => devClients(anvil.rpcUrl);
  const node = {
    setAutomine: (on: boolean) => clients().test.setAutomine(on),
    mine: (blocks: number) => clients().test.mine({ blocks }),
  };
  const mined = (hash: `0x${string}`) =>
    clients().public.waitForTransactionReceipt({ hash, pollingInterval: 50 });

  /** A 5 USD session paid in USDC, its method chosen: the session and its deposit address. */
  async function usdcSession(): Promise<{ id: string; address: Address }> {
    const session = await app.createSession({ amount: '5.00' });
    const buyer = await app.sessions.choosePayment(session.id, 'usdc@anvil');
    return { id: session.id, address: buyer.payment!.address as Address };
  }
  /** Sends `amount` USDC to `to` and returns the hash without waiting for a block. */
  function send(to: Address, amount: string) {
    return clients().wallet.writeContract({
      chain: null,
      address: FAKE_USDC as Address,
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [to, parseUnits(amount, 6)],
    });
  }
  async function cancel(id: string): Promise<Session> {
    const response = await app.server.inject({
      method: 'POST',
      url: `/v1/sessions/${id}/cancel`,
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }
  async function merchantView(id: string): Promise<Session> {
    const response = await app.server.inject({
      url: `/v1/sessions/${id}`,
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    return response.json();
  }
  async function reviewList(): Promise<string[]> {
    const response = await app.server.inject({
      url: '/v1/sessions?review=true&limit=100',
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as SessionList).data.map((s) => s.id);
  }
  const webhookTypes = async (id: string) =>
    (await app.webhooks.store.eventsOfSession(app.store.db, id)).map((e) => e.type);
  /** What every round must end with: money shown, flagged, listed for review, announced once. */
  async function assertFlagged(id: string, amount: string, reasons: string[], late: boolean) {
    const s = await merchantView(id);
    assert.equal(s.status, 'canceled');
    assert.equal(s.amount_received, amount);
    assert.deepEqual(s.review_reasons, reasons);
    assert.deepEqual(
      s.transfers.map((t) => t.late),
      [late],
    );
    assert.ok((await reviewList()).includes(id), 'listed by ?review=true');
    assert.deepEqual(await webhookTypes(id), ['session.canceled', 'session.needs_review']);
    const events = await app.webhooks.store.eventsOfSession(app.store.db, id);
    const body = JSON.parse(events[1]!.body) as { data: Session };
    assert.deepEqual(body.data.review_reasons, reasons, 'the webhook carries the reasons');
    return s;
  }

  // Rounds of each ordering, with the server's clock at, or ahead of, the chain's.
  for (const [round, skew] of [0, 2_500, 0, 1_000, 60_000].entries()) {
    test(`round ${round + 1} (clock +${skew} ms): sent, canceled, then mined — after the cancel: late, flagged`, async () => {
      skewMs = skew;
      let sameSecond: boolean;
      const { id, address } = await usdcSession();
      await watcher.syncOnce();
      await node.setAutomine(false);
      try {
        await send(address, round % 2 ? '2' : '5'); // in the mempool: no block yet
        const canceled = await cancel(id);
        assert.equal(canceled.status, 'canceled');
        assert.deepEqual(canceled.review_reasons, []);
        // Mine it in the very second of the cancel when the chain is not past it already: the block's
        // whole-second timestamp then reads as earlier than the cancel.
        const second = BigInt(Math.floor(Date.parse(canceled.canceled_at!) / 1000));
        sameSecond = second > (await clients().public.getBlock()).timestamp;
        if (sameSecond) await clients().test.setNextBlockTimestamp({ timestamp: second });
        await node.mine(1);
      } finally {
        await node.setAutomine(true);
      }
      await watcher.syncOnce();
      const s = await assertFlagged(
        id,
        round % 2 ? '2' : '5',
        ['late_payment', 'canceled_with_payment'],
        true,
      );
      if (sameSecond) {
        assert.equal(
          Math.floor(Date.parse(s.transfers[0]!.block_time) / 1000),
          Math.floor(Date.parse(s.canceled_at!) / 1000),
        );
        assert.ok(
          s.transfers[0]!.block_time <= s.canceled_at!,
          'by its timestamp, the block is not after the cancel',
        );
      }
      // More blocks (more confirmations) announce nothing new.
      await node.mine(2);
      await watcher.syncOnce();
      assert.equal((await webhookTypes(id)).length, 2);
    });

    test(`round ${round + 1} (clock +${skew} ms): mined, then canceled before the watcher saw it — before the cancel: flagged`, async () => {
      skewMs = skew;
      const { id, address } = await usdcSession();
      await watcher.syncOnce();
      const hash = await send(address, '5');
      await mined(hash); // mined, not yet seen
      assert.equal((await cancel(id)).status, 'canceled'); // nothing recorded yet: the cancel goes ahead
      await watcher.syncOnce();
      await assertFlagged(id, '5', ['canceled_with_payment'], false);
    });
  }

  test('a session canceled without a method records no chain position and stays unflagged', async () => {
    skewMs = 0;
    const session = await app.createSession({ amount: '5.00' });
    const canceled = await cancel(session.id);
    assert.deepEqual(canceled.review_reasons, []);
    assert.equal((await app.store.loadBundle(app.store.db, session.id))!.session.canceled_at_block, null);
    assert.ok(!(await reviewList()).includes(session.id));
    assert.deepEqual(await webhookTypes(session.id), ['session.canceled']);
  });

  test("the head reader answers the node's block number, and null for a node that does not answer or an unknown chain", async () => {
    const chain = app.config.chains[0]!;
    const head = Number(await clients().public.getBlockNumber({ cacheTime: 0 }));
    assert.equal(await chainHeadReader([chain])(CHAIN_ID), head);
    assert.equal(await chainHeadReader([chain])(1), null);
    const closed = { ...chain, rpc_url: `http://127.0.0.1:${await freePort()}` };
    assert.equal(await chainHeadReader([closed], 500)(CHAIN_ID), null);
  });

  test("with the node unreachable at the cancel, the watcher's block orders it: a transfer it had not reached counts as after, and is flagged", async () => {
    skewMs = 0;
    // The server's own RPC URL answers nothing; its watcher reads the chain through a client of its own.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const offline = await buildTestApp({ chains: [{ ...app.config.chains[0]!, rpc_url: closed }] });
    try {
      const chain = offline.config.chains[0]!;
      const client = createPublicClient({ transport: http(anvil.rpcUrl) });
      const seer = startChainWatcher({
        chain,
        sessions: offline.sessions,
        logger: testLogger() || pino({ level: 'warn' }),
        client,
      });
      await seer.stop();
      const session = await offline.createSession({ amount: '5.00' });
      const buyer = await offline.sessions.choosePayment(session.id, 'usdc@anvil');
      await seer.syncOnce();
      const cursor = await offline.store.getCursor(offline.store.db, CHAIN_ID);
      await mined(await send(buyer.payment!.address as Address, '5')); // mined, not seen
      const canceled = await offline.sessions.cancel(session.id);
      assert.equal(canceled.status, 'canceled');
      assert.equal(
        (await offline.store.loadBundle(offline.store.db, session.id))!.session.canceled_at_block,
        cursor,
      );
      await seer.syncOnce();
      const s = (await offline.sessions.load(session.id))!;
      const view = offline.sessions.merchantView(s);
      assert.equal(view.status, 'canceled');
      assert.equal(view.amount_received, '5');
      assert.deepEqual(view.review_reasons, ['late_payment', 'canceled_with_payment']);
      assert.equal(view.transfers[0]!.late, true);
      assert.deepEqual(
        (await offline.webhooks.store.eventsOfSession(offline.store.db, session.id)).map((e) => e.type),
        ['session.canceled', 'session.needs_review'],
      );
    } finally {
      await offline.close();
    }
  });

  test('partly paid, then expired: partial_payment, listed for review, session.expired then session.needs_review', async () => {
    skewMs = 0;
    const { id, address } = await usdcSession();
    const hash = await send(address, '2');
    await mined(hash);
    await watcher.syncOnce();
    assert.equal((await merchantView(id)).status, 'underpaid');
    await app.store.setExpiresAt(id, new Date()); // after the transfer was seen: it came in time
    await app.sessions.expireDue();
    const s = await merchantView(id);
    assert.equal(s.status, 'expired');
    assert.equal(s.amount_received, '2');
    assert.deepEqual(s.review_reasons, ['partial_payment']);
    assert.ok((await reviewList()).includes(id));
    assert.deepEqual(await webhookTypes(id), [
      'session.underpaid',
      'session.expired',
      'session.needs_review',
    ]);
  });
});
