/**
 * The payout key as the server runs it (composition): with `payouts.key` and `payouts.daily_limit`
 * configured, the chain's leader sends approved ERC-20 payouts by itself and the confirmer confirms
 * them; one over the limit waits with its reason in `GET /v1/payouts/:id`. The restart and
 * rolling-window cases are in forwarder-sweep.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEther, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Payout } from '@crypto-checkout/protocol';
import { mintTo, sendCoinTo, tokenBalance } from '../support/forwarders.js';
import { recordSecrets } from '../support/logs.js';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, waitFor } from '../support/wait.js';

describe('payout key: the server sends approved payouts within the daily limit', () => {
  let stack: Stack;
  let miner: NodeJS.Timeout | undefined;
  const payoutKey = generatePrivateKey();
  recordSecrets(payoutKey);
  const hot = privateKeyToAccount(payoutKey).address;

  before(async () => {
    stack = await startStack({
      config: { payouts: { key: payoutKey, daily_limit: { 'usdc@anvil': '15' } } },
    });
    await mintTo(stack.rpcUrl, stack.usdc, [hot], [30_000_000n]);
    await sendCoinTo(stack.rpcUrl, [hot], [parseEther('1')]);
    // The float reached the key's address from the treasury: a sweep in the ledger, so that payouts
    // have an available balance to reserve.
    const { ledger } = stack.server.app.treasury;
    await ledger.transaction((tx) =>
      ledger.recordSweep(tx, {
        livemode: false,
        asset: 'usdc@anvil',
        from: privateKeyToAccount(generatePrivateKey()).address,
        to: hot,
        amount_atomic: 30_000_000n,
        tx_hash: `0x${'11'.repeat(32)}`,
        log_index: 0,
        at: new Date(),
      }),
    );
    miner = setInterval(() => void stack.mine(1).catch(() => undefined), 100);
  });
  after(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  test('one payout is sent and confirmed; the next, over the 15 USDC limit, waits with its reason', async () => {
    const destinations = [0, 1].map(() => privateKeyToAccount(generatePrivateKey()).address);
    const { data } = await callApi<{ data: Payout[] }>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts', {
      payouts: destinations.map((destination, i) => ({
        destination,
        asset: 'usdc@anvil',
        amount: '10',
        reference: `key-${i}`,
      })),
    });
    const get = (id: string) => callApi<Payout>(stack.apiUrl, stack.secretKey, 'GET', `/v1/payouts/${id}`);
    const settled = await waitFor(
      async () => {
        const list = await Promise.all(data.map((p) => get(p.id)));
        const confirmed = list.filter((p) => p.status === 'confirmed');
        const waiting = list.filter((p) => p.status === 'approved' && p.waiting_reason);
        return confirmed.length === 1 && waiting.length === 1 ? { confirmed, waiting } : null;
      },
      30_000,
      'one payout confirmed, one waiting',
    );
    assert.match(
      settled.waiting[0]!.waiting_reason!,
      /^daily limit: 10 of 15 sent in the last 24 h, 10 more/,
    );
    assert.equal(settled.confirmed[0]!.waiting_reason, null);
    assert.equal(
      await tokenBalance(stack.rpcUrl, stack.usdc, settled.confirmed[0]!.destination as Address),
      10_000_000n,
    );
    assert.equal(
      await tokenBalance(stack.rpcUrl, stack.usdc, settled.waiting[0]!.destination as Address),
      0n,
    );
    assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, hot), 20_000_000n);
  });
});
