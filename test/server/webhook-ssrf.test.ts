import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type {
  ErrorBody,
  WebhookAttempt,
  WebhookAttemptList,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookEvent,
} from '@crypto-checkout/protocol';
import {
  RESPONSE_EXCERPT_BYTES,
  startWebhookDispatcher,
  type WebhookDispatcher,
} from '../../packages/server/src/webhooks/webhook-dispatcher.js';
import { addressProblem } from '../../packages/server/src/webhooks/webhook-url-guard.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The webhook SSRF guard: live endpoints on loopback, private, link-local and other special
 * addresses are refused when created or changed, and again at every attempt on the addresses the
 * socket connects to (DNS rebinding), redirects are not followed, and the attempt log keeps only a
 * short, cleaned excerpt of an answer. A fake resolver (the `resolveHost` seam) plays DNS; the
 * receivers are real HTTP servers on 127.0.0.1.
 */

const liveKey = `sk_live_${randomBytes(24).toString('hex')}`;
const testKey = `sk_test_${randomBytes(24).toString('hex')}`;
/** A public unicast address (TEST-NET ranges are refused as documentation addresses). */
const PUBLIC_IP = '93.184.215.14';

/** The fake DNS: names to the answers they give, one per lookup, the last one repeating. */
const dns = new Map<string, string[][]>();
const lookups: string[] = [];
async function resolveHost(hostname: string): Promise<LookupAddress[]> {
  lookups.push(hostname);
  const answers = dns.get(hostname);
  if (!answers?.length) throw Object.assign(new Error(`fake DNS: no ${hostname}`), { code: 'ENOTFOUND' });
  const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
  return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

const FAST = {
  poll_interval_ms: 20,
  retry_schedule: [3600],
  jitter: 0,
  timeout_ms: 2_000,
  lease_ms: 5_000,
};

let app: TestApp;
let dispatcher: WebhookDispatcher;
const closers: (() => Promise<void>)[] = [];

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

const create = (url: string, key = testKey) =>
  call<WebhookEndpointWithSecret & ErrorBody>('POST', '/v1/webhook_endpoints', { url }, key);

async function receiver(respond?: Receiver['respond']): Promise<Receiver> {
  const r = await startReceiver(respond);
  closers.push(() => r.close());
  return r;
}

/** Sends a test event to an endpoint and waits for its first attempt. */
async function firstAttempt(endpoint: WebhookEndpoint, key: string): Promise<WebhookAttempt> {
  const sent = await call<WebhookEvent>('POST', `/v1/webhook_endpoints/${endpoint.id}/test`, undefined, key);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  return waitFor(
    async () =>
      (await call<WebhookAttemptList>('GET', `/v1/webhook_events/${sent.body.id}/attempts`, undefined, key))
        .body.data[0],
    10_000,
    'the first attempt',
  );
}

describe('webhook SSRF guard', () => {
  before(async () => {
    app = await buildTestApp({ secret_keys: [testKey, liveKey], webhooks: FAST }, { resolveHost });
    dispatcher = startWebhookDispatcher({
      store: app.webhooks.store,
      config: app.config.webhooks,
      logger: app.server.log,
      resolveHost,
    });
    app.webhooks.outbox.onQueued(() => dispatcher.wake());
  });
  afterEach(async () => {
    for (const key of [testKey, liveKey]) {
      const { body } = await call<{ data: WebhookEndpoint[] }>(
        'GET',
        '/v1/webhook_endpoints',
        undefined,
        key,
      );
      for (const e of body.data) await call('DELETE', `/v1/webhook_endpoints/${e.id}`, undefined, key);
    }
    dns.clear();
  });
  after(async () => {
    await dispatcher?.stop();
    await Promise.all(closers.map((close) => close()));
    await app?.close();
  });

  test('live endpoints on loopback, private, link-local and other special addresses are refused at creation', async () => {
    dns.set('internal.shop.example', [['127.0.0.1']]);
    dns.set('mixed.shop.example', [[PUBLIC_IP, '10.1.2.3']]);
    const refused: [string, RegExp][] = [
      ['http://127.0.0.1/hooks', /loopback/],
      ['http://localhost:8080/hooks', /loopback/],
      ['http://internal.shop.example/hooks', /internal\.shop\.example resolves to a loopback address/],
      ['http://mixed.shop.example/hooks', /private address/],
      ['http://[::1]/hooks', /loopback/],
      ['http://169.254.169.254/latest/meta-data/', /link-local/],
      ['http://[fe80::1]/', /link-local/],
      ['http://10.0.0.1/', /private/],
      ['http://172.16.5.4/', /private/],
      ['http://192.168.1.1/', /private/],
      ['http://100.64.0.1/', /CGNAT/],
      ['http://[fd00::1]/', /unique-local/],
      ['http://[::ffff:127.0.0.1]/', /loopback/],
      ['http://[::ffff:169.254.169.254]/', /link-local/],
      ['http://[64:ff9b::7f00:1]/', /NAT64/],
      ['http://2130706433/', /loopback/],
      ['http://0x7f.1/', /loopback/],
      ['http://0177.0.0.1/', /loopback/],
      ['http://0.0.0.0/', /unspecified/],
      ['http://[::]/', /unspecified/],
      ['http://255.255.255.255/', /broadcast/],
      ['http://224.0.0.1/', /multicast/],
      ['http://192.0.2.10/', /documentation/],
      ['http://198.18.0.1/', /reserved|benchmarking/],
      ['http://[2001:db8::1]/', /reserved|documentation/],
    ];
    for (const [url, reason] of refused) {
      const { status, body } = await create(url, liveKey);
      assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, 'webhook_url_forbidden', url);
      assert.match(body.error.message, reason, url);
      assert.equal(body.error.issues?.[0]?.path, 'url');
    }
    // The address a name resolves to is not told to the caller.
    const named = await create('http://internal.shop.example/hooks', liveKey);
    assert.doesNotMatch(named.body.error.message, /127\.0\.0\.1/);

    // Public addresses pass: a literal, a name resolving to one, and a name that does not resolve yet.
    dns.set('shop.example', [[PUBLIC_IP]]);
    for (const url of [
      `https://${PUBLIC_IP}/hooks`,
      'https://shop.example/hooks',
      'https://unpublished.example/h',
    ]) {
      const { status, body } = await create(url, liveKey);
      assert.equal(status, 201, `${url}: ${JSON.stringify(body)}`);
    }
  });

  test('changing a live endpoint to a forbidden URL is refused too', async () => {
    const { body: endpoint } = await create(`https://${PUBLIC_IP}/hooks`, liveKey);
    const changed = await call<ErrorBody>(
      'PATCH',
      `/v1/webhook_endpoints/${endpoint.id}`,
      { url: 'http://169.254.169.254/' },
      liveKey,
    );
    assert.deepEqual([changed.status, changed.body.error.code], [400, 'webhook_url_forbidden']);
    const unchanged = await call<WebhookEndpoint>(
      'GET',
      `/v1/webhook_endpoints/${endpoint.id}`,
      undefined,
      liveKey,
    );
    assert.equal(unchanged.body.url, `https://${PUBLIC_IP}/hooks`);
  });

  test('test-mode endpoints may be loopback or private by default, never link-local', async () => {
    assert.equal((await create('http://127.0.0.1:9/hooks')).status, 201);
    assert.equal((await create('http://10.0.0.1/hooks')).status, 201);
    const metadata = await create('http://169.254.169.254/');
    assert.deepEqual([metadata.status, metadata.body.error.code], [400, 'webhook_url_forbidden']);
  });

  test('the settings decide: test mode closed, live mode opened for a private network', () => {
    const closed = { allowPrivateTest: false, allowPrivateLive: false };
    const open = { allowPrivateTest: true, allowPrivateLive: true };
    assert.match(addressProblem('127.0.0.1', { livemode: false, policy: closed }) ?? '', /loopback/);
    assert.equal(addressProblem('10.0.0.1', { livemode: true, policy: open }), null);
    assert.equal(addressProblem('::ffff:192.168.0.1', { livemode: true, policy: open }), null);
    // The metadata service and the like stay closed whatever the settings.
    assert.match(addressProblem('169.254.169.254', { livemode: true, policy: open }) ?? '', /link-local/);
    assert.match(addressProblem('0.0.0.0', { livemode: false, policy: open }) ?? '', /unspecified/);
    assert.equal(addressProblem(PUBLIC_IP, { livemode: true, policy: closed }), null);
    assert.equal(addressProblem('2606:4700:4700::1111', { livemode: true, policy: closed }), null);
  });

  test('a live endpoint whose name rebinds to 127.0.0.1 after creation is refused at delivery; nothing reaches the receiver', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    // Public when the endpoint is created, loopback from then on.
    dns.set('rebind.shop.example', [[PUBLIC_IP], ['127.0.0.1']]);
    const { status, body: endpoint } = await create(`http://rebind.shop.example:${port}/webhooks`, liveKey);
    assert.equal(status, 201, JSON.stringify(endpoint));
    lookups.length = 0;
    const attempt = await firstAttempt(endpoint, liveKey);
    assert.equal(attempt.succeeded, false);
    assert.equal(attempt.status_code, null);
    assert.match(
      attempt.error ?? '',
      /^forbidden address: rebind\.shop\.example resolves to a loopback address/,
    );
    assert.ok(lookups.includes('rebind.shop.example'), 'the attempt resolved the name itself');
    assert.equal(r.requests.length, 0);
  });

  test('the attempt connects to the address the guard resolved, with the URL host in Host (test mode, same fake name)', async () => {
    // The control for the test above: the fake resolver alone decides where the socket goes (the
    // name exists in no real DNS), so the guard sees exactly the address that is connected to.
    const r = await receiver();
    const port = new URL(r.url).port;
    dns.set('rebind.shop.example', [['127.0.0.1']]);
    const { body: endpoint } = await create(`http://rebind.shop.example:${port}/webhooks`);
    const attempt = await firstAttempt(endpoint, testKey);
    assert.equal(attempt.succeeded, true, attempt.error ?? '');
    assert.equal(r.requests.length, 1);
    assert.equal(r.requests[0]!.headers.host, `rebind.shop.example:${port}`);
  });

  test('a live endpoint stored with a loopback IP (allowed when it was made) is refused at delivery', async () => {
    const r = await receiver();
    const { body: endpoint } = await create(`https://${PUBLIC_IP}/hooks`, liveKey);
    // As if created under `allow_private_live_endpoints: true`, and the setting since turned off.
    await app.webhooks.store.db.query('UPDATE webhook_endpoints SET url = $2 WHERE id = $1', [
      endpoint.id,
      r.url,
    ]);
    const attempt = await firstAttempt(endpoint, liveKey);
    assert.equal(attempt.succeeded, false);
    assert.match(attempt.error ?? '', /^forbidden address: 127\.0\.0\.1 is a loopback address/);
    assert.equal(r.requests.length, 0);
  });

  test('a redirect is a failed attempt and is not followed', async () => {
    const target = await receiver();
    const requests: IncomingMessage[] = [];
    const redirector: Server = createServer((request, response) => {
      requests.push(request);
      request.resume();
      response.writeHead(302, { location: target.url }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          redirector.closeAllConnections();
          redirector.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hooks`;
    const { body: endpoint } = await create(url);
    const attempt = await firstAttempt(endpoint, testKey);
    assert.deepEqual([attempt.status_code, attempt.succeeded], [302, false]);
    assert.equal(requests.length, 1);
    assert.equal(target.requests.length, 0);
  });

  test('the attempt log keeps a short excerpt of the answer, control characters removed', async () => {
    const body = `\u001b[31mERROR\u001b[0m\r\n\u202eoops\u0000${'x'.repeat(2_000)}`;
    const r = await receiver(() => ({ status: 500, body }));
    const { body: endpoint } = await create(r.url);
    const attempt = await firstAttempt(endpoint, testKey);
    assert.equal(attempt.status_code, 500);
    const excerpt = attempt.response_excerpt ?? '';
    assert.ok(Buffer.byteLength(excerpt) <= RESPONSE_EXCERPT_BYTES, `${Buffer.byteLength(excerpt)} bytes`);
    assert.ok(RESPONSE_EXCERPT_BYTES <= 256);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(excerpt, /[\u0000-\u001f\u007f-\u009f\u202e]/);
    assert.match(excerpt, /^\[31mERROR \[0m oops x+$/);
    assert.equal(r.requests.length, 1);
  });
});
