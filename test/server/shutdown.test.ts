import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ErrorBody, Session, WebhookEvent, WebhookEventList } from '@crypto-checkout/protocol';
import { spawnBackend, type BackendProcess } from '../support/backend-process.js';
import { startStack, testMerchantWallet, testSecretKey } from '../support/stack.js';
import { callApi, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

/**
 * Graceful shutdown of the real backend (the compiled `dist/main.js`, a child process): SIGTERM
 * while a request is still uploading, an event stream is open and a webhook attempt waits for a
 * slow merchant. What is in flight finishes, streams end with a reconnect hint, new connections are
 * refused, and the process exits 0 within `shutdown_timeout_ms`; what does not finish in time is cut
 * off at the deadline and handed back.
 */

/** The duration the backend logged for its own shutdown (`shut down`, `ms`), or `null`. */
function loggedShutdownMs(backend: BackendProcess): number | null {
  const line = backend.lines.find((l) => l.includes('"msg":"shut down"'));
  return line ? (JSON.parse(line) as { ms: number }).ms : null;
}

/** A port nothing listens on now: the backend is given it, so that the test knows where to probe. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a brand-new TCP connection to `port` is accepted (`true`) or refused (`false`). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' ? resolve(false) : reject(error),
    );
  });
}

/**
 * `POST /v1/sessions` whose body arrives in two parts: the first now, the rest when `finish()` is
 * called. Until then the request is in flight on the server.
 */
function slowCreate(url: string, key: string, body: object) {
  const bytes = Buffer.from(JSON.stringify(body));
  const request = httpRequest(`${url}/v1/sessions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'content-length': String(bytes.length),
    },
  });
  const answered = new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve, reject) => {
      request.once('error', reject);
      request.once('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.once('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: text }),
        );
        response.once('error', reject);
      });
    },
  );
  request.write(bytes.subarray(0, 10));
  return { answered, finish: () => request.end(bytes.subarray(10)) };
}

/** An event stream, read to its end in the background. */
async function openStream(url: string, key: string, id: string) {
  const response = await fetch(`${url}/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(response.status, 200);
  let text = '';
  const decoder = new TextDecoder();
  const reader = response.body!.getReader();
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) text += decoder.decode(value, { stream: true });
      if (done) return Date.now();
    }
  })();
  return { text: () => text, ended };
}

describe('graceful shutdown (SIGTERM)', () => {
  const dirs: string[] = [];
  const backends: BackendProcess[] = [];
  const receivers: Receiver[] = [];
  after(async () => {
    for (const backend of backends) await backend.kill('SIGKILL');
    await Promise.all(receivers.map((r) => r.close()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** A backend on PGlite in a fresh folder, with no reachable chain (none is needed). */
  async function start(shutdownTimeoutMs: number) {
    const dir = await mkdtemp(join(tmpdir(), 'cc-shutdown-'));
    dirs.push(dir);
    const secretKey = testSecretKey();
    const port = await freePort();
    const env = {
      CC_DATA_DIR: dir,
      PORT: String(port),
      LOG_LEVEL: 'info',
      CC_SECRET_KEYS: secretKey,
      CC_XPUB: testMerchantWallet().xpub,
      CC_RATES: JSON.stringify({ ETH: '2000' }),
      CC_CHAINS: JSON.stringify([
        { key: 'anvil', rpc_url: 'http://127.0.0.1:1', polling_interval_ms: 60_000 },
      ]),
      CC_WEBHOOKS: JSON.stringify({ poll_interval_ms: 50, timeout_ms: 20_000, lease_ms: 30_000 }),
      CC_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    };
    const backend = await spawnBackend(env);
    backends.push(backend);
    return { backend, env, port, secretKey, url: backend.url };
  }

  /** The session.canceled event of `sessionId`, with its delivery, once its attempt is logged. */
  async function canceledEvent(url: string, key: string, sessionId: string) {
    const list = await callApi<WebhookEventList>(
      url,
      key,
      'GET',
      `/v1/webhook_events?session_id=${sessionId}`,
    );
    assert.equal(list.data.length, 1);
    return callApi<WebhookEvent>(url, key, 'GET', `/v1/webhook_events/${list.data[0]!.id}`);
  }

  test('what is in flight finishes, streams end with a retry hint, new connections are refused, exit 0 within the bound', async (t) => {
    const BOUND_MS = 8_000;
    const MERCHANT_DELAY_MS = 2_000;
    const { backend, env, port, secretKey, url } = await start(BOUND_MS);
    const receiver = await startReceiver(() => ({ status: 200, delayMs: MERCHANT_DELAY_MS }));
    receivers.push(receiver);
    await callApi(url, secretKey, 'POST', '/v1/webhook_endpoints', { url: receiver.url });

    // An open stream (on a session still waiting for payment), …
    const watched = await callApi<Session>(url, secretKey, 'POST', '/v1/sessions', {
      amount: '5.00',
      currency: 'USD',
    });
    const stream = await openStream(url, secretKey, watched.id);
    await waitFor(() => stream.text().includes('data: '), 5_000, 'the stream to send the current state');
    // … a webhook attempt waiting for a slow merchant, …
    const canceled = await callApi<Session>(url, secretKey, 'POST', '/v1/sessions', {
      amount: '6.00',
      currency: 'USD',
    });
    await callApi(url, secretKey, 'POST', `/v1/sessions/${canceled.id}/cancel`);
    await waitFor(() => receiver.requests.length === 1, 10_000, 'the webhook attempt to reach the merchant');
    // … and a request whose body is still arriving.
    const slow = slowCreate(url, secretKey, { amount: '7.00', currency: 'USD', order_id: 'in-flight' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // let its first bytes reach the server

    const signalled = Date.now();
    backend.child.kill('SIGTERM');
    const refusedAt = await waitFor(
      async () => ((await accepts(port)) ? null : Date.now()),
      5_000,
      'new connections to be refused',
    );
    const streamEndedAt = await stream.ended;
    // The rest of the body arrives after the signal: the request still completes.
    slow.finish();
    const answer = await slow.answered;
    const answeredAt = Date.now();
    await backend.exited;
    const exitedAt = Date.now();
    t.diagnostic(
      `after SIGTERM: connections refused in ${refusedAt - signalled} ms, stream ended in ${streamEndedAt - signalled} ms, ` +
        `in-flight request answered in ${answeredAt - signalled} ms, exit ${backend.child.exitCode} in ${exitedAt - signalled} ms ` +
        `(bound ${BOUND_MS} ms, merchant answers after ${MERCHANT_DELAY_MS} ms; ` +
        `the server's own stop() took ${loggedShutdownMs(backend)} ms)`,
    );

    assert.equal(backend.child.exitCode, 0, backend.tail());
    assert.ok(exitedAt - signalled < BOUND_MS, `exited ${exitedAt - signalled} ms after SIGTERM`);
    assert.equal(answer.status, 201, answer.body);
    assert.equal((JSON.parse(answer.body) as Session).order_id, 'in-flight');
    assert.equal(answer.headers.connection, 'close', 'the answer tells the client to go');
    // The stream's last message is the reconnect hint, and it came at once, not at the deadline.
    assert.match(stream.text(), /retry: 5000\n\n$/);
    assert.ok(
      streamEndedAt - signalled < 1_000,
      `the stream ended ${streamEndedAt - signalled} ms after SIGTERM`,
    );
    // The merchant's slow answer was awaited: the attempt succeeded before the exit.
    assert.equal(receiver.requests[0]!.status, 200);
    assert.ok(exitedAt - signalled >= MERCHANT_DELAY_MS - 500, 'the exit waited for the webhook attempt');
    const lines = backend.lines.join('\n');
    assert.match(lines, /"msg":"webhook delivered"/);
    assert.match(lines, /"msg":"shut down"/);
    assert.doesNotMatch(lines, /shutdown deadline reached/);

    // On the same store, the delivery is recorded as succeeded with one attempt: nothing is sent again.
    const again = await spawnBackend(env);
    backends.push(again);
    const event = await canceledEvent(again.url, secretKey, canceled.id);
    assert.deepEqual(
      event.deliveries.map((d) => [d.status, d.attempts]),
      [['succeeded', 1]],
    );
    // With nothing in flight, a shutdown takes about as long as closing the database.
    const idleSignalled = Date.now();
    await again.kill('SIGTERM');
    t.diagnostic(
      `idle: exit ${again.child.exitCode} ${Date.now() - idleSignalled} ms after SIGTERM ` +
        `(the server's own stop() took ${loggedShutdownMs(again)} ms)`,
    );
    assert.equal(again.child.exitCode, 0, again.tail());
    assert.equal(receiver.requests.length, 1);
  });

  test('what does not finish within the bound is cut off at the deadline: exit 0, the webhook is handed back and sent again', async (t) => {
    const BOUND_MS = 1_500;
    const { backend, env, secretKey, url } = await start(BOUND_MS);
    // The merchant never answers the first attempt; it answers later ones at once.
    const receiver = await startReceiver((request) => (receiver.requests[0] === request ? 'hold' : 200));
    receivers.push(receiver);
    await callApi(url, secretKey, 'POST', '/v1/webhook_endpoints', { url: receiver.url });
    const canceled = await callApi<Session>(url, secretKey, 'POST', '/v1/sessions', {
      amount: '6.00',
      currency: 'USD',
    });
    await callApi(url, secretKey, 'POST', `/v1/sessions/${canceled.id}/cancel`);
    await waitFor(() => receiver.requests.length === 1, 10_000, 'the webhook attempt to reach the merchant');
    // A request that never finishes uploading.
    const stuck = slowCreate(url, secretKey, { amount: '7.00', currency: 'USD' });
    const stuckOutcome = stuck.answered.then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const signalled = Date.now();
    backend.child.kill('SIGTERM');
    await backend.exited;
    const elapsed = Date.now() - signalled;
    t.diagnostic(
      `exit ${backend.child.exitCode} ${elapsed} ms after SIGTERM (bound ${BOUND_MS} ms; ` +
        `the server's own stop() took ${loggedShutdownMs(backend)} ms)`,
    );
    assert.equal(backend.child.exitCode, 0, backend.tail());
    assert.ok(elapsed >= BOUND_MS - 100, `waited for the bound (${elapsed} ms)`);
    assert.ok(elapsed < BOUND_MS + 3_000, `but not much longer (${elapsed} ms)`);
    assert.equal(await stuckOutcome, 'ECONNRESET', 'the unfinished request was cut off');
    assert.match(backend.lines.join('\n'), /shutdown deadline reached/);

    // The aborted attempt was handed back uncounted: after a restart it is sent again, same webhook-id.
    const again = await spawnBackend(env);
    backends.push(again);
    await waitFor(() => receiver.requests.some((r) => r.status === 200), 10_000, 'the webhook sent again');
    const [first, second] = receiver.requests;
    assert.equal(second!.id, first!.id);
    const event = await waitFor(async () => {
      const e = await canceledEvent(again.url, secretKey, canceled.id);
      return e.deliveries[0]!.status === 'succeeded' ? e : null;
    }, 5_000);
    assert.equal(event.deliveries[0]!.attempts, 1, 'the interrupted attempt does not count');
    await again.kill('SIGTERM');
    assert.equal(again.child.exitCode, 0, again.tail());
  });
});

describe('a request that arrives during the drain', () => {
  test('answers 503 shutting_down with Retry-After and the API error body, not Fastify’s own', async () => {
    const stack = await startStack({ confirmations: 1 });
    try {
      const stopped = stack.server.stop();
      // stop() has begun draining synchronously; a request on a connection that is still open (here
      // injected, which keeps no socket) is refused while the in-flight ones finish.
      const response = await stack.server.app.server.inject({ method: 'GET', url: '/health' });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '5');
      assert.equal(response.headers.connection, 'close');
      assert.equal((response.json() as ErrorBody).error.code, 'shutting_down');
      await stopped;
    } finally {
      await stack.stop();
    }
  });
});
