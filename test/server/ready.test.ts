import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, describe, test } from 'node:test';
import { buildApp } from '../../packages/server/src/app.js';
import { chainStaleMs, type ReadinessReport } from '../../packages/server/src/readiness.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { openPglite, type Database } from '../../packages/server/src/store/database.js';
import { buildTestApp, migratedPglite, testConfig, testSecretBox, type TestApp } from '../support/app.js';
import { freePort, startAnvil, type Anvil } from '../support/chain.js';
import { waitFor } from '../support/wait-for.js';
import { testLogger } from '../support/logs.js';

/**
 * `GET /ready`, the readiness probe (docs/operations.md → Health and readiness): 200 with details,
 * or 503 naming what fails — the database, a chain whose node the watcher cannot reach, a webhook
 * backlog past its bound — while `GET /health` stays the liveness probe.
 */

describe('the stale bound of a chain', () => {
  test('is ten polling intervals, at least 60 s, unless ready.chain_stale_ms sets it', () => {
    const config = testConfig();
    const chain = config.chains[0]!;
    assert.equal(chainStaleMs(config, { ...chain, polling_interval_ms: 2_000 }), 60_000);
    assert.equal(chainStaleMs(config, { ...chain, polling_interval_ms: 12_000 }), 120_000);
    assert.equal(chainStaleMs(testConfig({ ready: { chain_stale_ms: 5_000 } }), chain), 5_000);
  });
});

describe('GET /ready', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('answers 200 with details while everything is up, 503 `webhooks` past the backlog bound', async () => {
    const app: TestApp = await buildTestApp({ ready: { webhook_backlog_max: 0 } });
    cleanups.push(() => app.close());
    const ready = await app.server.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json<ReadinessReport>(), {
      ready: true,
      reasons: [],
      database: { ok: true },
      // No watcher runs in an app built without workers: the chain is listed, not held against it.
      chains: [
        {
          key: 'anvil',
          ok: true,
          last_success_at: null,
          head: null,
          role: null,
          leader: null,
          detection: null,
        },
      ],
      webhooks: { ok: true, backlog: 0, max: 0 },
      // The static source of the test configuration, not asked yet.
      rates: {
        sources: [
          {
            source: 'static',
            last_ok_at: null,
            last_error_at: null,
            last_error: null,
            latency_ms: null,
            ok_total: 0,
            error_total: 0,
          },
        ],
      },
    });

    // One delivery due and undelivered (no worker runs here): past a bound of 0.
    const headers = { authorization: `Bearer ${app.secretKey}` };
    const endpoint = await app.server.inject({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers,
      payload: { url: 'https://shop.example/hooks' },
    });
    assert.equal(endpoint.statusCode, 201, endpoint.body);
    const sent = await app.server.inject({
      method: 'POST',
      url: `/v1/webhook_endpoints/${endpoint.json<{ id: string }>().id}/test`,
      headers,
    });
    assert.equal(sent.statusCode, 202, sent.body);
    const backlog = await app.server.inject({ method: 'GET', url: '/ready' });
    assert.equal(backlog.statusCode, 503);
    assert.ok(backlog.headers['retry-after']);
    const report = backlog.json<ReadinessReport>();
    assert.equal(report.ready, false);
    assert.deepEqual(
      report.reasons.map((r) => r.check),
      ['webhooks'],
    );
    assert.deepEqual(report.webhooks, { ok: false, backlog: 1, max: 0 });
    // The liveness probe is not concerned.
    assert.equal((await app.server.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });

  test('answers 503 `database` when the database is closed', async () => {
    const db = await migratedPglite();
    const app = await buildApp({ config: testConfig(), db, secrets: testSecretBox, logger: testLogger() });
    cleanups.push(() => app.server.close());
    assert.equal((await app.server.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
    await db.close();
    const response = await app.server.inject({ method: 'GET', url: '/ready' });
    assert.equal(response.statusCode, 503);
    const report = response.json<ReadinessReport>();
    assert.deepEqual(report.reasons, [{ check: 'database', message: 'the database does not answer' }]);
    assert.deepEqual(report.database, { ok: false });
    assert.equal(report.webhooks.backlog, null);
  });

  test('answers 503 naming the chain whose node the watcher cannot reach, and not the chain that answers', async () => {
    const anvil: Anvil = await startAnvil();
    cleanups.push(() => anvil.stop());
    const db: Database = await openPglite('memory://');
    cleanups.push(() => db.close());
    const config = testConfig({
      chains: [
        {
          key: 'anvil',
          id: 31337,
          name: 'Anvil (local)',
          rpc_url: anvil.rpcUrl,
          confirmations: 1,
          polling_interval_ms: 100,
        },
        // A closed port: every RPC call is refused.
        {
          key: 'gone',
          id: 999_999,
          name: 'Unreachable',
          rpc_url: `http://127.0.0.1:${await freePort()}`,
          confirmations: 1,
          polling_interval_ms: 100,
        },
      ],
      port: 0,
      ready: { chain_stale_ms: 1_000 },
    });
    const server: RunningServer = await startServer(config, { db, logger: testLogger() });
    cleanups.push(() => server.stop({ timeoutMs: 2_000 }));
    const report = await waitFor(
      async () => {
        const response = await fetch(`${server.url}/ready`);
        const body = (await response.json()) as ReadinessReport;
        return response.status === 503 && body.chains[0]!.last_success_at !== null && body;
      },
      30_000,
      'the unreachable chain to go stale',
    );
    assert.deepEqual(
      report.reasons.map((r) => [r.check, r.chain]),
      [['chain', 'gone']],
    );
    assert.match(
      report.reasons[0]!.message,
      /chain gone: its node has not answered since the watcher started/,
    );
    const [reachable, gone] = report.chains;
    assert.equal(reachable!.ok, true);
    assert.equal(typeof reachable!.head, 'number');
    // anvil answers WebSocket on its HTTP port: the watcher subscribes there though no ws_url is set.
    await waitFor(
      async () => {
        const body = (await (await fetch(`${server.url}/ready`)).json()) as ReadinessReport;
        return body.chains[0]!.detection === 'subscription';
      },
      10_000,
      'the local chain to be watched by subscription',
    );
    // One process on PGlite: it leads every chain, and says so.
    assert.deepEqual(gone, {
      key: 'gone',
      ok: false,
      last_success_at: null,
      head: null,
      role: 'leader',
      leader: `${hostname()}:${process.pid}`,
      detection: 'polling',
    });
    assert.equal(report.database.ok, true);
  });
});
