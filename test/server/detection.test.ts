/**
 * Detection by subscription (docs/performance.md → Detection): a chain whose node serves WebSocket is
 * watched through a `newHeads` subscription, so a payment is seen as soon as its block is announced,
 * not at the next poll; when the socket cannot be opened the watcher polls, and says which it does in
 * `GET /ready`. Real anvil, real backend on PGlite.
 * @module
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Session } from '@crypto-checkout/protocol';
import type { ReadinessReport } from '../../packages/server/src/readiness.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  watchNewHeads,
  webSocketUrlFor,
  type DetectionMode,
} from '../../packages/server/src/chain/evm/new-heads.js';
import { devClients, freePort, startAnvil } from '../support/chain.js';
import { startStack, type Stack } from '../support/stack.js';
import { choose, view, waitFor } from '../support/wait.js';

/** Far longer than any wait below: a payment seen in time was not seen by polling. */
const SLOW_POLLING_MS = 60_000;

const detection = async (stack: Stack) => {
  const report = (await (await fetch(`${stack.apiUrl}/ready`)).json()) as ReadinessReport;
  return report.chains[0]!.detection;
};
const statusIs = (stack: Stack, id: string, status: Session['status']) => async () =>
  (await view(stack.apiUrl, stack.secretKey, id)).status === status;

describe('the WebSocket URL of a chain', () => {
  test('is ws_url when set, derived from the RPC URL only for a node on this machine', () => {
    assert.equal(
      webSocketUrlFor({ rpc_url: 'https://rpc.example', ws_url: 'wss://ws.example/k' }),
      'wss://ws.example/k',
    );
    assert.equal(webSocketUrlFor({ rpc_url: 'http://127.0.0.1:8545' }), 'ws://127.0.0.1:8545/');
    assert.equal(webSocketUrlFor({ rpc_url: 'http://localhost:8545/rpc' }), 'ws://localhost:8545/rpc');
    assert.equal(webSocketUrlFor({ rpc_url: 'https://[::1]:8545' }), 'wss://[::1]:8545/');
    assert.equal(webSocketUrlFor({ rpc_url: 'https://mainnet.example/v2/key' }), null);
  });
});

describe('the newHeads subscription', () => {
  test('falls back to polling when the node goes away and subscribes again when it is back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-new-heads-'));
    const state = join(dir, 'chain.json');
    let anvil = await startAnvil({ state });
    const modes: DetectionMode[] = [];
    const heads: number[] = [];
    const watch = watchNewHeads({
      url: anvil.wsUrl,
      onHead: (n) => heads.push(n),
      onModeChange: (mode) => modes.push(mode),
      minReconnectMs: 50,
    });
    try {
      await waitFor(() => watch.mode() === 'subscription', 10_000, 'the subscription');
      await devClients(anvil.rpcUrl).test.mine({ blocks: 1 });
      await waitFor(() => heads.length === 1, 10_000, 'the first head');

      await anvil.stop();
      await waitFor(() => watch.mode() === 'polling', 10_000, 'polling once the node is gone');
      anvil = await startAnvil({ port: anvil.port, state });
      await waitFor(() => watch.mode() === 'subscription', 20_000, 'the subscription again');
      await devClients(anvil.rpcUrl).test.mine({ blocks: 1 });
      await waitFor(() => heads.length === 2, 10_000, 'a head after reconnecting');
      assert.equal(heads[1], heads[0]! + 1);
      assert.deepEqual(modes, ['subscription', 'polling', 'subscription']);
    } finally {
      watch.close();
      await anvil.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('payment detection on a live anvil chain', () => {
  const stacks: Stack[] = [];
  after(async () => {
    for (const stack of stacks) await stack.stop();
  });

  test('with polling every 60 s, a payment is seen through the newHeads subscription (derived URL)', async () => {
    const stack = await startStack({ confirmations: 1, chain: { polling_interval_ms: SLOW_POLLING_MS } });
    stacks.push(stack);
    await waitFor(async () => (await detection(stack)) === 'subscription', 10_000, 'the subscription');

    for (const token of ['usdc', 'eth'] as const) {
      const session = await stack.createSession();
      const buyer = await choose(stack.apiUrl, session, `${token}@anvil`);
      await stack.pay(buyer.payment!.address, buyer.payment!.amount_due!, token);
      // Well under the polling interval: only the subscription can have woken the watcher.
      await waitFor(statusIs(stack, session.id, 'paid'), 10_000, `${token} payment seen by subscription`);
    }
  });

  test('with the WebSocket refused, the watcher polls, says so in /ready, and still sees payments', async () => {
    const stack = await startStack({
      confirmations: 1,
      chain: { polling_interval_ms: 200, ws_url: `ws://127.0.0.1:${await freePort()}` },
    });
    stacks.push(stack);
    assert.equal(await detection(stack), 'polling');
    const session = await stack.createSession();
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    await stack.pay(buyer.payment!.address, buyer.payment!.amount_due!);
    await waitFor(statusIs(stack, session.id, 'paid'), 10_000, 'payment seen by polling');
    assert.equal(await detection(stack), 'polling');
  });
});
