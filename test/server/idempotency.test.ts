import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ErrorBody, Session } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { requestHash } from '../../packages/server/src/idempotency.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { buildTestApp, testConfig, type TestApp, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, type Backend } from '../support/backends.js';
import { testLogger } from '../support/logs.js';

const HOUR = 3600_000;
const LIVE_KEY = `sk_live_${'L'.repeat(32)}`;
const TEST_KEY = `sk_test_${'T'.repeat(32)}`;

/** A clock the test moves by hand. */
function manualClock(start = new Date('2030-01-01T00:00:00Z')) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

const create = (key: string, idempotencyKey: string | undefined, payload: unknown): InjectOptions => ({
  method: 'POST',
  url: '/v1/sessions',
  headers: {
    authorization: `Bearer ${key}`,
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
  },
  payload: payload as InjectOptions['payload'],
});

const errorCode = (response: LightMyRequestResponse) => (response.json() as ErrorBody).error.code;

async function sessionCount(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
  return rows[0]!.n;
}

describe('Idempotency-Key on POST /v1/sessions', () => {
  let app: TestApp;
  const clock = manualClock();
  const call = (opts: InjectOptions) => app.server.inject(opts);
  const body = { amount: '49.99', currency: 'USD', order_id: 'A-1001', metadata: { cart: [1, 2] } };

  before(async () => {
    app = await buildTestApp({ secret_keys: [TEST_KEY, LIVE_KEY] }, { clock: clock.now });
  });
  after(() => app.close());

  test('a retry with the same key and body replays the first answer and makes no second session', async () => {
    const key = randomUUID();
    const before = await sessionCount(app.store.db);
    const first = await call(create(TEST_KEY, key, body));
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    // Same body with its keys in another order: the same request.
    const reordered = { metadata: { cart: [1, 2] }, order_id: 'A-1001', currency: 'USD', amount: '49.99' };
    for (const payload of [body, reordered]) {
      const again = await call(create(TEST_KEY, key, payload));
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.body, first.body, 'the replay is byte for byte the first answer');
    }
    assert.equal(await sessionCount(app.store.db), before + 1);
    // Without a key, the same body makes another session.
    const plain = await call(create(TEST_KEY, undefined, body));
    assert.notEqual((plain.json() as Session).id, (first.json() as Session).id);
  });

  test('the same key with another body or on another URL answers 422 idempotency_key_reused', async () => {
    const key = randomUUID();
    const first = await call(create(TEST_KEY, key, body));
    assert.equal(first.statusCode, 201);
    const before = await sessionCount(app.store.db);
    const other = await call(create(TEST_KEY, key, { ...body, amount: '50.00' }));
    assert.equal(other.statusCode, 422, other.body);
    assert.equal(errorCode(other), 'idempotency_key_reused');
    assert.match((other.json() as ErrorBody).error.message, /different request/);
    const cancel = await call({
      method: 'POST',
      url: `/v1/sessions/${(first.json() as Session).id}/cancel`,
      headers: { authorization: `Bearer ${TEST_KEY}`, 'idempotency-key': key },
    });
    assert.equal(cancel.statusCode, 422);
    assert.equal(errorCode(cancel), 'idempotency_key_reused');
    assert.equal(await sessionCount(app.store.db), before);
  });

  test('keys are per mode: one key used by a test key and a live key makes two sessions', async () => {
    const key = randomUUID();
    const test = await call(create(TEST_KEY, key, body));
    const live = await call(create(LIVE_KEY, key, body));
    assert.equal(test.statusCode, 201);
    assert.equal(live.statusCode, 201);
    assert.equal(live.headers['idempotent-replayed'], undefined);
    assert.equal((test.json() as Session).livemode, false);
    assert.equal((live.json() as Session).livemode, true);
    // And each mode replays its own.
    const liveAgain = await call(create(LIVE_KEY, key, body));
    assert.equal(liveAgain.body, live.body);
  });

  test('the header must be 1 to 255 printable ASCII characters', async () => {
    for (const bad of ['', 'k'.repeat(256), 'caf\u00e9', 'tab\there']) {
      const response = await call(create(TEST_KEY, bad, body));
      assert.equal(response.statusCode, 400, JSON.stringify(bad));
      const error = (response.json() as ErrorBody).error;
      assert.equal(error.code, 'invalid_request');
      assert.equal(error.issues?.[0]?.path, 'Idempotency-Key');
    }
    const longest = await call(create(TEST_KEY, `~${'k'.repeat(253)}!`, body));
    assert.equal(longest.statusCode, 201, longest.body);
  });

  test('an invalid request is not stored: fix the body and retry with the same key', async () => {
    const key = randomUUID();
    const invalid = await call(create(TEST_KEY, key, { ...body, amount: 'lots' }));
    assert.equal(invalid.statusCode, 400);
    const zero = await call(create(TEST_KEY, key, { ...body, amount: '0.00' }));
    assert.equal(zero.statusCode, 400);
    assert.equal(errorCode(zero), 'invalid_request');
    const fixed = await call(create(TEST_KEY, key, body));
    assert.equal(fixed.statusCode, 201, fixed.body);
    assert.equal(fixed.headers['idempotent-replayed'], undefined);
  });

  test("an error of the operation itself is stored and replayed, as Stripe's are", async () => {
    const key = randomUUID();
    const payload = { ...body, methods: ['usdt@anvil'] };
    const first = await call(create(TEST_KEY, key, payload));
    assert.equal(first.statusCode, 400);
    assert.equal(errorCode(first), 'method_not_available');
    const again = await call(create(TEST_KEY, key, payload));
    assert.equal(again.statusCode, 400);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
  });

  test('cancel takes a key too: a retry replays the answer, a 404 included', async () => {
    const session = (await call(create(TEST_KEY, undefined, body))).json() as Session;
    const cancel = (id: string, key: string) =>
      call({
        method: 'POST',
        url: `/v1/sessions/${id}/cancel`,
        headers: { authorization: `Bearer ${TEST_KEY}`, 'idempotency-key': key },
      });
    const key = randomUUID();
    const first = await cancel(session.id, key);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal((first.json() as Session).status, 'canceled');
    const again = await cancel(session.id, key);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
    const missing = randomUUID();
    assert.equal((await cancel('cs_doesnotexist', missing)).statusCode, 404);
    const missingAgain = await cancel('cs_doesnotexist', missing);
    assert.equal(missingAgain.statusCode, 404);
    assert.equal(missingAgain.headers['idempotent-replayed'], 'true');
  });

  test('a key is replayed for 24 hours, then purged and free for a new request', async () => {
    const key = randomUUID();
    const first = await call(create(TEST_KEY, key, body));
    clock.advance(24 * HOUR - 1000);
    assert.equal(await app.idempotency.purgeExpired(), 0);
    const within = await call(create(TEST_KEY, key, body));
    assert.equal(within.headers['idempotent-replayed'], 'true');
    assert.equal(within.body, first.body);
    clock.advance(2000);
    assert.ok((await app.idempotency.purgeExpired()) >= 1);
    const rows = await app.store.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key]);
    assert.equal(rows.rows.length, 0, 'the purge deleted the key');
    const after = await call(create(TEST_KEY, key, { ...body, amount: '1.00' }));
    assert.equal(after.statusCode, 201, after.body);
    assert.equal(after.headers['idempotent-replayed'], undefined);
  });

  test('an expired key is free even before the purge runs', async () => {
    const key = randomUUID();
    await call(create(TEST_KEY, key, body));
    clock.advance(25 * HOUR);
    const reused = await call(create(TEST_KEY, key, { ...body, amount: '2.00' }));
    assert.equal(reused.statusCode, 201, reused.body);
    assert.equal((reused.json() as Session).amount, '2.00');
  });
});

describe('Idempotency-Key while a request is in flight', () => {
  let app: TestApp;
  const clock = manualClock();
  const body = { amount: '5.00', currency: 'USD' };
  before(async () => {
    app = await buildTestApp({}, { clock: clock.now, idempotency: { waitMs: 300, abandonAfterMs: 60_000 } });
  });
  after(() => app.close());

  /** Leaves a key as a request that is still running (or died) would. */
  const inFlight = (key: string, lockedAt: Date) =>
    app.store.db.query(
      `INSERT INTO idempotency_keys (mode, key, request_hash, api_key_id, lock_id, locked_at, created_at)
       VALUES ('test', $1, $2, 'key_x', 'other-request', $3, $3)`,
      [key, requestHash('POST', '/v1/sessions', body), lockedAt],
    );

  test('a request still running elsewhere makes a retry answer 409 idempotency_key_in_use after waiting', async () => {
    const key = randomUUID();
    await inFlight(key, clock.now());
    const started = performance.now();
    const response = await app.server.inject(create(app.secretKey, key, body));
    assert.equal(response.statusCode, 409, response.body);
    assert.equal(errorCode(response), 'idempotency_key_in_use');
    assert.ok(performance.now() - started >= 300, 'it waited for the other request first');
  });

  test('a key left in flight by a request that died is taken over after a minute', async () => {
    const key = randomUUID();
    await inFlight(key, new Date(clock.now().getTime() - 61_000));
    const response = await app.server.inject(create(app.secretKey, key, body));
    assert.equal(response.statusCode, 201, response.body);
    const replay = await app.server.inject(create(app.secretKey, key, body));
    assert.equal(replay.body, response.body);
  });
});

/** 20 requests with one key at once (on two app instances when the backend has real connections). */
function concurrencySuite(backend: Backend) {
  describe(`Idempotency-Key under concurrency (${backend.name})`, () => {
    const apps: App[] = [];
    let db: Database;
    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
      const config = testConfig({ secret_keys: [TEST_KEY] });
      apps.push(await buildApp({ config, db, logger: testLogger(), secrets: testSecretBox }));
      apps.push(
        await buildApp({
          config,
          db: await backend.another(db),
          logger: testLogger(),
          secrets: testSecretBox,
        }),
      );
    });
    after(async () => {
      await Promise.all(apps.map((a) => a.server.close()));
      await backend.cleanup();
    });

    test('20 parallel requests with one key create exactly one session and all get the same answer', async (t) => {
      if (backend.unavailable) return t.skip(backend.unavailable);
      const key = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          apps[i % 2]!.server.inject(create(TEST_KEY, key, { amount: '12.34', currency: 'USD' })),
        ),
      );
      for (const response of responses) assert.equal(response.statusCode, 201, response.body);
      assert.equal(new Set(responses.map((r) => r.body)).size, 1, 'every answer is the same');
      assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] !== 'true').length, 1);
      assert.equal(await sessionCount(db), 1);
    });
  });
}

concurrencySuite(pgliteBackend());
concurrencySuite(postgresBackend());
