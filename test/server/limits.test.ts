import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import type { ErrorBody, Session } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { ConfigError, loadConfig, type ConfigInput } from '../../packages/server/src/config.js';
import { buildTestApp, migratedPglite, testConfig, testSecretBox, type TestApp } from '../support/app.js';
import { testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';
import { testLogger } from '../support/logs.js';

/**
 * Limits against abuse (docs/operations.md → Limits): rate limits per secret key, session and IP
 * address, failed authentications per address, body limits per route, the header timeout against
 * slow clients, the connection cap, the event-stream caps, and load shedding. The socket-level ones
 * run on a real listening server (port 0).
 */

/** An app listening on 127.0.0.1 (port 0), with its URL. */
interface Listening extends App {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function listen(limits: ConfigInput['limits'], heartbeatMs = 15_000): Promise<Listening> {
  const db = await migratedPglite();
  const app = await buildApp({
    config: testConfig({ secret_keys: [SECRET_KEY], limits }),
    db,
    secrets: testSecretBox,
    logger: testLogger(),
    heartbeatMs,
  });
  const address = await app.server.listen({ host: '127.0.0.1', port: 0 });
  return {
    ...app,
    url: address,
    port: Number(new URL(address).port),
    async close() {
      app.server.server.closeAllConnections();
      await app.server.close();
      await db.close();
    },
  };
}

/** The secret key of the listening apps. */
const SECRET_KEY = testSecretKey();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Creates a session over HTTP. */
async function createSession(url: string): Promise<Session> {
  const response = await fetch(`${url}/v1/sessions`, {
    method: 'POST',
    headers: { ...bearer(SECRET_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ amount: '10.00', currency: 'USD' }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Session;
}

/** An event stream as raw HTTP: its status, headers, what arrived so far, and whether it ended. */
interface RawStream {
  status: number;
  headers: IncomingMessage['headers'];
  text: () => string;
  ended: () => boolean;
  close(): void;
}

function openStream(url: string): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent: false });
    request.once('error', reject);
    request.once('response', (response) => {
      let text = '';
      let ended = false;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('close', () => (ended = true));
      resolve({
        status: response.statusCode!,
        headers: response.headers,
        text: () => text,
        ended: () => ended,
        close: () => request.destroy(),
      });
    });
    request.end();
  });
}

describe('limits configuration', () => {
  test('defaults, the environment overlay, and a headers timeout longer than the request timeout refused', () => {
    const defaults = testConfig().limits;
    assert.equal(defaults.body_limit_bytes, 64 * 1024);
    assert.equal(defaults.small_body_limit_bytes, 8 * 1024);
    assert.equal(defaults.headers_timeout_ms, 10_000);
    assert.equal(defaults.request_timeout_ms, 30_000);
    assert.equal(defaults.keep_alive_timeout_ms, 5_000);
    const env = {
      CC_SECRET_KEYS: SECRET_KEY,
      CC_XPUB: testConfig().xpub,
      CC_CHAINS: JSON.stringify([{ key: 'base', rpc_url: 'https://base.example' }]),
    };
    const config = loadConfig({
      ...env,
      CC_LIMITS: JSON.stringify({ rate_limits: { merchant: 10 }, max_connections: 0 }),
      CC_READY: JSON.stringify({ webhook_backlog_max: 5 }),
    });
    assert.equal(config.limits.rate_limits.merchant, 10);
    assert.equal(config.limits.rate_limits.client, 120);
    assert.equal(config.limits.rate_limits.enabled, true);
    assert.equal(config.limits.max_connections, 0);
    assert.equal(config.ready.webhook_backlog_max, 5);
    assert.throws(
      () => loadConfig({ ...env, CC_LIMITS: JSON.stringify({ headers_timeout_ms: 40_000 }) }),
      (error: Error) =>
        error instanceof ConfigError &&
        /limits\.headers_timeout_ms: \(from CC_LIMITS\) must be at most request_timeout_ms/.test(
          error.message,
        ),
    );
  });
});

describe('rate limits', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });
  const build = async (rateLimits: Record<string, unknown>) => {
    const app = await buildTestApp({ limits: { rate_limits: { window_ms: 1_000, ...rateLimits } } });
    apps.push(app);
    return app;
  };

  test('a secret key past its limit answers 429 rate_limited with Retry-After, then recovers', async () => {
    const app = await build({ enabled: true, merchant: 3 });
    const list = () =>
      app.server.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(app.secretKey) });
    for (let i = 0; i < 3; i++) assert.equal((await list()).statusCode, 200);
    const refused = await list();
    assert.equal(refused.statusCode, 429);
    const body = refused.json<ErrorBody>();
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /more than 3 requests/);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.equal(retryAfter, 1, 'a 1 s window is over within 1 s');
    // The health probe is never limited.
    assert.equal((await app.server.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    await waitFor(async () => (await list()).statusCode === 200, 10_000, 'the window to pass');
  });

  test('a buyer is counted per session, apart from the merchant and from other sessions', async () => {
    const app = await build({ enabled: true, client: 2 });
    const [one, two] = [await app.createSession(), await app.createSession()];
    const read = (id: string, token: string) =>
      app.server.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: bearer(token) });
    assert.equal((await read(one.id, one.client_secret)).statusCode, 200);
    assert.equal((await read(one.id, one.client_secret)).statusCode, 200);
    const refused = await read(one.id, one.client_secret);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json<ErrorBody>().error.code, 'rate_limited');
    assert.ok(refused.headers['retry-after']);
    // Another session's buyer and the merchant, on the same session, have their own counters.
    assert.equal((await read(two.id, two.client_secret)).statusCode, 200);
    assert.equal((await read(one.id, app.secretKey)).statusCode, 200);
  });

  test('the public pages are counted per IP address', async () => {
    const app = await build({ enabled: true, public: 2 });
    const get = (remoteAddress: string) =>
      app.server.inject({ method: 'GET', url: '/openapi.json', remoteAddress });
    assert.equal((await get('203.0.113.1')).statusCode, 200);
    assert.equal((await get('203.0.113.1')).statusCode, 200);
    assert.equal((await get('203.0.113.1')).statusCode, 429);
    assert.equal((await get('203.0.113.2')).statusCode, 200);
  });

  test('failed authentications block the address, even with a right key, until the window ends', async () => {
    const app = await build({ enabled: true, auth_failures: 3 });
    const list = (token: string, remoteAddress = '198.51.100.7') =>
      app.server.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(token), remoteAddress });
    const wrong = `sk_test_${'x'.repeat(30)}`;
    for (let i = 0; i < 3; i++) assert.equal((await list(wrong)).statusCode, 401);
    const blocked = await list(app.secretKey);
    assert.equal(blocked.statusCode, 429);
    assert.match(blocked.json<ErrorBody>().error.message, /failed authentications/);
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    // Another address is not affected.
    assert.equal((await list(app.secretKey, '198.51.100.8')).statusCode, 200);
    await waitFor(async () => (await list(app.secretKey)).statusCode === 200, 10_000, 'the block to end');
  });

  test('rate limits can be turned off', async () => {
    const app = await buildTestApp({ limits: { rate_limits: { enabled: false, merchant: 1 } } });
    apps.push(app);
    for (let i = 0; i < 5; i++) {
      const response = await app.server.inject({
        method: 'GET',
        url: '/v1/sessions',
        headers: bearer(app.secretKey),
      });
      assert.equal(response.statusCode, 200);
    }
  });
});

describe('body limits', () => {
  let app: TestApp;
  after(() => app?.close());

  test('a small-bodied route answers 413 past 8 KB; session creation takes up to 64 KB', async () => {
    app = await buildTestApp();
    const session = await app.createSession();
    const post = (url: string, payload: object) =>
      app.server.inject({
        method: 'POST',
        url,
        headers: { ...bearer(app.secretKey), 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
    const cancel = await post(`/v1/sessions/${session.id}/cancel`, { padding: 'x'.repeat(9 * 1024) });
    assert.equal(cancel.statusCode, 413);
    assert.equal(cancel.json<ErrorBody>().error.code, 'payload_too_large');
    assert.match(cancel.json<ErrorBody>().error.message, /larger than 8 KB/);
    const endpoint = await post('/v1/webhook_endpoints', {
      url: 'https://shop.example/hook',
      description: 'x'.repeat(9 * 1024),
    });
    assert.equal(endpoint.statusCode, 413);
    // 20 KB of metadata is past the small limit but within session creation's: not a 413.
    const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(490)]));
    const large = await post('/v1/sessions', { amount: '1.00', currency: 'USD', metadata });
    assert.notEqual(large.statusCode, 413, large.body);
    const tooLarge = await post('/v1/sessions', {
      amount: '1.00',
      currency: 'USD',
      x: 'y'.repeat(65 * 1024),
    });
    assert.equal(tooLarge.statusCode, 413);
    assert.match(tooLarge.json<ErrorBody>().error.message, /larger than 64 KB/);
  });
});

describe('load shedding', () => {
  let app: TestApp;
  let blocker: NodeJS.Timeout | undefined;
  after(async () => {
    clearInterval(blocker);
    await app?.close();
  });

  test('a saturated event loop sheds requests with 503 overloaded; /health answers, /ready says why', async () => {
    app = await buildTestApp({
      limits: {
        load_shedding: {
          enabled: true,
          max_event_loop_utilization: 0.5,
          sample_interval_ms: 200,
          retry_after_seconds: 7,
        },
      },
    });
    const get = (url: string) => app.server.inject({ method: 'GET', url });
    assert.equal((await get('/openapi.json')).statusCode, 200);
    // Busy 90 % of the time: every sample of the event loop's utilisation is far above 0.5.
    blocker = setInterval(() => {
      const until = Date.now() + 90;
      while (Date.now() < until);
    }, 100);
    const shed = await waitFor(
      async () => {
        const response = await get('/openapi.json');
        return response.statusCode === 503 && response;
      },
      20_000,
      'a request to be shed',
    );
    assert.equal(shed.json<ErrorBody>().error.code, 'overloaded');
    assert.equal(shed.headers['retry-after'], '7');
    assert.equal(app.server.isUnderPressure(), true);
    assert.equal((await get('/health')).statusCode, 200);
    const ready = await get('/ready');
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(
      ready.json<{ reasons: { check: string }[] }>().reasons.map((r) => r.check),
      ['overloaded'],
    );
    clearInterval(blocker);
    await waitFor(async () => (await get('/openapi.json')).statusCode === 200, 20_000, 'recovery');
  });
});

describe('slow clients, connections and event streams (real sockets)', () => {
  const servers: Listening[] = [];
  const sockets: Socket[] = [];
  after(async () => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) await server.close();
  });

  test('slow-header sockets are closed within the header timeout while normal requests succeed', async (t) => {
    const headersTimeoutMs = 2_000;
    const server = await listen({ headers_timeout_ms: headersTimeoutMs, request_timeout_ms: 5_000 });
    servers.push(server);
    const count = 200;
    const started = Date.now();
    const held: Promise<{ ms: number; answer: string }>[] = [];
    const drips: NodeJS.Timeout[] = [];
    for (let i = 0; i < count; i++) {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      sockets.push(socket);
      socket.on('error', () => undefined);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
      // One header byte a second, never the end of the headers.
      drips.push(setInterval(() => socket.writable && socket.write('a'), 1_000));
      held.push(
        new Promise((resolve) => socket.once('close', () => resolve({ ms: Date.now() - started, answer }))),
      );
    }
    // During the attack, ordinary requests are answered.
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/health`);
      assert.equal(response.status, 200);
    }
    const results = await Promise.all(held);
    for (const drip of drips) clearInterval(drip);
    const longest = Math.max(...results.map((r) => r.ms));
    t.diagnostic(
      `${count} slow-header sockets: closed after ${Math.min(...results.map((r) => r.ms))}–${longest} ms (headers timeout ${headersTimeoutMs} ms)`,
    );
    // Generous bound on a noisy machine: the timeout, the 200 ms check interval and scheduling.
    assert.ok(longest < headersTimeoutMs + 5_000, `the slowest socket was held ${longest} ms`);
    assert.ok(
      results.every((r) => r.ms >= headersTimeoutMs - 100),
      'none closed before the timeout',
    );
    // Each was told why, with the API's error body.
    assert.ok(
      results.every((r) => r.answer.startsWith('HTTP/1.1 408') && r.answer.includes('"request_timeout"')),
    );
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('past max_connections new connections are closed at once; a freed slot takes one again', async () => {
    const server = await listen({ max_connections: 5 });
    servers.push(server);
    const idle: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      sockets.push(socket);
      idle.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
    }
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => server.server.server.getConnections((_, n) => resolve(n === 5))),
      10_000,
      'the server to hold 5 connections',
    );
    /** Sends one request on a new connection: the answer's first line, or `null` when closed unanswered. */
    const probe = () =>
      new Promise<string | null>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: server.port });
        let answer = '';
        socket.on('error', () => undefined);
        socket.on('data', (chunk: Buffer) => {
          answer += chunk.toString();
          if (answer.includes('\r\n')) socket.destroy();
        });
        socket.once('close', () => resolve(answer ? answer.split('\r\n', 1)[0]! : null));
        socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      });
    assert.equal(await probe(), null);
    idle[0]!.destroy();
    await waitFor(async () => (await probe()) === 'HTTP/1.1 200 OK', 10_000, 'a freed slot');
  });

  test('event streams are capped per session (429) and per process (503), with Retry-After', async () => {
    const server = await listen({ max_streams_per_session: 1, max_streams: 2 });
    servers.push(server);
    const [a, b, c] = [
      await createSession(server.url),
      await createSession(server.url),
      await createSession(server.url),
    ];
    const events = (s: Session) =>
      `${server.url}/v1/sessions/${s.id}/events?client_secret=${encodeURIComponent(s.client_secret)}`;
    const streams: RawStream[] = [];
    try {
      const first = await openStream(events(a));
      streams.push(first);
      assert.equal(first.status, 200);
      const again = await openStream(events(a));
      streams.push(again);
      assert.equal(again.status, 429);
      assert.ok(Number(again.headers['retry-after']) >= 1);
      await waitFor(() => again.ended(), 5_000, 'the refusal to end');
      assert.equal((JSON.parse(again.text()) as ErrorBody).error.code, 'rate_limited');
      const other = await openStream(events(b));
      streams.push(other);
      assert.equal(other.status, 200);
      const third = await openStream(events(c));
      streams.push(third);
      assert.equal(third.status, 503);
      await waitFor(() => third.ended(), 5_000, 'the refusal to end');
      assert.equal((JSON.parse(third.text()) as ErrorBody).error.code, 'overloaded');
      assert.ok(Number(third.headers['retry-after']) >= 1);
      // A stream that closes frees its place.
      first.close();
      const later = await waitFor(
        async () => {
          const stream = await openStream(events(c));
          streams.push(stream);
          return stream.status === 200 && stream;
        },
        10_000,
        'a freed stream slot',
      );
      assert.equal(later.status, 200);
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  test('request_timeout does not cut an event stream', async () => {
    const server = await listen({ headers_timeout_ms: 1_000, request_timeout_ms: 1_000 }, 100);
    servers.push(server);
    const session = await createSession(server.url);
    const stream = await openStream(
      `${server.url}/v1/sessions/${session.id}/events?client_secret=${encodeURIComponent(session.client_secret)}`,
    );
    try {
      assert.equal(stream.status, 200);
      const started = Date.now();
      // 30 heartbeats 100 ms apart: at least 3 s, three times the request timeout (checked every 100 ms).
      await waitFor(() => stream.text().split(': heartbeat').length > 30, 30_000, '30 heartbeats');
      assert.equal(stream.ended(), false);
      assert.ok(Date.now() - started >= 2_900);
    } finally {
      stream.close();
    }
  });
});
