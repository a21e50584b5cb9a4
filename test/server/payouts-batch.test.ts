/**
 * Payout batches on PostgreSQL, with two app instances on one database as in a deployment: a batch
 * of 100 above and below the review threshold follows the approval rules, is idempotent under
 * concurrent retries and across a restart, and parallel requests never reserve more than the
 * treasury holds. The treasury is funded the way sweeps fund it (`Ledger.recordSweep`); no chain is
 * contacted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Payout } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { migrate } from '../../packages/server/src/store/migrations.js';
import { testConfig, testSecretBox } from '../support/app.js';
import { postgresBackend, testOn } from '../support/backends.js';
import { testLogger } from '../support/logs.js';
import { testSecretKey } from '../support/stack.js';

const backend = postgresBackend();
const it = testOn(backend);

describe('payout batches on PostgreSQL', () => {
  const secretKey = testSecretKey();
  const config = testConfig({ secret_keys: [secretKey] });
  let db: Database;
  const apps: App[] = [];

  const open = async (database: Database) => {
    const app = await buildApp({
      config,
      db: database,
      secrets: testSecretBox,
      logger: testLogger(),
      checkResponses: true,
    });
    apps.push(app);
    return app;
  };
  const post = (app: App, url: string, key: string, body?: unknown, idempotencyKey?: string) =>
    app.server.inject({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
  const balance = async (app: App) => {
    const response = await app.server.inject({
      method: 'GET',
      url: '/v1/balances',
      headers: { authorization: `Bearer ${secretKey}` },
    });
    return (response.json() as { data: Record<string, string>[] }).data.find(
      (b) => b.asset === 'usdc@anvil',
    )!;
  };
  const count = async (status?: string) => {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM payouts WHERE ($1::text IS NULL OR status = $1)',
      [status ?? null],
    );
    return rows[0]!.n;
  };

  before(async () => {
    await backend.setup();
    if (backend.unavailable) return;
    db = await backend.fresh();
    await migrate(db);
    const app = await open(db);
    const { ledger } = app.treasury;
    // 100,000 USDC swept into the treasury.
    await ledger.transaction((tx) =>
      ledger.recordSweep(tx, {
        livemode: false,
        asset: 'usdc@anvil',
        from: privateKeyToAccount(generatePrivateKey()).address,
        to: privateKeyToAccount(generatePrivateKey()).address,
        amount_atomic: 100_000_000_000n,
        tx_hash: `0x${randomBytes(32).toString('hex')}`,
        log_index: 0,
        at: new Date(),
      }),
    );
  });
  after(async () => {
    for (const app of apps) await app.server.close();
    await backend.cleanup();
  });

  let batch: Payout[] = [];
  const body = {
    payouts: Array.from({ length: 100 }, (_, i) => ({
      destination: privateKeyToAccount(generatePrivateKey()).address,
      asset: 'usdc@anvil',
      // Even: just below the default threshold of 500 USD; odd: at it, which needs approval.
      amount: i % 2 ? '500' : '499.99',
      reference: `batch-1/${i}`,
    })),
  };

  it("a payout of a chain's own coin is checked like a token's: a destination without its checksum is refused, nothing created", async () => {
    const [app] = apps;
    const destination = privateKeyToAccount(generatePrivateKey()).address;
    const answer = await post(app!, '/v1/payouts', secretKey, {
      payouts: [
        { destination, asset: 'eth@anvil', amount: '0.001' },
        { destination: destination.toLowerCase(), asset: 'eth@anvil', amount: '0.001' },
      ],
    });
    assert.equal(answer.statusCode, 400, answer.body);
    const error = (answer.json() as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'invalid_request');
    assert.match(error.message, /payouts\.1\.destination/);
    assert.equal(await count(), 0);
  });

  it('a batch of 100 is created once under concurrent retries, and again only replayed after a restart', async () => {
    const [first] = apps;
    const second = await open(await backend.another(db));
    const answers = await Promise.all([
      post(first!, '/v1/payouts', secretKey, body, 'batch-1'),
      post(second, '/v1/payouts', secretKey, body, 'batch-1'),
      post(first!, '/v1/payouts', secretKey, body, 'batch-1'),
    ]);
    for (const answer of answers) assert.equal(answer.statusCode, 201, answer.body);
    batch = (answers[0]!.json() as { data: Payout[] }).data;
    for (const answer of answers) assert.deepEqual(answer.json(), { data: batch });
    assert.equal(await count(), 100);

    // A restart: a new instance on a new connection replays the answer; nothing is created again.
    await first!.server.close();
    apps.splice(apps.indexOf(first!), 1);
    const restarted = await open(await backend.another(db));
    const replay = await post(restarted, '/v1/payouts', secretKey, body, 'batch-1');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.json(), { data: batch });
    assert.equal(await count(), 100);

    assert.deepEqual(
      batch.map((p) => p.status),
      body.payouts.map((_, i) => (i % 2 ? 'needs_approval' : 'approved')),
    );
    assert.equal(await count('needs_approval'), 50);
    const b = await balance(restarted);
    assert.equal(b.pending_payouts, '49999.5');
    assert.equal(b.available, '50000.5');
  });

  it('payouts at or above the threshold are approved only by another key with the approve scope', async () => {
    const app = apps.at(-1)!;
    const waiting = batch.filter((p) => p.status === 'needs_approval');
    assert.equal((await post(app, `/v1/payouts/${waiting[0]!.id}/approve`, secretKey)).statusCode, 403);
    const { key: writer } = await createApiKey(app.apiKeys, { mode: 'test', scopes: ['read', 'write'] });
    assert.equal((await post(app, `/v1/payouts/${waiting[0]!.id}/approve`, writer)).statusCode, 403);
    const { key: approver, record } = await createApiKey(app.apiKeys, { mode: 'test', scopes: ['approve'] });
    for (const p of waiting) {
      const answer = await post(app, `/v1/payouts/${p.id}/approve`, approver);
      assert.equal(answer.statusCode, 200, answer.body);
      assert.equal((answer.json() as Payout).approved_by, record.id);
    }
    assert.equal(await count('approved'), 100);
    assert.equal(await count('needs_approval'), 0);
    // An approve-only key's own request is refused: it cannot ask for what it would approve.
    assert.equal(
      (await post(app, '/v1/payouts', approver, { payouts: body.payouts.slice(0, 1) })).statusCode,
      403,
    );
  });

  it('parallel requests from two instances never reserve more than is available', async () => {
    const app = apps.at(-1)!;
    const other = await open(await backend.another(db));
    const one = () => ({
      payouts: [
        {
          destination: privateKeyToAccount(generatePrivateKey()).address,
          asset: 'usdc@anvil',
          amount: '5000',
        },
      ],
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(i % 2 ? app : other, '/v1/payouts', secretKey, one(), `parallel-${i}`),
      ),
    );
    const codes = answers.map((a) => a.statusCode).sort();
    // 50,000.5 available: ten payouts of 5,000 fit, the eleventh would overspend.
    assert.deepEqual(codes, [...Array(10).fill(201), ...Array(10).fill(409)]);
    for (const a of answers.filter((x) => x.statusCode === 409)) {
      assert.equal((a.json() as { error: { code: string } }).error.code, 'insufficient_balance');
    }
    const b = await balance(app);
    assert.equal(b.available, '0.5');
    assert.equal(b.pending_payouts, '99999.5');

    // Canceling releases the reservation; a canceled payout cannot be approved.
    const canceled = await post(app, `/v1/payouts/${batch[0]!.id}/cancel`, secretKey);
    assert.equal(canceled.statusCode, 200);
    assert.equal((canceled.json() as Payout).status, 'canceled');
    assert.equal((await balance(app)).available, '500.49');
    const { rows } = await db.query<{ kind: string; amount: string }>(
      'SELECT kind, amount_atomic::text AS amount FROM ledger_entries WHERE payout_id = $1 ORDER BY id',
      [batch[0]!.id],
    );
    assert.deepEqual(rows, [
      { kind: 'payout_reserve', amount: '499990000' },
      { kind: 'payout_release', amount: '-499990000' },
    ]);
  });
});
