/**
 * A forwarder sweep confirmed and then reorganised away: its rows go back to pending, the ledger gets
 * compensating `sweep` and `fee` entries (nothing rewritten), `reconcile` agrees with the chain at
 * once; the relayer broadcasts it again and, mined again, it is recorded again — once. A `["*"]`
 * endpoint (a real HTTP receiver) gets each step as a signed sweep webhook: submitted, confirmed,
 * reversed, confirmed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEther, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { Webhook } from 'standardwebhooks';
import {
  sweepWebhookPayloadSchema,
  type LedgerEntry,
  type SweepWebhookPayload,
  type WebhookEndpointWithSecret,
} from '@crypto-checkout/protocol';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';
import { ensureForwarderFactory } from '../../packages/server/src/treasury/forwarder-factory.js';
import { createForwarderSweeper } from '../../packages/server/src/treasury/sweeper-clients.js';
import { devClients } from '../support/chain.js';
import { sendCoinTo, tokenBalance } from '../support/forwarders.js';
import { recordSecrets } from '../support/logs.js';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

describe('a forwarder sweep reorganised away after it was confirmed', () => {
  let stack: Stack;
  let receiver: Receiver;
  let endpoint: WebhookEndpointWithSecret;
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  const relayerKey = generatePrivateKey();
  recordSecrets(relayerKey);

  before(async () => {
    stack = await startStack({
      confirmations: 1,
      chain: { deposit_mode: 'forwarder', treasury_address: treasury },
      config: { webhooks: { poll_interval_ms: 50 } } as never,
    });
    await sendCoinTo(stack.rpcUrl, [privateKeyToAccount(relayerKey).address], [parseEther('1')]);
    receiver = await startReceiver();
    endpoint = await callApi<WebhookEndpointWithSecret>(
      stack.apiUrl,
      stack.secretKey,
      'POST',
      '/v1/webhook_endpoints',
      { url: receiver.url, events: ['*'] },
    );
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });
  /** The sweep webhooks received, each verified against its raw bytes with the endpoint's secret. */
  const sweepHooks = (): SweepWebhookPayload[] => {
    const wh = new Webhook(endpoint.secret);
    return receiver.requests
      .map((r) => wh.verify(r.body.toString(), r.headers as Record<string, string>) as { type: string })
      .filter((p) => p.type.startsWith('sweep.'))
      .map((p) => sweepWebhookPayloadSchema.parse(p));
  };

  const entries = async () => {
    const all: LedgerEntry[] = [];
    for (let cursor: string | null = null; ;) {
      const page: { data: LedgerEntry[]; next_cursor: string | null } = await callApi(
        stack.apiUrl,
        stack.secretKey,
        'GET',
        `/v1/ledger?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      all.push(...page.data);
      if (!page.next_cursor) return all.sort((a, b) => Number(a.id) - Number(b.id));
      cursor = page.next_cursor;
    }
  };
  const agrees = async () => {
    const report = await reconcile({ ledger: stack.server.app.treasury.ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference');
  };

  test('it goes back to pending with compensating entries, is sent again, and is recorded once', async () => {
    const deposits: Address[] = [];
    for (const amount of ['7.25', '3']) {
      const session = await stack.createSession({ amount });
      const chosen = await stack.server.app.sessions.choosePayment(session.id, 'usdc@anvil');
      deposits.push(chosen.payment!.address as Address);
      await stack.pay(chosen.payment!.address, chosen.payment!.amount_due);
    }
    await stack.mine(1);
    await waitFor(
      async () => (await entries()).filter((e) => e.kind === 'receipt').length === 2,
      15_000,
      'both receipts',
    );
    const sweeper = createForwarderSweeper({
      chain: stack.config.chains[0]!,
      db: stack.server.app.store.db,
      ledger: stack.server.app.treasury.ledger,
      onSweepChange: stack.server.app.treasury.onSweepChange,
      relayerKey,
    });
    const store = new SweepStore(stack.server.app.store.db);
    const { test: anvil, public: pub } = devClients(stack.rpcUrl);
    // The factory's deployment stays on chain; only the sweep is taken away.
    await ensureForwarderFactory(pub, devClients(stack.rpcUrl).wallet);
    const snapshot = await anvil.snapshot();
    // Anvil mines only on demand: a block every 100 ms while the sweep waits for its confirmation.
    let miner = setInterval(() => void stack.mine(1).catch(() => undefined), 100);
    // Cleared whatever happens: a live interval would keep a failed run from ever ending.
    const first = await (async () => {
      await sweeper.runOnce(new Set(['USDC']));
      return waitFor(
        async () => {
          await sweeper.resolvePending();
          const rows = await store.list(31337);
          return rows.length && rows.every((r) => r.status === 'confirmed') ? rows : null;
        },
        20_000,
        'the sweep confirmed',
      );
    })().finally(() => clearInterval(miner));
    await agrees();
    const hash = first[0]!.tx_hash;
    const receipt = await pub.getTransactionReceipt({ hash });
    assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, treasury), 10_250_000n);
    const before = await entries();

    // A reorganisation: the chain goes back to the block before the sweep and grows past it.
    await anvil.revert({ id: snapshot });
    await anvil.mine({ blocks: 2 });
    assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, treasury), 0n, 'the sweep is gone');
    assert.equal(await sweeper.recheckConfirmed(), 1);
    assert.deepEqual(
      (await store.list(31337)).map((r) => r.status),
      first.map(() => 'pending'),
    );
    const after = await entries();
    assert.deepEqual(after.slice(0, before.length), before, 'nothing before is changed');
    const added = after.slice(before.length);
    assert.deepEqual(
      added.map((e) => [e.kind, e.kind === 'fee' ? parseEther(e.amount) : e.amount]).sort(),
      [
        ['fee', -(receipt.gasUsed * receipt.effectiveGasPrice)],
        ['sweep', '-3'],
        ['sweep', '-7.25'],
      ].sort(),
    );
    await agrees();

    // The next run broadcasts the same signed sweep again; mined again, it is recorded again.
    miner = setInterval(() => void stack.mine(1).catch(() => undefined), 100);
    await waitFor(
      async () => {
        await sweeper.resolvePending();
        return (await store.list(31337)).every((r) => r.status === 'confirmed');
      },
      20_000,
      'confirmed again',
    ).finally(() => clearInterval(miner));
    assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, treasury), 10_250_000n);
    const final = await entries();
    const net = (kind: string) =>
      final
        .filter((e) => e.kind === kind && e.tx_hash === hash)
        .reduce((s, e) => s + parseFloat(e.amount), 0);
    assert.equal(net('sweep'), 10.25);
    await agrees();

    await waitFor(() => sweepHooks().length === 4, 15_000, 'four sweep webhooks');
    const hooks = sweepHooks();
    assert.deepEqual(
      hooks.map((h) => [h.type, h.data.status, h.data.tx_hash, h.data.rail]),
      [
        ['sweep.submitted', 'submitted', hash, 'forwarder'],
        ['sweep.confirmed', 'confirmed', hash, 'forwarder'],
        ['sweep.reversed', 'submitted', hash, 'forwarder'],
        ['sweep.confirmed', 'confirmed', hash, 'forwarder'],
      ],
    );
    const last = hooks.at(-1)!.data;
    assert.equal(last.treasury_address, treasury.toLowerCase());
    assert.deepEqual(
      last.deposits.map((d) => [d.address, d.asset, d.amount, d.session_id?.startsWith('cs_')]).sort(),
      deposits.map((a, i) => [a.toLowerCase(), 'usdc@anvil', ['7.25', '3'][i], true]).sort(),
    );
    assert.equal(hooks[2]!.data.block_number, null, 'reversed: no block any more');
  });
});
