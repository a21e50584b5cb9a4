import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { chainHeadReader } from '../../packages/server/src/chain/evm/chain-head.js';
import { parseConfig } from '../../packages/server/src/config.js';
import { Metrics } from '../../packages/server/src/metrics.js';
import { buildPricing } from '../../packages/server/src/rates/build-pricing.js';
import { buildTestApp, migratedPglite, testConfig } from '../support/app.js';
import { freePort } from '../support/chain.js';
import { pricingTestConfig, startRateServer } from '../support/rate-server.js';
import { recordSecrets, teeLogger } from '../support/logs.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { choose, waitFor } from '../support/wait.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

/** A histogram series: its labels (without `le`), buckets by `le`, sum and count. */
interface HistogramSeries {
  labels: Record<string, string>;
  /** Bucket counts by `le`, in the order of the text (ascending `le`). */
  buckets: Map<string, number>;
  sum: number;
  count: number;
}

/** Parsed metrics: every family by name, and the histograms' series by family name. */
interface Scrape {
  families: Map<string, ParsedFamily>;
  histograms: Map<string, HistogramSeries[]>;
}

/**
 * Parses Prometheus text with a parser library (which throws on a malformed sample or metadata
 * line), then checks that it accounted for every sample line, so that a line it skipped cannot pass.
 * The library folds every series of a histogram into one, dropping their labels; so a histogram's
 * `_bucket`, `_sum` and `_count` lines are parsed as untyped families of their own (its TYPE line is
 * taken out and checked here) and put back together by their labels.
 */
function parseMetrics(text: string): Scrape {
  const histogramNames = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((match) => match[1]!);
  const untyped = text
    .split('\n')
    .filter(
      (line) =>
        !histogramNames.some(
          (name) => line.startsWith(`# TYPE ${name} `) || line.startsWith(`# HELP ${name} `),
        ),
    )
    .join('\n');
  const parsed = parsePrometheusTextFormat(untyped);
  const sampleCount = parsed.reduce((n, family) => n + family.metrics.length, 0);
  const lines = text.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
  assert.equal(sampleCount, lines.length, 'every sample line parsed');
  // A histogram's series come one after another (buckets, sum, count, then the next series): the
  // parser starts a family at each change of name, so the pieces of one name are joined here.
  const families = new Map<string, ParsedFamily>();
  for (const family of parsed) {
    const seen = families.get(family.name);
    if (seen) seen.metrics.push(...family.metrics);
    else families.set(family.name, family);
  }
  const histograms = new Map<string, HistogramSeries[]>();
  for (const name of histogramNames) {
    const series = new Map<string, HistogramSeries>();
    const of = (labels: Record<string, string> = {}) => {
      const { le: _le, ...rest } = labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      let found = series.get(key);
      if (!found) series.set(key, (found = { labels: rest, buckets: new Map(), sum: NaN, count: NaN }));
      return found;
    };
    for (const sample of families.get(`${name}_bucket`)?.metrics ?? [])
      of(sample.labels).buckets.set(sample.labels!.le!, Number(sample.value));
    for (const sample of families.get(`${name}_sum`)?.metrics ?? [])
      of(sample.labels).sum = Number(sample.value);
    for (const sample of families.get(`${name}_count`)?.metrics ?? [])
      of(sample.labels).count = Number(sample.value);
    for (const one of series.values()) {
      // A histogram's buckets are cumulative and end with +Inf, which equals its count.
      const counts = [...one.buckets.values()];
      assert.ok(
        counts.every((c, i) => i === 0 || c >= counts[i - 1]!),
        `${name} buckets cumulative`,
      );
      assert.equal(one.buckets.get('+Inf'), one.count, `${name} +Inf bucket is the count`);
    }
    histograms.set(name, [...series.values()]);
  }
  return { families, histograms };
}

/** The value of a gauge or counter's sample whose labels include `labels`; `undefined` when none. */
function valueOf(
  { families }: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = families.get(name);
  assert.ok(family, `family ${name} present`);
  const sample = family.metrics.find((m) =>
    Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
  );
  return sample?.value === undefined ? undefined : Number(sample.value);
}

/** Opens an event stream over a real socket and resolves once its first event arrived. */
async function openStream(url: string): Promise<{ close(): void }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('data:')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended before its first event');
    text += Buffer.from(value).toString();
  }
  return { close: () => controller.abort() };
}

describe('metrics behind a token on the main port, after a real payment on anvil', () => {
  let stack: Stack;
  let receiver: Receiver;
  const token = randomBytes(24).toString('hex');
  recordSecrets(token);

  before(async () => {
    stack = await startStack({ config: { webhooks: { poll_interval_ms: 50 }, metrics: { token } } });
    receiver = await startReceiver();
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  const scrape = (authorization?: string) =>
    fetch(`${stack.apiUrl}/metrics`, { headers: authorization ? { authorization } : {} });

  test('answers 401 without the token or with a wrong one, in the API error body', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`,
      token,
      `Basic ${token}`,
    ]) {
      const response = await scrape(authorization);
      assert.equal(response.status, 401, String(authorization));
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  });

  test('carries every family with plausible values after create, choose, pay, a webhook and an open stream', async () => {
    const endpoint = await fetch(`${stack.apiUrl}/v1/webhook_endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    assert.equal(endpoint.status, 201);
    recordSecrets(((await endpoint.json()) as { secret: string }).secret);

    const session = await stack.createSession({ amount: '5.00' });
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    await stack.pay(buyer.payment!.address, '5');
    await stack.mine(1);
    await waitFor(
      () => receiver.requests.some((r) => r.body.toString().includes('"session.paid"')),
      15_000,
      'session.paid webhook delivered',
    );
    // A second session stays open, with a buyer's stream following it.
    const waiting = await stack.createSession({ amount: '1.00' });
    const stream = await openStream(
      `${stack.apiUrl}/v1/sessions/${waiting.id}/events?client_secret=${encodeURIComponent(waiting.client_secret)}`,
    );
    try {
      // The database gauges are reused for 5 s: an earlier test's scrape may still be the one served.
      await waitFor(
        async () => {
          const text = await (await scrape(`Bearer ${token}`)).text();
          return (
            valueOf(parseMetrics(text), 'crypto_checkout_sessions', { status: 'open', mode: 'test' }) === 1
          );
        },
        10_000,
        'the sessions gauge read after the second session was created',
      );
      const response = await scrape(`Bearer ${token}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      assert.ok(!text.includes(token), 'the token is not in the answer');
      const m = parseMetrics(text);

      // HTTP: by route pattern, never the raw URL (no session id in any label).
      assert.match(text, /^# TYPE crypto_checkout_http_request_duration_seconds histogram$/m);
      const http = m.histograms.get('crypto_checkout_http_request_duration_seconds')!;
      const created = http.find(
        (s) =>
          s.labels.route === '/v1/sessions' && s.labels.method === 'POST' && s.labels.status_class === '2xx',
      );
      assert.ok(
        created && created.count >= 2,
        `the two creates are counted: ${JSON.stringify(http.map((h) => [h.labels, h.count]))}`,
      );
      assert.ok(created.sum > 0 && created.sum < created.count * 10, `plausible seconds: ${created.sum}`);
      assert.ok(
        http.some((s) => s.labels.route === '/v1/sessions/:id/payment' && s.labels.status_class === '2xx'),
        'the choice is counted under its pattern',
      );
      assert.ok(!text.includes(session.id), 'no session id in a label');
      assert.ok(
        !http.some((s) => s.labels.route === '/v1/sessions/:id/events'),
        'the open stream is not timed',
      );

      // Sessions in play by status, read from the database; settled ones counted as they change.
      assert.equal(valueOf(m, 'crypto_checkout_sessions', { status: 'open', mode: 'test' }), 1);
      assert.equal(valueOf(m, 'crypto_checkout_sessions', { status: 'paid' }), undefined);
      assert.equal(valueOf(m, 'crypto_checkout_session_status_changes_total', { status: 'paid' }), 1);
      // Whether the watcher saw the transfer confirming before it was paid depends on when it looked
      // (one confirmation short, or already enough): at most once either way.
      const processing =
        valueOf(m, 'crypto_checkout_session_status_changes_total', { status: 'processing' }) ?? 0;
      assert.ok(processing <= 1, `processing counted ${processing} times`);

      // The watcher: head, processed block, lag, role, detection.
      const head = valueOf(m, 'crypto_checkout_chain_head_block', { chain: 'anvil' })!;
      const processed = valueOf(m, 'crypto_checkout_chain_processed_block', { chain: 'anvil' })!;
      assert.ok(head >= 3, `head ${head}`);
      assert.ok(processed >= 0 && processed <= head, `processed ${processed} of ${head}`);
      assert.equal(valueOf(m, 'crypto_checkout_chain_head_lag_blocks', { chain: 'anvil' }), head - processed);
      assert.equal(valueOf(m, 'crypto_checkout_chain_leader', { chain: 'anvil' }), 1);
      const last = valueOf(m, 'crypto_checkout_chain_last_success_timestamp_seconds', { chain: 'anvil' })!;
      assert.ok(Math.abs(last - Date.now() / 1000) < 60, 'the last contact is recent');
      const detection = m.families.get('crypto_checkout_chain_detection_mode')!.metrics;
      assert.equal(detection.filter((s) => s.value === '1').length, 1, 'one detection mode in use');

      // RPC: the watcher's calls by method, with their latency.
      const blockNumbers = valueOf(m, 'crypto_checkout_rpc_requests_total', {
        chain: 'anvil',
        method: 'eth_blockNumber',
      })!;
      assert.ok(blockNumbers >= 1, `eth_blockNumber ${blockNumbers}`);
      assert.ok(valueOf(m, 'crypto_checkout_rpc_requests_total', { method: 'eth_getLogs' })! >= 1);
      const rpcLatency = m.histograms
        .get('crypto_checkout_rpc_request_duration_seconds')!
        .find((s) => s.labels.method === 'eth_blockNumber')!;
      // Scraped after the counter: the watcher may have sent one more meanwhile.
      assert.ok(rpcLatency.count >= blockNumbers - 1 && rpcLatency.count <= blockNumbers + 1);
      assert.equal(m.families.get('crypto_checkout_rpc_errors_total')!.type, 'COUNTER');

      // Webhooks: the delivered attempts, and nothing left behind.
      // session.paid, and session.processing when the watcher saw the transfer before it was confirmed.
      const succeeded = valueOf(m, 'crypto_checkout_webhook_attempts_total', { outcome: 'succeeded' })!;
      assert.ok(succeeded >= 1 && succeeded <= 2, `succeeded attempts: ${succeeded}`);
      assert.equal(valueOf(m, 'crypto_checkout_webhook_deliveries_due'), 0);
      assert.ok(valueOf(m, 'crypto_checkout_webhook_deliveries_pending')! >= 0);
      assert.ok(valueOf(m, 'crypto_checkout_webhook_oldest_pending_age_seconds')! >= 0);

      // The open stream, the pool, the process.
      assert.equal(valueOf(m, 'crypto_checkout_sse_streams_open'), 1);
      assert.equal(valueOf(m, 'crypto_checkout_db_pool_connections_total', { database: 'pglite' }), 1);
      assert.ok(m.families.has('crypto_checkout_db_pool_connections_waiting'));
      assert.ok(valueOf(m, 'process_resident_memory_bytes')! > 10_000_000);
      assert.ok(m.families.has('nodejs_eventloop_lag_seconds'));
    } finally {
      stream.close();
    }
    // The stream's end is counted too.
    await waitFor(
      async () => {
        const m = parseMetrics(await (await scrape(`Bearer ${token}`)).text());
        return valueOf(m, 'crypto_checkout_sse_streams_open') === 0;
      },
      5_000,
      'the closed stream leaves the gauge',
    );
  });
});

describe('metrics on a port of their own', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ config: { metrics: { port: 0 } } });
  });
  after(() => stack?.stop());

  test('the metrics port serves /metrics without a token; the API port does not serve it', async () => {
    const metricsUrl = stack.server.metricsUrl;
    assert.ok(metricsUrl && metricsUrl !== stack.apiUrl);
    const response = await fetch(`${metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    const m = parseMetrics(await response.text());
    assert.ok(m.families.has('crypto_checkout_sessions'));
    assert.equal((await fetch(`${stack.apiUrl}/metrics`)).status, 404);
    assert.equal((await fetch(`${metricsUrl}/v1/sessions`)).status, 404);
  });

  test('with a token as well, the metrics port asks for it', async () => {
    const token = randomBytes(24).toString('hex');
    recordSecrets(token);
    const port = await freePort();
    const own = await startStack({ config: { metrics: { port, token } } });
    try {
      assert.equal(own.server.metricsUrl, `http://127.0.0.1:${port}`);
      assert.equal((await fetch(`${own.server.metricsUrl}/metrics`)).status, 401);
      const ok = await fetch(`${own.server.metricsUrl}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
    } finally {
      await own.stop();
    }
  });
});

describe('metrics configuration', () => {
  test('is off by default, and a token must be long', async () => {
    const app = await buildTestApp();
    try {
      assert.equal(app.metrics, null);
      assert.equal((await app.server.inject({ url: '/metrics' })).statusCode, 404);
    } finally {
      await app.close();
    }
    assert.throws(() => testConfig({ metrics: { token: 'short' } }), /metrics\.token/);
    assert.throws(() => testConfig({ metrics: { token: `${'a'.repeat(40)} b` } }), /metrics\.token/);
  });
});

describe('RPC errors', () => {
  test('a request to a node that does not answer counts as an error of its chain and method', async () => {
    const db = await migratedPglite();
    try {
      const metrics = new Metrics({ db, cacheMs: 0 });
      const closed = {
        ...parseConfig({
          xpub: testMerchantWallet().xpub,
          chains: [
            {
              key: 'down',
              id: 999,
              name: 'Down',
              rpc_url: `http://127.0.0.1:${await freePort()}`,
              confirmations: 1,
            },
          ],
        }).chains[0]!,
      };
      assert.equal(await chainHeadReader([closed], 500, metrics.observeRpc)(999), null);
      const m = parseMetrics(await metrics.render());
      assert.equal(
        valueOf(m, 'crypto_checkout_rpc_errors_total', { chain: 'down', method: 'eth_blockNumber' }),
        1,
      );
      assert.equal(
        valueOf(m, 'crypto_checkout_rpc_requests_total', { chain: 'down', method: 'eth_blockNumber' }),
        1,
      );
    } finally {
      await db.close();
    }
  });
});

describe('request ids and session ids in the logs', () => {
  /** A logger with the production options that keeps its lines, parsed. */
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    return { lines, logger: teeLogger('info', sink) };
  }

  test('every request line carries a request id, echoed in X-Request-Id; a sane incoming one is kept', async () => {
    const { lines, logger } = capture();
    const app = await buildTestApp({}, { logger });
    try {
      const kept = await app.server.inject({ url: '/health', headers: { 'x-request-id': 'lb-7f3a:01' } });
      assert.equal(kept.headers['x-request-id'], 'lb-7f3a:01');
      const fresh = await app.server.inject({ url: '/health' });
      assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      for (const insane of ['x'.repeat(129), 'a b', 'line\u00e9', `sk_test_${'a'.repeat(24)}`]) {
        const answer = await app.server.inject({ url: '/health', headers: { 'x-request-id': insane } });
        assert.match(String(answer.headers['x-request-id']), /^[0-9a-f-]{36}$/, insane);
      }
      const requests = lines.filter((line) => line.msg === 'request');
      assert.equal(requests.length, 6);
      assert.equal(requests[0]!.request_id, 'lb-7f3a:01');
      assert.equal(requests[1]!.request_id, fresh.headers['x-request-id']);
      assert.ok(!JSON.stringify(lines).includes('sk_test_aaaa'), 'a secret-shaped id is never logged');
    } finally {
      await app.close();
    }
  });

  test("a session's requests carry its id on every line, from its creation on", async () => {
    const { lines, logger } = capture();
    const app = await buildTestApp({}, { logger });
    try {
      const session = await app.createSession();
      const read = await app.server.inject({
        url: `/v1/sessions/${session.id}`,
        headers: { authorization: `Bearer ${session.client_secret}` },
      });
      assert.equal(read.statusCode, 200);
      const cancel = await app.server.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/cancel`,
        headers: { authorization: `Bearer ${app.secretKey}` },
      });
      assert.equal(cancel.statusCode, 200);
      const unknown = await app.server.inject({
        url: '/v1/sessions/not-a-session-id',
        headers: { authorization: `Bearer ${app.secretKey}` },
      });
      assert.ok(unknown.statusCode >= 400);
      const requests = lines.filter((line) => line.msg === 'request');
      assert.deepEqual(
        requests.map((line) => [line.route, line.session_id]),
        [
          ['/v1/sessions', session.id],
          ['/v1/sessions/:id', session.id],
          ['/v1/sessions/:id/cancel', session.id],
          ['/v1/sessions/:id', undefined],
        ],
      );
      assert.ok(requests.every((line) => typeof line.request_id === 'string'));
    } finally {
      await app.close();
    }
  });
});

describe('rate sources', () => {
  test("each market-data source's requests, last success and latency, from the aggregator's own records", async () => {
    const server = await startRateServer();
    const db = await migratedPglite();
    try {
      server.set('kraken', { status: 502 });
      const pricing = buildPricing(pricingTestConfig({ pricing: server.pricing() }, false));
      const metrics = new Metrics({ db, cacheMs: 0, rates: pricing.stats });
      await pricing.pricer.rate({ token: 'ETH', peg: null }, 'USD');
      const m = parseMetrics(await metrics.render());
      const requests = (source: string, outcome: string) =>
        valueOf(m, 'crypto_checkout_rate_source_requests_total', { source, outcome });
      assert.equal(requests('coinbase', 'ok'), 1);
      assert.equal(requests('coinbase', 'error'), 0);
      assert.equal(requests('kraken', 'ok'), 0);
      assert.equal(requests('kraken', 'error'), 1);
      const lastOk = valueOf(m, 'crypto_checkout_rate_source_last_success_timestamp_seconds', {
        source: 'coinbase',
      });
      assert.ok(
        lastOk && Math.abs(lastOk - Date.now() / 1000) < 60,
        `coinbase's last success is recent: ${lastOk}`,
      );
      assert.equal(
        m.families
          .get('crypto_checkout_rate_source_last_success_timestamp_seconds')!
          .metrics.some((s) => s.labels?.source === 'kraken'),
        false,
        'no success time for a source that never answered',
      );
      const latency = valueOf(m, 'crypto_checkout_rate_source_latency_seconds', { source: 'coinbase' });
      assert.ok(latency !== undefined && latency >= 0 && latency < 10, `latency ${latency}`);
    } finally {
      await db.close();
      await server.close();
    }
  });
});
