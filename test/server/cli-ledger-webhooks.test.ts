/**
 * The CLI's ledger writes `ledger.entry_created` webhooks as the server's does: a `sweep --execute`
 * run from the command line (the server runs without the relayer key) appends the sweep's entries
 * and its fee, and the running server's delivery worker sends each of them to the endpoint once,
 * signed per Standard Webhooks, with the entry as `GET /v1/ledger` lists it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ledgerWebhookPayloadSchema, type LedgerEntry } from '@crypto-checkout/protocol';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import { testSecretBox } from '../support/app.js';
import { sendCoinTo } from '../support/forwarders.js';
import { recordSecrets } from '../support/logs.js';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, waitFor, waitForPaid } from '../support/wait.js';
import { startEndpoint } from '../support/webhook-receiver.js';

describe('ledger webhooks of entries the CLI appends', () => {
  let stack: Stack;
  let hook: Awaited<ReturnType<typeof startEndpoint>>;
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  const relayerKey = generatePrivateKey();
  recordSecrets(relayerKey);

  before(async () => {
    // The server has no relayer key: only the CLI sends sweeps, and the server delivers the webhooks.
    stack = await startStack({
      confirmations: 1,
      config: { webhooks: { poll_interval_ms: 50 } } as never,
      chain: { deposit_mode: 'forwarder', treasury_address: treasury },
    });
    hook = await startEndpoint(stack, ['ledger.entry_created']);
    await sendCoinTo(stack.rpcUrl, [privateKeyToAccount(relayerKey).address], [parseEther('1')]);
  });
  after(async () => {
    await stack?.stop();
    await hook?.receiver.close();
  });

  const received = () => hook.verified().map((p) => ledgerWebhookPayloadSchema.parse(p));

  test('sweep --execute from the CLI: each sweep and fee entry reaches the endpoint once, signed', async () => {
    for (const [amount, method] of [
      ['12.34', 'usdc@anvil'],
      ['20.00', 'eth@anvil'],
    ] as const) {
      const session = await stack.createSession({ amount });
      const chosen = await stack.server.app.sessions.choosePayment(session.id, method);
      await stack.pay(
        chosen.payment!.address,
        chosen.payment!.amount_due,
        method === 'eth@anvil' ? 'eth' : 'usdc',
      );
    }
    await stack.mine(1);
    await waitForPaid(stack.server.app.store.db, 2);

    const lines: string[] = [];
    await sweepCommand.run(
      {
        config: { ...stack.config, treasury: { ...stack.config.treasury, relayer_key: relayerKey } },
        db: stack.server.app.store.db,
        secrets: testSecretBox,
        print: (l) => lines.push(l),
      },
      { execute: true },
      [],
    );
    assert.match(lines.join('\n'), /anvil: [1-9]\d* sweep transaction\(s\) sent/);

    const ledger = await callApi<{ data: LedgerEntry[] }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/ledger');
    const appended = ledger.data.filter((e) => e.kind === 'sweep' || e.kind === 'fee');
    // The USDC and the ETH each reach the treasury, and the relayer's gas is a fee per transaction.
    assert.deepEqual([...new Set(appended.filter((e) => e.kind === 'sweep').map((e) => e.asset))].sort(), [
      'eth@anvil',
      'usdc@anvil',
    ]);
    assert.equal(
      appended.filter((e) => e.kind === 'fee').length,
      appended.filter((e) => e.kind === 'sweep').length,
      'one fee per sweep transaction (one transaction per asset here)',
    );
    await waitFor(
      () => received().filter((p) => p.data.kind !== 'receipt').length >= appended.length,
      15_000,
      "the CLI's entries delivered by the server",
    );
    const sent = received().filter((p) => p.data.kind !== 'receipt');
    assert.deepEqual(
      sent.map((p) => p.data).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
      [...appended].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
      'each entry once, as GET /v1/ledger lists it',
    );
    assert.ok(sent.every((p) => p.type === 'ledger.entry_created'));
    assert.equal(new Set(hook.receiver.requests.map((r) => r.id)).size, hook.receiver.requests.length);
  });
});
