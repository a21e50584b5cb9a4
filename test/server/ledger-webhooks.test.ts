/**
 * `ledger.entry_created` webhooks: every ledger entry reaches the endpoints that take the type,
 * signed per Standard Webhooks, with the entry as `GET /v1/ledger` lists it — a confirmed receipt on
 * anvil, a fee written by the treasury — and an endpoint that does not take the type gets none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  ledgerWebhookPayloadSchema,
  type LedgerEntry,
  type WebhookEndpointWithSecret,
} from '@crypto-checkout/protocol';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, waitFor, waitForPaid } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

describe('ledger webhooks', () => {
  let stack: Stack;
  let ledgerReceiver: Receiver;
  let sessionReceiver: Receiver;
  let endpoint: WebhookEndpointWithSecret;

  before(async () => {
    stack = await startStack({ config: { webhooks: { poll_interval_ms: 50 } } as never });
    ledgerReceiver = await startReceiver();
    sessionReceiver = await startReceiver();
    endpoint = await callApi<WebhookEndpointWithSecret>(
      stack.apiUrl,
      stack.secretKey,
      'POST',
      '/v1/webhook_endpoints',
      {
        url: ledgerReceiver.url,
        events: ['ledger.entry_created'],
      },
    );
    await callApi(stack.apiUrl, stack.secretKey, 'POST', '/v1/webhook_endpoints', {
      url: sessionReceiver.url,
      events: ['session.paid'],
    });
  });
  after(async () => {
    await stack?.stop();
    await ledgerReceiver?.close();
    await sessionReceiver?.close();
  });

  const received = () => {
    const wh = new Webhook(endpoint.secret);
    return ledgerReceiver.requests.map((r) =>
      ledgerWebhookPayloadSchema.parse(wh.verify(r.body.toString(), r.headers as Record<string, string>)),
    );
  };

  test('a confirmed receipt sends its entry, as GET /v1/ledger shows it', async () => {
    const session = await stack.createSession({ amount: '7.50' });
    const chosen = await stack.server.app.sessions.choosePayment(session.id, 'usdc@anvil');
    await stack.pay(chosen.payment!.address, chosen.payment!.amount_due);
    await stack.mine(stack.config.chains[0]!.confirmations);
    await waitForPaid(stack.server.app.store.db, 1);
    await waitFor(() => received().some((p) => p.data.kind === 'receipt'), 15_000, 'the receipt webhook');

    const ledger = await callApi<{ data: LedgerEntry[] }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/ledger');
    const receipt = ledger.data.find((e) => e.kind === 'receipt')!;
    assert.deepEqual(
      received().find((p) => p.data.kind === 'receipt')!.data,
      receipt,
      'the webhook carries the entry exactly as the ledger lists it',
    );
    assert.equal(receipt.session_id, session.id);
    assert.equal(receipt.amount, chosen.payment!.amount_due);
    assert.equal(sessionReceiver.requests.length >= 1, true);
    for (const r of sessionReceiver.requests)
      assert.doesNotMatch(
        r.body.toString(),
        /ledger\.entry_created/,
        'an endpoint that does not take the type',
      );
  });

  test('every entry a write makes is sent once, in the order written', async () => {
    const before = received().length;
    const entries = await stack.server.app.store.db.transaction(async (tx) => {
      await stack.server.app.treasury.ledger.recordFee(tx, {
        livemode: false,
        chain_id: 31337,
        address: privateKeyToAccount(generatePrivateKey()).address.toLowerCase(),
        tx_hash: `0x${'ab'.repeat(32)}`,
        amount_atomic: 21_000n * 1_000_000_000n,
        at: new Date(),
      });
      return 1;
    });
    assert.equal(entries, 1);
    await waitFor(() => received().length === before + 1, 15_000, 'the fee webhook');
    const fee = received().at(-1)!;
    assert.deepEqual([fee.type, fee.data.kind, fee.data.amount], ['ledger.entry_created', 'fee', '0.000021']);
    const ids = received().map((p) => BigInt(p.data.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => (a < b ? -1 : 1)),
    );
    assert.equal(new Set(ledgerReceiver.requests.map((r) => r.id)).size, ledgerReceiver.requests.length);
  });
});
