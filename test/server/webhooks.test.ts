import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  webhookPayloadSchema,
  type Session,
  type WebhookAttemptList,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
  type WebhookEvent,
  type WebhookEventList,
} from '@crypto-checkout/protocol';
import {
  RESPONSE_EXCERPT_BYTES,
  startWebhookDispatcher,
  type WebhookDispatcher,
} from '../../packages/server/src/webhooks/webhook-dispatcher.js';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { parseConfig, type Config } from '../../packages/server/src/config.js';
import { webhookCommands } from '../../packages/server/src/cli/webhook-commands.js';
import { parseFlags } from '../../packages/server/src/cli/parse-flags.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { WebhookStore } from '../../packages/server/src/webhooks/webhook-store.js';
import { verifyWebhook } from '@crypto-checkout/webhooks';
import { buildTestApp, migratedPglite, type TestApp, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { testMerchantWallet } from '../support/stack.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/webhook-receiver.js';
import { waitFor } from '../support/wait.js';
import { teeLogger, testLogger } from '../support/logs.js';

/**
 * Webhooks on one app (in-memory PGlite) with a real delivery worker and real local HTTP receivers:
 * the endpoints API, the outbox written with each status change, retries, independence of
 * deliveries, rotation, redelivery and the attempt log. Status changes come from cancel and expiry,
 * which need no chain; `webhooks-chain.test.ts` pays on anvil.
 */

const liveKey = `sk_live_${randomBytes(24).toString('hex')}`;
const testKey = `sk_test_${randomBytes(24).toString('hex')}`;

/** Short retries (100 ms, no jitter) so that a failing receiver is retried within a test. */
const FAST = {
  poll_interval_ms: 20,
  // 3 s of retries, 0.1 s apart: long enough for a test to bring a receiver back before the schedule is used up.
  retry_schedule: Array.from({ length: 30 }, () => 0.1),
  jitter: 0,
  timeout_ms: 2_000,
  lease_ms: 5_000,
};

/** Every log line of the app and the worker, to check that no secret reaches them. */
const logLines: string[] = [];
const logger = teeLogger(
  'debug',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);
const secretsSeen: string[] = [];

let app: TestApp;
let dispatcher: WebhookDispatcher;
const receivers: Receiver[] = [];

async function call<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  key = testKey,
) {
  const response = await app.server.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json() as T };
}

async function createEndpoint(
  body: Record<string, unknown>,
  key = testKey,
): Promise<WebhookEndpointWithSecret> {
  const { status, body: endpoint } = await call<WebhookEndpointWithSecret>(
    'POST',
    '/v1/webhook_endpoints',
    body,
    key,
  );
  assert.equal(status, 201, JSON.stringify(endpoint));
  secretsSeen.push(endpoint.secret);
  return endpoint;
}

async function receiver(respond?: Receiver['respond']): Promise<Receiver> {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

/** Creates a test-mode session through the API. */
async function createSession(body: Record<string, unknown> = {}): Promise<Session> {
  const { status, body: session } = await call<Session>('POST', '/v1/sessions', {
    amount: '10.00',
    currency: 'USD',
    ...body,
  });
  assert.equal(status, 201, JSON.stringify(session));
  return session;
}

/** Creates a session and cancels it: one status change, `session.canceled`. Returns its webhook event. */
async function canceledSessionEvent(body: Record<string, unknown> = {}): Promise<WebhookEvent> {
  const session = await createSession(body);
  assert.equal((await call('POST', `/v1/sessions/${session.id}/cancel`)).status, 200);
  const list = await call<WebhookEventList>('GET', `/v1/webhook_events?session_id=${session.id}`);
  assert.equal(list.body.data.length, 1);
  return list.body.data[0]!;
}

const event = async (id: string) => (await call<WebhookEvent>('GET', `/v1/webhook_events/${id}`)).body;
const attempts = async (id: string) =>
  (await call<WebhookAttemptList>('GET', `/v1/webhook_events/${id}/attempts`)).body.data;
const delivery = async (eventId: string, endpointId: string) =>
  (await event(eventId)).deliveries.find((d) => d.endpoint_id === endpointId);

/** Verifies a received request with the independent reference library and with ours. */
async function assertSigned(request: ReceivedRequest, secret: string) {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  const parsed = new Webhook(secret).verify(request.body.toString('utf8'), headers);
  assert.deepEqual(await verifyWebhook(request.body, request.headers, secret), parsed);
  return webhookPayloadSchema.parse(parsed);
}

describe('webhooks', () => {
  before(async () => {
    app = await buildTestApp({ secret_keys: [testKey, liveKey], webhooks: FAST }, { logger });
    dispatcher = startWebhookDispatcher({ store: app.webhooks.store, config: app.config.webhooks, logger });
    // `dispatcher` is looked up on each call: a test swaps it.
    app.bus.subscribeAll(() => dispatcher.wake());
    app.webhooks.outbox.onQueued(() => dispatcher.wake());
  });
  afterEach(async () => {
    // Each test starts without endpoints, so no test receives another's events.
    for (const key of [testKey, liveKey]) {
      const { body } = await call<{ data: WebhookEndpoint[] }>(
        'GET',
        '/v1/webhook_endpoints',
        undefined,
        key,
      );
      for (const e of body.data)
        assert.equal((await call('DELETE', `/v1/webhook_endpoints/${e.id}`, undefined, key)).status, 200);
    }
  });
  after(async () => {
    await dispatcher?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await app?.close();
  });

  test('endpoints: the secret is shown once, listings show a prefix, each mode sees its own', async () => {
    const created = await createEndpoint({
      url: 'https://shop.example/hooks',
      events: ['session.paid', 'session.paid'],
    });
    assert.match(created.id, /^we_[A-Za-z0-9]{24}$/);
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(created.secret.slice(6), 'base64').length, 32);
    assert.deepEqual(created.events, ['session.paid']);
    assert.equal(created.livemode, false);
    assert.equal(created.secret_prefix, `${created.secret.slice(0, 10)}…`);

    const listed = await call<{ data: WebhookEndpoint[] }>('GET', '/v1/webhook_endpoints');
    assert.deepEqual(
      listed.body.data.map((e) => e.id),
      [created.id],
    );
    const got = await call<WebhookEndpoint>('GET', `/v1/webhook_endpoints/${created.id}`);
    for (const answer of [JSON.stringify(listed.body), JSON.stringify(got.body)]) {
      assert.ok(!answer.includes(created.secret.slice(10, 30)), 'no more than the prefix of the secret');
      assert.ok(!('secret' in got.body));
    }

    const updated = await call<WebhookEndpoint>('PATCH', `/v1/webhook_endpoints/${created.id}`, {
      url: 'https://shop.example/hooks/v2',
      events: ['*', 'session.expired'],
      description: 'fulfilment',
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.url, 'https://shop.example/hooks/v2');
    assert.deepEqual(updated.body.events, ['*']);
    assert.equal(updated.body.description, 'fulfilment');

    // The other mode's key does not list it and is refused it by id (403); a client secret may not
    // manage endpoints.
    const live = await createEndpoint({ url: 'https://shop.example/live' }, liveKey);
    assert.equal(live.livemode, true);
    assert.deepEqual(
      (
        await call<{ data: WebhookEndpoint[] }>('GET', '/v1/webhook_endpoints', undefined, liveKey)
      ).body.data.map((e) => e.id),
      [live.id],
    );
    assert.equal((await call('GET', `/v1/webhook_endpoints/${created.id}`, undefined, liveKey)).status, 403);
    const session = await createSession();
    assert.equal((await call('GET', '/v1/webhook_endpoints', undefined, session.client_secret)).status, 403);

    // Bad input names the field.
    const bad = await call<{ error: { code: string; message: string } }>('POST', '/v1/webhook_endpoints', {
      url: 'ftp://shop.example',
      events: ['session.refunded'],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    assert.match(bad.body.error.message, /url: must be an http\(s\) URL/);
    assert.match(
      bad.body.error.message,
      /events\.0: unknown event type "session\.refunded"; use "\*" or: session\.open, /,
    );
  });

  test('a status change writes its webhook event in its own transaction, and only a status change does', async () => {
    const endpoint = await createEndpoint({ url: 'http://127.0.0.1:1/unused' });
    const session = await createSession({ order_id: 'A-7', metadata: { customer: 'c_9' } });
    // Creation is not a status change: the API call that created it already answered.
    assert.deepEqual(
      (await call<WebhookEventList>('GET', `/v1/webhook_events?session_id=${session.id}`)).body.data,
      [],
    );

    // A hook that throws rolls the status change back with it: no canceled status, no event.
    let failing = true;
    app.sessions.onStatusChange(async () => {
      if (failing) throw new Error('outbox unavailable');
    });
    assert.equal((await call('POST', `/v1/sessions/${session.id}/cancel`)).status, 500);
    assert.equal((await app.sessions.load(session.id))!.session.status, 'open');
    assert.equal((await app.store.latestEvent(session.id))!.type, 'session.open');
    assert.deepEqual(await app.webhooks.store.eventsOfSession(app.store.db, session.id), []);
    failing = false;

    assert.equal((await call('POST', `/v1/sessions/${session.id}/cancel`)).status, 200);
    assert.equal((await call('POST', `/v1/sessions/${session.id}/cancel`)).status, 200); // no change
    const stored = await app.webhooks.store.eventsOfSession(app.store.db, session.id);
    const latest = await app.store.latestEvent(session.id);
    assert.deepEqual(
      stored.map((e) => [e.type, e.session_seq]),
      [['session.canceled', latest!.seq]],
      'exactly one webhook event, for the stored session.canceled event',
    );
    const [webhookEvent] = (
      await call<WebhookEventList>('GET', `/v1/webhook_events?session_id=${session.id}`)
    ).body.data;
    assert.match(webhookEvent!.id, /^msg_[A-Za-z0-9]{24}$/);
    assert.deepEqual(
      webhookEvent!.deliveries.map((d) => [d.endpoint_id, d.status]),
      [[endpoint.id, 'pending']],
    );
    const payload = webhookPayloadSchema.parse(JSON.parse(stored[0]!.body));
    assert.equal(payload.type, 'session.canceled');
    assert.equal(payload.data.id, session.id);
    assert.equal(payload.data.order_id, 'A-7');
    assert.deepEqual(payload.data.metadata, { customer: 'c_9' });
    assert.equal(payload.data.livemode, false);
    assert.equal(payload.timestamp, latest!.created_at.toISOString());
    assert.ok(!stored[0]!.body.includes(session.client_secret), 'no client secret in webhooks');

    // Expiry is a status change too.
    const expiring = await createSession();
    await app.store.setExpiresAt(expiring.id, new Date());
    await app.sessions.expireDue();
    assert.deepEqual(
      (await app.webhooks.store.eventsOfSession(app.store.db, expiring.id)).map((e) => e.type),
      ['session.expired'],
    );
  });

  test('a receiver that is down, then answers 500, then 200 gets every event, and later events are not held back', async () => {
    let firstId = '';
    let healed = false;
    const flaky = await receiver((request) => (request.id === firstId && !healed ? 500 : 200));
    const healthy = await receiver();
    await flaky.down();
    const a = await createEndpoint({ url: flaky.url });
    const b = await createEndpoint({ url: healthy.url });

    // Event 1 while the receiver is down: refused connections, retried.
    const first = await canceledSessionEvent();
    firstId = first.id;
    await waitFor(
      async () => (await attempts(first.id)).some((x) => /connection refused/.test(x.error ?? '')),
      5_000,
      'a refused attempt',
    );
    // The healthy endpoint got event 1 meanwhile: deliveries to endpoints are independent.
    await waitFor(() => healthy.byId(first.id).length === 1, 5_000, 'event 1 at the healthy endpoint');

    // The receiver is back but fails event 1.
    await flaky.up();
    await waitFor(() => flaky.byId(first.id).some((r) => r.status === 500), 5_000, 'a 500 for event 1');

    // Event 2 is delivered while event 1 still fails: no queue behind a failing event.
    const second = await canceledSessionEvent();
    await waitFor(
      async () => (await delivery(second.id, a.id))!.status === 'succeeded',
      5_000,
      'event 2 delivered',
    );
    assert.ok(flaky.byId(second.id).some((r) => r.status === 200));
    assert.equal(
      (await delivery(first.id, a.id))!.status,
      'pending',
      'event 1 was still failing when event 2 arrived',
    );

    healed = true;
    await waitFor(
      async () => (await delivery(first.id, a.id))!.status === 'succeeded',
      5_000,
      'event 1 delivered',
    );

    const tries = flaky.byId(first.id);
    assert.ok(tries.length >= 2);
    assert.equal(tries.at(-1)!.status, 200);
    for (const request of flaky.requests) await assertSigned(request, a.secret);
    for (const request of healthy.requests) await assertSigned(request, b.secret);
    // Every attempt of an event carries the same webhook-id and the same body bytes.
    assert.equal(new Set(tries.map((r) => r.body.toString('base64'))).size, 1);
    assert.equal(tries[0]!.body.toString(), healthy.byId(first.id)[0]!.body.toString());

    // The attempt log has each try: time, status or error, latency, the answer's start.
    const log = (await attempts(first.id)).filter((x) => x.endpoint_id === a.id).reverse();
    assert.ok(log.length >= 3);
    assert.equal(log[0]!.status_code, null);
    assert.match(log[0]!.error!, /connection refused \(ECONNREFUSED\)/);
    assert.ok(
      log.some((x) => x.status_code === 500 && !x.succeeded && x.response_excerpt === 'answered 500'),
    );
    assert.deepEqual([log.at(-1)!.status_code, log.at(-1)!.succeeded], [200, true]);
    assert.ok(log.every((x) => Number.isInteger(x.latency_ms) && x.latency_ms >= 0 && x.url === flaky.url));
    const final = await delivery(first.id, a.id);
    assert.equal(final!.attempts, log.length);
    assert.equal(final!.last_status_code, 200);
  });

  test('a delivery is marked failed when the retry schedule is used up', async () => {
    // A worker with a two-step schedule in place of the suite's.
    await dispatcher.stop();
    const schedule = [0.05, 0.05];
    dispatcher = startWebhookDispatcher({
      store: app.webhooks.store,
      config: { ...app.config.webhooks, retry_schedule: schedule },
      logger,
    });
    const broken = await receiver(() => 503);
    const endpoint = await createEndpoint({ url: broken.url });
    const failing = await canceledSessionEvent();
    await waitFor(
      async () => (await delivery(failing.id, endpoint.id))!.status === 'failed',
      5_000,
      'failed',
    );
    // The first attempt and one per entry of the schedule.
    assert.equal(broken.byId(failing.id).length, schedule.length + 1);
    const final = await delivery(failing.id, endpoint.id);
    assert.deepEqual([final!.attempts, final!.last_status_code, final!.next_attempt_at], [3, 503, null]);
    await dispatcher.stop();
    dispatcher = startWebhookDispatcher({ store: app.webhooks.store, config: app.config.webhooks, logger });
  });

  test('rotation: during the overlap both secrets sign and either verifies; after it only the new one', async () => {
    const r = await receiver();
    const endpoint = await createEndpoint({ url: r.url });
    const rotated = await call<WebhookEndpointWithSecret>(
      'POST',
      `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`,
      {
        overlap_seconds: 3600,
      },
    );
    assert.equal(rotated.status, 200);
    secretsSeen.push(rotated.body.secret);
    assert.notEqual(rotated.body.secret, endpoint.secret);
    const until = Date.parse(rotated.body.previous_secret_expires_at!);
    assert.ok(Math.abs(until - (Date.now() + 3600_000)) < 60_000);

    const during = await call<WebhookEvent>('POST', `/v1/webhook_endpoints/${endpoint.id}/test`);
    assert.equal(during.status, 202);
    await waitFor(() => r.byId(during.body.id).length === 1, 5_000, 'the test event');
    const [request] = r.byId(during.body.id);
    assert.equal(String(request!.headers['webhook-signature']).split(' ').length, 2);
    for (const secret of [endpoint.secret, rotated.body.secret]) {
      const payload = await assertSigned(request!, secret);
      assert.equal(payload.type, 'webhook.test');
    }

    // The overlap ends (as an hour passing would end it).
    await app.store.db.query(
      `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [endpoint.id],
    );
    assert.equal(
      (await call<WebhookEndpoint>('GET', `/v1/webhook_endpoints/${endpoint.id}`)).body
        .previous_secret_expires_at,
      null,
    );
    const later = await call<WebhookEvent>('POST', `/v1/webhook_endpoints/${endpoint.id}/test`);
    await waitFor(() => r.byId(later.body.id).length === 1, 5_000, 'the second test event');
    const [afterwards] = r.byId(later.body.id);
    assert.equal(String(afterwards!.headers['webhook-signature']).split(' ').length, 1);
    await assertSigned(afterwards!, rotated.body.secret);
    assert.throws(
      () =>
        new Webhook(endpoint.secret).verify(
          afterwards!.body.toString(),
          afterwards!.headers as Record<string, string>,
        ),
      /No matching signature/,
    );
    await assert.rejects(
      () => verifyWebhook(afterwards!.body, afterwards!.headers, endpoint.secret),
      /no signature matched/,
    );

    // Without an overlap the old secret stops at once.
    const immediate = await call<WebhookEndpointWithSecret>(
      'POST',
      `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`,
      {
        overlap_seconds: 0,
      },
    );
    secretsSeen.push(immediate.body.secret);
    assert.equal(immediate.body.previous_secret_expires_at, null);
  });

  test('redelivery sends the same webhook-id and body again, as new attempts, also to an endpoint added later', async () => {
    const long = 'x'.repeat(5000);
    const r = await receiver(() => ({ status: 200, body: long }));
    const endpoint = await createEndpoint({ url: r.url });
    const sent = await canceledSessionEvent();
    await waitFor(
      async () => (await delivery(sent.id, endpoint.id))!.status === 'succeeded',
      5_000,
      'delivered',
    );
    const [firstAttempt] = await attempts(sent.id);
    assert.equal(
      firstAttempt!.response_excerpt,
      'x'.repeat(RESPONSE_EXCERPT_BYTES),
      'the answer is kept to its first 256 bytes',
    );

    const again = await call<WebhookEvent>('POST', `/v1/webhook_events/${sent.id}/redeliver`, {});
    assert.equal(again.status, 202);
    assert.equal(again.body.deliveries[0]!.status, 'pending');
    await waitFor(() => r.byId(sent.id).length === 2, 5_000, 'the redelivery');
    const [one, two] = r.byId(sent.id);
    assert.equal(one!.body.toString(), two!.body.toString());
    await assertSigned(two!, endpoint.secret);
    await waitFor(async () => (await attempts(sent.id)).length === 2, 5_000, 'two attempts logged');

    // An endpoint created after the event gets it when asked by id, whatever its filter.
    const late = await receiver();
    const added = await createEndpoint({ url: late.url, events: ['session.paid'] });
    assert.equal(
      (await call('POST', `/v1/webhook_events/${sent.id}/redeliver`, { endpoint_id: added.id })).status,
      202,
    );
    await waitFor(() => late.byId(sent.id).length === 1, 5_000, 'the late endpoint');
    assert.equal(late.byId(sent.id)[0]!.body.toString(), one!.body.toString());
    await assertSigned(late.byId(sent.id)[0]!, added.secret);

    assert.equal((await call('POST', '/v1/webhook_events/msg_nope/redeliver', {})).status, 404);
    assert.equal((await call('GET', `/v1/webhook_events/${sent.id}`, undefined, liveKey)).status, 403);
  });

  test('filters and modes pick the endpoints; disabling cancels pending deliveries', async () => {
    const r = await receiver(() => 500);
    const all = await createEndpoint({ url: r.url });
    const paidOnly = await createEndpoint({ url: r.url, events: ['session.paid', 'session.overpaid'] });
    // A live endpoint may not be on 127.0.0.1 (the SSRF guard); none of these events is live anyway.
    const live = await createEndpoint({ url: 'https://shop.example/live' }, liveKey);
    const canceled = await canceledSessionEvent();
    assert.deepEqual(
      canceled.deliveries.map((d) => d.endpoint_id),
      [all.id],
      `not ${paidOnly.id}, not ${live.id}`,
    );

    await waitFor(() => r.byId(canceled.id).length >= 1, 5_000, 'an attempt');
    const disabled = await call<WebhookEndpoint>('PATCH', `/v1/webhook_endpoints/${all.id}`, {
      enabled: false,
    });
    assert.equal(disabled.body.enabled, false);
    assert.equal((await delivery(canceled.id, all.id))!.status, 'canceled');
    const tested = await call<{ error: { code: string } }>('POST', `/v1/webhook_endpoints/${all.id}/test`);
    assert.deepEqual([tested.status, tested.body.error.code], [409, 'webhook_endpoint_disabled']);
    // No new deliveries for a disabled endpoint.
    const next = await canceledSessionEvent();
    assert.deepEqual(next.deliveries, []);
    // Once the worker has delivered something after the disabling, nothing more went to the disabled endpoint.
    const count = r.byId(canceled.id).length;
    const probe = await receiver();
    const other = await createEndpoint({ url: probe.url });
    const ping = await call<WebhookEvent>('POST', `/v1/webhook_endpoints/${other.id}/test`);
    await waitFor(
      async () => (await delivery(ping.body.id, other.id))!.status === 'succeeded',
      5_000,
      'the probe',
    );
    assert.equal(r.byId(canceled.id).length, count);
    assert.equal((await attempts(canceled.id)).length, count, 'every attempt made was logged');
  });

  test('the event list pages newest first with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await canceledSessionEvent({ order_id: `page-${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: WebhookEventList } = await call<WebhookEventList>(
        'GET',
        `/v1/webhook_events?type=session.canceled&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((e) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor && seen.length < 100);
    assert.deepEqual(seen.slice(0, 5), [...ids].reverse(), JSON.stringify({ seen, ids }));
    assert.equal(new Set(seen).size, seen.length, 'no event twice');
    const bad = await call<{ error: { code: string } }>('GET', '/v1/webhook_events?cursor=bm9wZQ');
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_request']);
  });

  test('no secret ever reaches the logs', () => {
    assert.ok(secretsSeen.length >= 5);
    assert.ok(
      logLines.some((line) => line.includes('webhook delivered')),
      'the worker logged deliveries',
    );
    const leaked = secretsSeen.filter((secret) => logLines.some((line) => line.includes(secret.slice(6))));
    assert.deepEqual(leaked, []);
    assert.ok(
      !logLines.some((line) => /webhook-signature|v1,[A-Za-z0-9+/]{43}=/.test(line)),
      'no signatures logged',
    );
  });
});

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`webhook delivery on ${backend.name}`, () => {
    let db: Database;
    let secondDb: Database;
    let instance: App;
    let webhooksConfig: Config['webhooks'];
    const it = testOn(backend);

    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
      secondDb = await backend.another(db);
      const config = parseConfig({
        secret_keys: [testKey],
        xpub: testMerchantWallet().xpub,
        chains: [{ key: 'anvil', rpc_url: 'http://127.0.0.1:1' }],
        webhooks: { ...FAST, concurrency: 2 },
      });
      webhooksConfig = config.webhooks;
      instance = await buildApp({ config, db, logger: testLogger(), secrets: testSecretBox });
    });
    after(async () => {
      await instance?.server.close();
      await backend.cleanup();
    });

    it('a claim is a lease: others skip it, and it falls due again if its worker dies', async () => {
      const store = new WebhookStore(db, testSecretBox);
      const other = new WebhookStore(secondDb, testSecretBox);
      const endpoint = await instance.webhooks.endpoints.create({ url: 'http://127.0.0.1:1/x' }, false);
      const eventId = await instance.webhooks.outbox.sendTest(endpoint.id, false);
      const now = new Date(Date.now() + 1000);
      const lease = new Date(now.getTime() + 60_000);
      const [claim] = await store.claimDue(now, 10, lease, 'worker-a');
      assert.deepEqual([claim?.event_id, claim?.attempts, claim?.active], [eventId, 1, true]);
      assert.deepEqual(
        await other.claimDue(now, 10, lease, 'worker-b'),
        [],
        'leased: not due for another instance',
      );
      // Worker A dies. When the lease runs out the delivery is due again, for anyone.
      const [again] = await other.claimDue(
        new Date(lease.getTime() + 1),
        10,
        new Date(lease.getTime() + 60_000),
        'worker-b',
      );
      assert.deepEqual([again?.event_id, again?.attempts], [eventId, 2]);
      // A's late result does not overwrite B's claim; it is logged all the same.
      const outcome = {
        url: 'http://127.0.0.1:1/x',
        attempted_at: now,
        status_code: 200,
        succeeded: true,
        error: null,
        latency_ms: 5,
        response_excerpt: null,
      };
      await store.recordAttempt(claim!, { id: 'wha_a', ...outcome }, { status: 'succeeded' });
      assert.equal((await instance.webhooks.events.get(eventId, false)).deliveries[0]!.status, 'pending');
      await other.recordAttempt(again!, { id: 'wha_b', ...outcome }, { status: 'succeeded' });
      const done = await instance.webhooks.events.get(eventId, false);
      assert.deepEqual([done.deliveries[0]!.status, done.deliveries[0]!.attempts], ['succeeded', 2]);
      assert.equal((await instance.webhooks.events.attempts(eventId, false, { limit: 10 })).data.length, 2);
    });

    it('two instances share the work and deliver every event once', async () => {
      const r = await startReceiver(() => 200);
      const endpoint = await instance.webhooks.endpoints.create({ url: r.url }, false);
      const delivered = [0, 0];
      const workers = [db, secondDb].map((database, i) =>
        startWebhookDispatcher({
          store: new WebhookStore(database, testSecretBox),
          config: webhooksConfig,
          logger: teeLogger(
            'info',
            new Writable({
              write(chunk: Buffer, _encoding, done) {
                if (chunk.toString().includes('webhook delivered')) delivered[i]! += 1;
                done();
              },
            }),
          ),
        }),
      );
      try {
        const ids: string[] = [];
        for (let i = 0; i < 24; i += 1) ids.push(await instance.webhooks.outbox.sendTest(endpoint.id, false));
        for (const worker of workers) worker.wake();
        await waitFor(() => ids.every((id) => r.byId(id).length > 0), 10_000, 'every event delivered');
        await waitFor(() => delivered[0]! + delivered[1]! === ids.length, 5_000, 'every delivery recorded');
        assert.deepEqual(
          ids.filter((id) => r.byId(id).length !== 1),
          [],
          'each event exactly once',
        );
        for (const request of r.requests) await assertSigned(request, endpoint.secret);
        if (backend.name === 'PostgreSQL')
          assert.ok(
            delivered.every((n) => n > 0),
            `both instances delivered: ${delivered.join(' + ')}`,
          );
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        // Closed here: the `receivers` list is closed by another suite's after(), which ran before.
        await r.close();
      }
    });
  });
}

describe('endpoints CLI', () => {
  test('create prints the secret once; list shows a prefix; rotate-secret and disable act by id', async () => {
    const db = await migratedPglite();
    try {
      const config = parseConfig({
        secret_keys: [testKey],
        xpub: testMerchantWallet().xpub,
        chains: [{ key: 'anvil', rpc_url: 'http://127.0.0.1:1' }],
      });
      const run = async (name: string, args: string[]) => {
        const lines: string[] = [];
        const command = webhookCommands.find((c) => c.name === name)!;
        const { flags, args: rest } = parseFlags(args);
        await command.run(
          { config, db, secrets: testSecretBox, print: (line) => lines.push(line) },
          flags,
          rest,
        );
        return lines;
      };
      const created = await run('create', [
        '--url',
        'https://shop.example/hooks',
        '--events',
        'session.paid',
        '--mode',
        'live',
      ]);
      assert.match(
        created[0]!,
        /^created (we_\w+) \(live mode\) → https:\/\/shop\.example\/hooks, events: session\.paid$/,
      );
      const id = /we_\w+/.exec(created[0]!)![0];
      const secret = created.find((line) => line.trim().startsWith('whsec_'))!.trim();
      const listed = (await run('list', [])).join('\n');
      assert.match(
        listed,
        new RegExp(`${id}\\s+live\\s+enabled\\s+${secret.slice(0, 10).replace(/[+/]/g, '\\$&')}…`),
      );
      assert.ok(!listed.includes(secret.slice(10)), 'the list shows only a prefix');
      const rotated = await run('rotate-secret', [id, '--overlap', '600']);
      assert.match(rotated[0]!, /the old one signs too until \d{4}-/);
      assert.notEqual(rotated.find((line) => line.trim().startsWith('whsec_'))!.trim(), secret);
      assert.match((await run('disable', [id]))[0]!, new RegExp(`^disabled ${id}`));
      assert.match((await run('list', [])).join('\n'), /live\s+disabled/);
      await assert.rejects(run('create', ['--url', 'ftp://x']), /--url: must be an http\(s\) URL/);
      await assert.rejects(
        run('create', ['--url', 'https://x.example', '--events', 'paid']),
        /--events: unknown event type "paid"/,
      );
      await assert.rejects(run('disable', ['we_nope']), /no webhook endpoint we_nope/);
    } finally {
      await db.close();
    }
  });
});
