/**
 * Two instances on one PostgreSQL database and one anvil node, as a scaled-out deployment runs them:
 * two compiled backends (the real entry point, child processes), each behind its own counting RPC
 * proxy. One leads the chain and watches it, the other follows and makes no chain call; a payment
 * the leader detects reaches an event stream opened on the follower; webhooks are sent once each by
 * whichever instance claims them; and when the leader is killed with SIGKILL the follower takes the
 * chain over and detects the payment made while nobody watched (it resumes from the stored cursor).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { formatUnits, type Address } from 'viem';
import type { BuyerSession, Session } from '@crypto-checkout/protocol';
import type { ReadinessReport } from '../../packages/server/src/readiness.js';
import { spawnBackend, type BackendProcess } from '../support/backend-process.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { startRpcCounter, type RpcCounter } from '../support/rpc-counter.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { callApi, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

/** The secrets' key of the backends this file starts on PostgreSQL, which requires one. */
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** The PostgreSQL server the test creates its throw-away database on. */
const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs `sql` on the server's `postgres` database. */
async function admin(sql: string): Promise<void> {
  const url = new URL(PG_SERVER_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `GET /ready`'s report (200 or 503 alike). */
async function ready(backend: BackendProcess): Promise<ReadinessReport> {
  return (await (await fetch(`${backend.url}/ready`)).json()) as ReadinessReport;
}

/** Reads the event stream of a session on `url` until a `session.paid` event arrives. */
async function streamUntilPaid(url: string, secretKey: string, id: string, signal: AbortSignal) {
  const response = await fetch(`${url}/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${secretKey}` },
    signal,
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) text += decoder.decode(value, { stream: true });
      if (text.includes('"type":"session.paid"')) return text;
      if (done) throw new Error(`the stream ended without session.paid:\n${text}`);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

describe('two instances on one PostgreSQL database', () => {
  let unavailable: string | null = null;
  let anvil: Anvil;
  let usdc: Address;
  const databases: string[] = [];
  /** A fresh, empty database on the server, dropped after the suite. */
  const freshDatabase = async () => {
    const name = `cc_instances_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(PG_SERVER_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const backends: BackendProcess[] = [];
  const counters: RpcCounter[] = [];
  const receivers: Receiver[] = [];

  before(async () => {
    try {
      await admin('SELECT 1');
    } catch (error) {
      const server = new URL(PG_SERVER_URL);
      unavailable = `PostgreSQL not reachable at ${server.hostname}:${server.port || '5432'} (${(error as Error).message}): SKIPPED`;
      console.warn(`\n${'*'.repeat(100)}\n*** ${unavailable}\n${'*'.repeat(100)}\n`);
      return;
    }
    anvil = await startAnvil();
    usdc = await deployTestToken(anvil.rpcUrl);
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.kill('SIGKILL')));
    await Promise.all(counters.map((c) => c.close()));
    await Promise.all(receivers.map((r) => r.close()));
    await anvil?.stop();
    for (const name of databases) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  test('one watches the chain, the other sees its payments and takes over when it is killed', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const databaseUrl = await freshDatabase();
    const secretKey = testSecretKey();
    const receiver = await startReceiver(() => 200);
    receivers.push(receiver);
    const env = (rpcUrl: string): Record<string, string> => ({
      DATABASE_URL: databaseUrl,
      // PostgreSQL needs the key set (no key file is derived for it): the same on every instance.
      CC_ENCRYPTION_KEY: ENCRYPTION_KEY,
      LOG_LEVEL: 'info',
      CC_SECRET_KEYS: secretKey,
      CC_XPUB: testMerchantWallet().xpub,
      CC_RATES: JSON.stringify({ ETH: '2000' }),
      CC_CHAINS: JSON.stringify([
        {
          key: 'anvil',
          id: 31337,
          name: 'Anvil (local)',
          rpc_url: rpcUrl,
          confirmations: 1,
          polling_interval_ms: 200,
          tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
        },
      ]),
      // Both poll for due deliveries often, so that both compete for every one.
      CC_WEBHOOKS: JSON.stringify({ poll_interval_ms: 50, timeout_ms: 2_500, lease_ms: 3_000 }),
    });
    // Each instance reaches the node through its own counting proxy: its chain calls are its own.
    const [viaLeader, viaFollower] = await Promise.all([
      startRpcCounter(anvil.rpcUrl),
      startRpcCounter(anvil.rpcUrl),
    ]);
    counters.push(viaLeader, viaFollower);

    // B starts first and leads; A follows (and says who leads).
    const b = await spawnBackend(env(viaLeader.url));
    backends.push(b);
    await waitFor(async () => (await ready(b)).chains[0]?.role === 'leader', 10_000, 'B to lead the chain');
    const a = await spawnBackend(env(viaFollower.url));
    backends.push(a);
    const followed = await waitFor(
      async () => {
        const report = await ready(a);
        return report.chains[0]?.role === 'follower' && report.chains[0].leader !== null && report;
      },
      10_000,
      'A to follow and name the leader',
    );
    assert.equal(followed.ready, true, 'a follower is ready: its chain is not stale');
    assert.ok(
      followed.chains[0]!.leader!.endsWith(`:${b.child.pid}`),
      `B leads: ${followed.chains[0]!.leader}`,
    );
    assert.ok(a.lines.some((line) => line.includes('another instance leads the chain')));
    assert.ok(b.lines.some((line) => line.includes('this instance leads the chain')));

    await callApi(a.url, secretKey, 'POST', '/v1/webhook_endpoints', { url: receiver.url });
    const payFor = async (url: string, orderId: string) => {
      const session = await callApi<Session>(url, secretKey, 'POST', '/v1/sessions', {
        amount: '12.50',
        currency: 'USD',
        order_id: orderId,
      });
      const buyer = await callApi<BuyerSession>(
        url,
        session.client_secret,
        'POST',
        `/v1/sessions/${session.id}/payment`,
        { method: 'usdc@anvil' },
      );
      const pay = () =>
        sendDevPayment(
          anvil.rpcUrl,
          buyer.payment!.address as Address,
          formatUnits(BigInt(buyer.payment!.amount_due_atomic), 6),
          { address: usdc, decimals: 6 },
        );
      return { session, pay };
    };
    const first = await payFor(b.url, 'instances-1');
    const second = await payFor(a.url, 'instances-2');

    // Blocks one at a time with two sessions watched, then a payment B detects and a stream opened
    // on A sees: only the leader calls the node.
    const head = async (backend: BackendProcess) => (await ready(backend)).chains[0]?.head ?? -1;
    let reached = await waitFor(
      async () => {
        const h = await head(b);
        return h >= 0 && h;
      },
      10_000,
      'B to read the head',
    );
    const [leaderBefore, followerBefore] = [viaLeader.calls, viaFollower.calls];
    const blocks = 10;
    for (let i = 0; i < blocks; i += 1) {
      await devClients(anvil.rpcUrl).test.mine({ blocks: 1 });
      reached = await waitFor(
        async () => {
          const h = await head(b);
          return h > reached && h;
        },
        10_000,
        'B to see the block',
      );
    }
    const stream = streamUntilPaid(a.url, secretKey, first.session.id, AbortSignal.timeout(20_000));
    await first.pay();
    const text = await stream;
    assert.match(text, /"type":"session\.paid"/);
    // The payment's block was scanned and recorded: every block of the window was.
    const leaderCalls = viaLeader.calls - leaderBefore;
    const followerCalls = viaFollower.calls - followerBefore;
    t.diagnostic(
      `${blocks + 1} blocks (with idle polls between them): leader ${leaderCalls} RPC calls ` +
        `(${(leaderCalls / (blocks + 1)).toFixed(1)} a block; ${JSON.stringify(Object.fromEntries(viaLeader.byMethod))} in all), follower ${followerCalls}`,
    );
    assert.ok(leaderCalls > 0);
    assert.equal(followerCalls, 0, 'the follower makes no chain call: both together make those of one');
    const paidEvents = () =>
      receiver.requests.filter((r) => r.body.toString().includes('"type":"session.paid"'));
    await waitFor(() => paidEvents().length >= 1, 10_000, 'the session.paid webhook');
    // More events, changed on either instance: both dispatchers compete for every delivery.
    for (let i = 0; i < 8; i += 1) {
      const on = i % 2 ? a : b;
      const session = await callApi<Session>(on.url, secretKey, 'POST', '/v1/sessions', {
        amount: '3.00',
        currency: 'USD',
        order_id: `instances-cancel-${i}`,
      });
      await callApi(on.url, secretKey, 'POST', `/v1/sessions/${session.id}/cancel`);
    }
    await waitFor(() => receiver.requests.length >= 9, 10_000, 'the webhooks of the cancellations');
    // Every event so far is delivered by one instance, once: no webhook-id twice.
    await waitFor(() => receiver.requests.every((r) => r.status !== null), 5_000, 'every request answered');
    const ids = receiver.requests.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, `each webhook once: ${ids.join(', ')}`);
    const types = receiver.requests.map((r) => (JSON.parse(r.body.toString()) as { type: string }).type);
    t.diagnostic(`webhooks before the kill: ${types.join(', ')}`);

    // The leader dies; a payment arrives while nobody watches; A takes over and finds it.
    await b.kill('SIGKILL');
    const killedAt = Date.now();
    await second.pay();
    await waitFor(
      async () => (await ready(a)).chains[0]?.role === 'leader',
      10_000,
      'A to take the chain over',
    );
    const takeover = Date.now() - killedAt;
    t.diagnostic(`A led ${takeover} ms after B was killed`);
    const paid = await waitFor(
      async () => {
        const s = await callApi<Session>(a.url, secretKey, 'GET', `/v1/sessions/${second.session.id}`);
        return s.status === 'paid' && s;
      },
      15_000,
      'A to detect the payment made while B was dead',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- A ---\n${a.tail()}`);
    });
    t.diagnostic(`payment made while no instance led detected ${Date.now() - killedAt} ms after the kill`);
    assert.equal(paid.transfers.length, 1);
    assert.ok(a.lines.some((line) => line.includes('this instance leads the chain')));
    // A resumed from B's cursor: it never started over from the head.
    assert.ok(!a.lines.some((line) => line.includes('"chain watcher starts"')), 'resumed from the cursor');
    await waitFor(() => paidEvents().length >= 2, 10_000, 'the second session.paid webhook');
    const report = await ready(a);
    assert.equal(report.ready, true);
    assert.ok(report.chains[0]!.leader!.endsWith(`:${a.child.pid}`));
  });

  test('a webhook attempt of an instance killed mid-attempt is sent again by the other', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const secretKey = testSecretKey();
    const env: Record<string, string> = {
      DATABASE_URL: await freshDatabase(),
      // PostgreSQL needs the key set (no key file is derived for it): the same on every instance.
      CC_ENCRYPTION_KEY: ENCRYPTION_KEY,
      LOG_LEVEL: 'info',
      CC_SECRET_KEYS: secretKey,
      CC_XPUB: testMerchantWallet().xpub,
      CC_RATES: JSON.stringify({ ETH: '2000' }),
      // No chain is needed: the status change is a cancellation.
      CC_CHAINS: JSON.stringify([
        { key: 'anvil', rpc_url: 'http://127.0.0.1:1', polling_interval_ms: 60_000 },
      ]),
      CC_WEBHOOKS: JSON.stringify({ poll_interval_ms: 50, timeout_ms: 2_500, lease_ms: 3_000 }),
    };
    // The first request is held open (the merchant is slow); every later one is answered 200.
    let held = false;
    const receiver = await startReceiver(() => {
      if (held) return 200;
      held = true;
      return 'hold';
    });
    receivers.push(receiver);
    // X alone runs at first, so the held attempt is X's.
    const x = await spawnBackend(env);
    backends.push(x);
    await callApi(x.url, secretKey, 'POST', '/v1/webhook_endpoints', { url: receiver.url });
    const session = await callApi<Session>(x.url, secretKey, 'POST', '/v1/sessions', {
      amount: '4.00',
      currency: 'USD',
      order_id: 'instances-held',
    });
    await callApi(x.url, secretKey, 'POST', `/v1/sessions/${session.id}/cancel`);
    await waitFor(() => receiver.requests.length === 1, 10_000, "X's attempt to arrive");
    const y = await spawnBackend(env);
    backends.push(y);
    await x.kill('SIGKILL');
    const killedAt = Date.now();
    // Y cannot claim it while X's lease runs; then it sends it, once more, with the same webhook-id.
    await waitFor(() => receiver.requests.some((r) => r.status === 200), 15_000, 'Y to send it again').catch(
      (error: Error) => {
        throw new Error(`${error.message}\n--- Y ---\n${y.tail()}`);
      },
    );
    t.diagnostic(`sent again by the other instance ${Date.now() - killedAt} ms after the kill`);
    const [first, again] = receiver.requests;
    assert.equal(receiver.requests.length, 2);
    assert.equal(again!.id, first!.id, 'the same webhook-id');
    assert.deepEqual(again!.body, first!.body, 'the same body');
  });
});
