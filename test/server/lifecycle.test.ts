import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Address, Hash } from 'viem';
import type { Session, SessionStatus } from '@crypto-checkout/protocol';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { parseConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { startStack, testMerchantWallet, testSecretKey, type Stack } from '../support/stack.js';
import { choose, view, waitFor } from '../support/wait.js';
import { testLogger } from '../support/logs.js';

describe('payment lifecycle on a live anvil chain (2 confirmations, 0.5 % underpayment tolerance)', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ confirmations: 2, config: { underpayment_tolerance_percent: '0.5' } });
  });
  after(() => stack?.stop());

  const get = (id: string) => view(stack.apiUrl, stack.secretKey, id);
  const statusIs = (id: string, status: SessionStatus) =>
    waitFor(
      async () => {
        const s = await get(id);
        return s.status === status ? s : null;
      },
      10_000,
      `session ${id} to be ${status}`,
    );
  const eventTypes = async (id: string) =>
    (await stack.server.app.store.eventsAfter(id, 0)).map((e) => e.type);
  /** A 10 USD session paid in USDC: returns it with its deposit address. */
  async function usdcSession(): Promise<{ session: Session; address: string }> {
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    return { session, address: buyer.payment!.address };
  }
  /**
   * Block timestamps have whole seconds and a transfer mined in the second of the expiry counts as on
   * time: make the next block's timestamp clearly later than now.
   */
  async function nextBlockAfterNow() {
    const { test: anvil, public: pub } = devClients(stack.rpcUrl);
    const latest = await pub.getBlock();
    const now = BigInt(Math.ceil(Date.now() / 1000) + 1);
    await anvil.setNextBlockTimestamp({ timestamp: latest.timestamp >= now ? latest.timestamp + 1n : now });
  }
  /** Pays and mines one more block, so the transfer has its 2 confirmations. */
  async function payConfirmed(address: string, amount: string, token: 'usdc' | 'eth' = 'usdc') {
    const hash = await stack.pay(address, amount, token);
    await stack.mine(1);
    return hash;
  }

  test('paying more than due is overpaid: fulfilled, with the excess recorded for refund', async () => {
    const { session, address } = await usdcSession();
    await payConfirmed(address, '12.5');
    const overpaid = await statusIs(session.id, 'overpaid');
    assert.equal(overpaid.amount_received, '12.5');
    assert.equal(overpaid.amount_overpaid, '2.5');
    assert.equal(overpaid.amount_remaining, '0');
    assert.deepEqual(overpaid.review_reasons, ['overpayment']);
    assert.ok(overpaid.paid_at);
    assert.equal(overpaid.pay_uri, null);
    assert.ok((await eventTypes(session.id)).includes('session.overpaid'));
  });

  test('a shortfall within the underpayment tolerance counts as paid', async () => {
    const { session, address } = await usdcSession();
    await payConfirmed(address, '9.95'); // 0.5 % of 10 = 0.05
    const paid = await statusIs(session.id, 'paid');
    assert.equal(paid.amount_received, '9.95');
    assert.equal(paid.amount_remaining, '0');
    assert.equal(paid.amount_overpaid, '0');
    assert.deepEqual(paid.review_reasons, []);
  });

  test('below the tolerance it is underpaid with the remainder and a pay_uri for exactly that; transfers add up', async () => {
    const { session, address } = await usdcSession();
    assert.match((await get(session.id)).pay_uri!, /uint256=10000000$/);
    await payConfirmed(address, '4');
    let underpaid = await statusIs(session.id, 'underpaid');
    assert.equal(underpaid.amount_received, '4');
    assert.equal(underpaid.amount_remaining, '6');
    assert.match(underpaid.pay_uri!, new RegExp(`transfer\\?address=${address}&uint256=6000000$`));
    await payConfirmed(address, '3');
    underpaid = await waitFor(async () => {
      const s = await get(session.id);
      return s.amount_received === '7' ? s : null;
    });
    assert.equal(underpaid.status, 'underpaid');
    assert.equal(underpaid.amount_remaining, '3');
    await payConfirmed(address, '3');
    const paid = await statusIs(session.id, 'paid');
    assert.equal(paid.transfers.length, 3);
    assert.equal(paid.amount_received, '10');
    assert.ok(paid.transfers.every((t) => t.expected && t.confirmed && !t.late));
  });

  test('expired with nothing received: expired, nothing to review, no address to pay to', async () => {
    const { session } = await usdcSession();
    await stack.expire(session.id);
    const expired = await statusIs(session.id, 'expired');
    assert.deepEqual(expired.review_reasons, []);
    assert.equal(expired.amount_received, '0');
    assert.equal(expired.pay_uri, null);
  });

  test('expired after a partial payment is flagged partial_payment with the amount still missing', async () => {
    const { session, address } = await usdcSession();
    await payConfirmed(address, '4');
    await statusIs(session.id, 'underpaid');
    await stack.expire(session.id);
    const expired = await statusIs(session.id, 'expired');
    assert.deepEqual(expired.review_reasons, ['partial_payment']);
    assert.equal(expired.amount_received, '4');
    assert.equal(expired.amount_remaining, '6');
    assert.equal(expired.pay_uri, null);
  });

  test('a full payment after expiry is paid_late and flagged late_payment, not fulfilled', async () => {
    const { session, address } = await usdcSession();
    await stack.expire(session.id);
    await statusIs(session.id, 'expired');
    await nextBlockAfterNow();
    await payConfirmed(address, '10');
    const late = await statusIs(session.id, 'paid_late');
    assert.deepEqual(late.review_reasons, ['late_payment']);
    assert.equal(late.transfers.length, 1);
    assert.equal(late.transfers[0]!.late, true);
    assert.equal(late.amount_received, '10');
    const types = await eventTypes(session.id);
    assert.deepEqual(types.slice(0, 3), ['session.open', 'session.updated', 'session.expired']);
    assert.equal(types.at(-1), 'session.paid_late');
    assert.ok(!types.includes('session.paid'), types.join());
  });

  test('partial, expired, then topped up after expiry: paid_late with both transfers', async () => {
    const { session, address } = await usdcSession();
    await payConfirmed(address, '4');
    await statusIs(session.id, 'underpaid');
    await stack.expire(session.id);
    await statusIs(session.id, 'expired');
    await nextBlockAfterNow();
    await payConfirmed(address, '6');
    const late = await statusIs(session.id, 'paid_late');
    assert.deepEqual(
      late.transfers.map((t) => [t.amount, t.late]),
      [
        ['4', false],
        ['6', true],
      ],
    );
    assert.deepEqual(late.review_reasons, ['late_payment']);
  });

  test('the native coin sent to a USDC address is recorded and flagged, and does not count', async () => {
    const { session, address } = await usdcSession();
    const hash = await payConfirmed(address, '0.01', 'eth');
    const flagged = await waitFor(async () => {
      const s = await get(session.id);
      return s.transfers.length === 1 && s.transfers[0]!.confirmed ? s : null;
    });
    assert.equal(flagged.status, 'open');
    assert.deepEqual(flagged.review_reasons, ['unexpected_asset']);
    const [transfer] = flagged.transfers;
    assert.equal(transfer!.tx_hash, hash);
    assert.equal(transfer!.token, 'ETH');
    assert.equal(transfer!.token_address, null);
    assert.equal(transfer!.amount, '0.01');
    assert.equal(transfer!.expected, false);
    assert.equal(flagged.amount_received, '0');
    // The right token still pays it.
    await payConfirmed(address, '10');
    const paid = await statusIs(session.id, 'paid');
    assert.deepEqual(paid.review_reasons, ['unexpected_asset']);
  });

  test('a second payment after paid turns the session overpaid', async () => {
    const { session, address } = await usdcSession();
    await payConfirmed(address, '10');
    await statusIs(session.id, 'paid');
    await payConfirmed(address, '10');
    const overpaid = await statusIs(session.id, 'overpaid');
    assert.equal(overpaid.amount_overpaid, '10');
    assert.deepEqual(overpaid.review_reasons, ['overpayment']);
  });

  describe('POST /v1/sessions/:id/cancel', () => {
    const cancel = (id: string, token = stack.secretKey) =>
      fetch(`${stack.apiUrl}/v1/sessions/${id}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });

    test('cancels a session with nothing received; canceling again answers the same', async () => {
      const { session } = await usdcSession();
      const response = await cancel(session.id);
      assert.equal(response.status, 200);
      const canceled = (await response.json()) as Session;
      assert.equal(canceled.status, 'canceled');
      assert.ok(canceled.canceled_at);
      assert.equal(canceled.pay_uri, null);
      const again = await cancel(session.id);
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as Session).canceled_at, canceled.canceled_at);
      assert.deepEqual(await eventTypes(session.id), ['session.open', 'session.updated', 'session.canceled']);
    });

    test('a payment after cancellation is recorded and flagged late_payment and canceled_with_payment; the session stays canceled', async () => {
      const { session, address } = await usdcSession();
      assert.equal((await cancel(session.id)).status, 200);
      await nextBlockAfterNow();
      await payConfirmed(address, '10');
      const flagged = await waitFor(async () => {
        const s = await get(session.id);
        return s.transfers.length === 1 && s.transfers[0]!.confirmed ? s : null;
      });
      assert.equal(flagged.status, 'canceled');
      assert.deepEqual(flagged.review_reasons, ['late_payment', 'canceled_with_payment']);
      assert.equal(flagged.transfers[0]!.late, true);
    });

    test('a session that received anything cannot be canceled: 409 session_not_cancelable', async () => {
      const { session, address } = await usdcSession();
      await stack.pay(address, '1');
      await waitFor(async () => (await get(session.id)).transfers.length === 1);
      const response = await cancel(session.id);
      assert.equal(response.status, 409);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'session_not_cancelable');
      assert.match(body.error.message, /refund/);
      assert.notEqual((await get(session.id)).status, 'canceled');
    });

    test('the client secret cannot cancel (403); an unknown session is 404', async () => {
      const { session } = await usdcSession();
      assert.equal((await cancel(session.id, session.client_secret)).status, 403);
      assert.equal((await get(session.id)).status, 'open');
      assert.equal((await cancel('cs_unknown0000000000000000')).status, 404);
    });
  });

  describe('reorganisations', () => {
    test('a payment whose block is reorganised away is removed and the session reverts to open, never paid', async () => {
      const { test: anvil, public: pub } = devClients(stack.rpcUrl);
      const { session, address } = await usdcSession();
      const snapshot = await anvil.snapshot();
      const hash = await stack.pay(address, '10');
      const processing = await statusIs(session.id, 'processing');
      assert.equal(processing.transfers[0]!.tx_hash, hash);
      assert.equal(processing.transfers[0]!.confirmations, 1);

      // Drop the block with the payment and build a longer chain without it.
      await anvil.revert({ id: snapshot });
      await anvil.mine({ blocks: 3 });
      const reverted = await statusIs(session.id, 'open');
      assert.deepEqual(reverted.transfers, []);
      assert.equal(reverted.paid_at, null);
      assert.equal(await pub.getTransactionReceipt({ hash: hash as Hash }).catch(() => null), null);
      const types = await eventTypes(session.id);
      assert.ok(!types.includes('session.paid'), types.join());
      assert.deepEqual(types.slice(-2), ['session.processing', 'session.open']);

      // The chain goes on: a new payment on the new chain pays it.
      await payConfirmed(address, '10');
      const paid = await statusIs(session.id, 'paid');
      assert.equal(paid.transfers.length, 1);
      assert.notEqual(paid.transfers[0]!.tx_hash, hash);
    });

    test('a reorg that replaces blocks at the same height is noticed by block hash', async () => {
      const { test: anvil } = devClients(stack.rpcUrl);
      const { session, address } = await usdcSession();
      const snapshot = await anvil.snapshot();
      await stack.pay(address, '10');
      await statusIs(session.id, 'processing');
      // Same height as before, other hashes: only the stored block hash can tell.
      await anvil.revert({ id: snapshot });
      await anvil.mine({ blocks: 1 });
      const reverted = await statusIs(session.id, 'open');
      assert.deepEqual(reverted.transfers, []);
    });
  });
});

describe('a payment on the wrong network', () => {
  let chainA: Anvil;
  let chainB: Anvil;
  let server: RunningServer;
  let usdcB: Address;
  const secretKey = testSecretKey();

  before(async () => {
    chainA = await startAnvil();
    chainB = await startAnvil({ args: ['--chain-id', '31338'] });
    const usdcA = await deployTestToken(chainA.rpcUrl);
    usdcB = await deployTestToken(chainB.rpcUrl);
    const chain = (key: string, id: number, name: string, rpcUrl: string, usdc: string) => ({
      key,
      id,
      name,
      rpc_url: rpcUrl,
      confirmations: 1,
      polling_interval_ms: 100,
      tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' as const }],
    });
    const config = parseConfig({
      port: 0,
      data_dir: 'memory://',
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        chain('anvil', 31337, 'Anvil A', chainA.rpcUrl, usdcA),
        chain('anvil-b', 31338, 'Anvil B', chainB.rpcUrl, usdcB),
      ],
      log_level: 'warn',
    });
    server = await startServer(config, { logger: testLogger() });
  });
  after(async () => {
    await server?.stop();
    await chainA?.stop();
    await chainB?.stop();
  });

  test('USDC sent on another configured network to the address is recorded with that network and flagged', async () => {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '10.00', currency: 'USD', methods: ['usdc@anvil'] }),
    });
    const session = (await response.json()) as Session;
    const buyer = await choose(server.url, session, 'usdc@anvil');
    const address = buyer.payment!.address as Address;
    const hash = await sendDevPayment(chainB.rpcUrl, address, '10', { address: usdcB, decimals: 6 });
    const flagged = await waitFor(async () => {
      const s = await view(server.url, secretKey, session.id);
      return s.transfers.length === 1 && s.transfers[0]!.confirmed ? s : null;
    });
    assert.equal(flagged.status, 'open');
    assert.deepEqual(flagged.review_reasons, ['unexpected_asset']);
    const [transfer] = flagged.transfers;
    assert.equal(transfer!.tx_hash, hash);
    assert.equal(transfer!.chain_id, 31338);
    assert.equal(transfer!.network, 'Anvil B');
    assert.equal(transfer!.token, 'USDC');
    assert.equal(transfer!.expected, false);
    assert.equal(flagged.amount_received, '0');
  });
});
