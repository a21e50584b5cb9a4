import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  sessionWebhookPayloadSchema,
  type SessionWebhookPayload,
  type WebhookEndpointWithSecret,
} from '@crypto-checkout/protocol';
import { verifyWebhook } from '@crypto-checkout/webhooks';
import { startStack, type Stack } from '../support/stack.js';
import { choose, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

/**
 * A real payment on anvil, in two parts, produces one webhook per status change — processing,
 * underpaid, processing, paid — each written in the transaction of the change it reports, and
 * none for changes that are not status changes (confirmations, a transfer seen).
 */
describe('webhooks from real payments', () => {
  let stack: Stack;
  let receiver: Receiver;

  before(async () => {
    stack = await startStack({ config: { webhooks: { poll_interval_ms: 50 } } });
    receiver = await startReceiver();
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  test('a payment sends session.processing, session.underpaid, session.processing and session.paid, each with its status change', async () => {
    const created = await fetch(`${stack.apiUrl}/v1/webhook_endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    assert.equal(created.status, 201);
    const endpoint = (await created.json()) as WebhookEndpointWithSecret;

    const session = await stack.createSession({
      amount: '10.00',
      order_id: 'chain-1',
      metadata: { cart: 7 },
    });
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const address = buyer.payment!.address;
    const payloads = () =>
      receiver.requests.map((r) => {
        const payload = new Webhook(endpoint.secret).verify(
          r.body.toString(),
          r.headers as Record<string, string>,
        );
        return sessionWebhookPayloadSchema.parse(payload);
      });
    const types = () => payloads().map((p) => p.type);

    const count = (type: string) => types().filter((t) => t === type).length;
    // Each block is mined only after the webhook of the previous step arrived, so every status is taken.
    const firstTx = await stack.pay(address, '4'); // mined: 1 of 2 confirmations
    await waitFor(() => count('session.processing') === 1, 10_000, 'session.processing');
    await stack.mine(1);
    await waitFor(() => count('session.underpaid') === 1, 10_000, 'session.underpaid');
    const secondTx = await stack.pay(address, '6');
    await waitFor(() => count('session.processing') === 2, 10_000, 'session.processing again');
    await stack.mine(1);
    await waitFor(() => count('session.paid') === 1, 10_000, 'session.paid');
    assert.deepEqual(types(), [
      'session.processing',
      'session.underpaid',
      'session.processing',
      'session.paid',
    ]);

    // Every request verifies with ours as with the reference library (payloads() above).
    for (const r of receiver.requests) {
      assert.deepEqual(
        await verifyWebhook(r.body, r.headers, endpoint.secret),
        JSON.parse(r.body.toString()),
      );
    }
    const paid = payloads().at(-1)! as SessionWebhookPayload;
    assert.equal(paid.data.id, session.id);
    assert.equal(paid.data.status, 'paid');
    assert.equal(paid.data.order_id, 'chain-1');
    assert.deepEqual(paid.data.metadata, { cart: 7 });
    assert.equal(paid.data.livemode, false);
    assert.deepEqual(
      [
        paid.data.amount,
        paid.data.payment!.amount_due,
        paid.data.amount_received,
        paid.data.amount_remaining,
      ],
      ['10.00', '10', '10', '0'],
    );
    assert.deepEqual([paid.data.payment!.token, paid.data.payment!.chain_id], ['USDC', 31337]);
    assert.deepEqual(
      paid.data.transfers.map((t) => [t.tx_hash, t.amount, t.confirmed]),
      [
        [firstTx, '4', true],
        [secondTx, '6', true],
      ],
    );
    assert.ok(paid.data.transfers.every((t) => t.confirmations >= 2));
    assert.ok(paid.data.paid_at && paid.data.created_at && paid.data.expires_at);
    assert.ok(!('client_secret' in paid.data));

    // The outbox row exists iff the status changed: one webhook event per stored status event, with
    // its seq and type, and none for `session.updated` (a transfer seen, another confirmation).
    const db = stack.server.db;
    const { rows: sessionEvents } = await db.query<{ seq: number; type: string; created_at: Date }>(
      'SELECT seq, type, created_at FROM session_events WHERE session_id = $1 ORDER BY seq',
      [session.id],
    );
    const webhookEvents = await stack.server.app.webhooks.store.eventsOfSession(db, session.id);
    const statusEvents = sessionEvents.filter((e) => e.seq > 1 && e.type !== 'session.updated');
    assert.ok(
      sessionEvents.some((e) => e.type === 'session.updated'),
      'there were non-status changes too',
    );
    assert.deepEqual(
      webhookEvents.map((e) => [e.session_seq, e.type]),
      statusEvents.map((e) => [e.seq, e.type]),
    );
    // Same transaction, same clock reading: the webhook's timestamp is the status event's time.
    assert.deepEqual(
      webhookEvents.map((e) => (JSON.parse(e.body) as SessionWebhookPayload).timestamp),
      statusEvents.map((e) => e.created_at.toISOString()),
    );
    assert.deepEqual(
      receiver.requests.map((r) => r.id),
      webhookEvents.map((e) => e.id),
    );
  });
});
