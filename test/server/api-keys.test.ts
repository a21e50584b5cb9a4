import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, Session } from '@crypto-checkout/protocol';
import { createApiKey, hashSecretKey } from '../../packages/server/src/keys/secret-key.js';
import type { Database } from '../../packages/server/src/store/database.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { teeLogger } from '../support/logs.js';

/** Every row of every table of the public schema, as text: what a stolen database dump would hold. */
async function dumpDatabase(db: Database): Promise<string> {
  const { rows: tables } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  let dump = '';
  for (const { table_name } of tables) {
    const { rows } = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
    dump += `${table_name}\n${rows.map((r) => r.row).join('\n')}\n`;
  }
  return dump;
}

describe('secret keys', () => {
  let app: TestApp;
  let now = new Date('2030-06-01T12:00:00Z');
  let logs = '';
  const configuredKey = `sk_test_${'C'.repeat(32)}`;
  /** Given to the configuration only by its hash. */
  const hashedLiveKey = `sk_live_${randomUUID().replaceAll('-', '')}`;
  /** Every key the tests use, to look for in the logs at the end. */
  const seen = new Set<string>([configuredKey, hashedLiveKey]);
  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    app = await buildTestApp(
      { secret_keys: [configuredKey, `sha256:live:${hashSecretKey(hashedLiveKey).toUpperCase()}`] },
      { clock: () => now, logger: teeLogger('trace', sink) },
    );
  });
  after(() => app.close());

  const newKey: typeof createApiKey = async (...args) => {
    const made = await createApiKey(...args);
    seen.add(made.key);
    return made;
  };
  const createWith = (key: string, headers: Record<string, string> = {}) => {
    seen.add(key);
    return app.server.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${key}`, ...headers },
      payload: { amount: '10.00', currency: 'USD' },
    });
  };
  const read = (id: string, key: string) =>
    app.server.inject({ url: `/v1/sessions/${id}`, headers: { authorization: `Bearer ${key}` } });

  test('a key made in the database works, and the database holds only its hash and prefix', async () => {
    const { key, record } = await newKey(app.apiKeys, { mode: 'live', description: 'shop' });
    assert.match(key, /^sk_live_[0-9a-f]{48}$/);
    assert.match(record.id, /^key_[0-9a-f]{24}$/);
    assert.equal(record.prefix, `${key.slice(0, 12)}…`);
    const created = await createWith(key);
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((created.json() as Session).livemode, true);
    assert.equal(created.body.includes(key), false, 'the answer does not repeat the key');

    const dump = await dumpDatabase(app.store.db);
    assert.ok(dump.includes(hashSecretKey(key)), 'the dump covers api_keys (it holds the hash)');
    assert.ok(dump.includes(record.prefix));
    assert.equal(dump.includes(key), false, 'the key itself is in no table');
    assert.equal(dump.includes(key.slice(12)), false, 'nor is its secret part');
  });

  test('rotation: two keys work at once; a revoked one answers 401 on the very next request', async () => {
    const old = await newKey(app.apiKeys, { mode: 'test', description: 'old' });
    const next = await newKey(app.apiKeys, { mode: 'test', description: 'new' });
    const a = (await createWith(old.key)).json() as Session;
    const b = (await createWith(next.key)).json() as Session;
    // Both keys are the same merchant and mode: each sees the other's sessions.
    assert.equal((await read(a.id, next.key)).statusCode, 200);
    assert.equal((await read(b.id, old.key)).statusCode, 200);

    await app.apiKeys.revoke(old.record.id, now);
    const refused = await createWith(old.key, { 'idempotency-key': randomUUID() });
    assert.equal(refused.statusCode, 401);
    const error = (refused.json() as ErrorBody).error;
    assert.equal(error.code, 'unauthorized');
    assert.match(error.message, /revoked/);
    assert.equal((await read(a.id, old.key)).statusCode, 401);
    assert.equal((await createWith(next.key)).statusCode, 201, 'the other key goes on working');
    assert.equal((await createWith(configuredKey)).statusCode, 201, 'so do configured keys');
  });

  test('a configured key may be given by its SHA-256, so the configuration holds no usable key', async () => {
    const created = await createWith(hashedLiveKey, { 'idempotency-key': randomUUID() });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((created.json() as Session).livemode, true);
    assert.equal(JSON.stringify(app.config).includes(hashedLiveKey), false);
  });

  test('keys of one mode do not see sessions of the other, whichever way they were made', async () => {
    const live = await newKey(app.apiKeys, { mode: 'live' });
    const session = (await createWith(live.key)).json() as Session;
    assert.equal((await read(session.id, live.key)).statusCode, 200);
    assert.equal((await read(session.id, hashedLiveKey)).statusCode, 200);
    assert.equal((await read(session.id, configuredKey)).statusCode, 403);
  });

  test('unknown, malformed and look-alike keys answer 401', async () => {
    const { record } = await newKey(app.apiKeys, { mode: 'test' });
    for (const key of [
      `sk_test_${'0'.repeat(48)}`,
      'sk_test_short',
      `sk_live_${'C'.repeat(32)}`, // a configured test key's body under the other mode
      record.secret_hash,
      `sha256:test:${hashSecretKey(configuredKey)}`, // the hash is not the key
    ]) {
      const response = await createWith(key);
      assert.equal(response.statusCode, 401, key);
    }
  });

  test('last_used_at records use, at most once a minute', async () => {
    const { key, record } = await newKey(app.apiKeys, { mode: 'test' }, now);
    const lastUsed = async () => (await app.apiKeys.list()).find((r) => r.id === record.id)!.last_used_at;
    assert.equal(await lastUsed(), null);
    await createWith(key);
    assert.equal((await lastUsed())?.getTime(), now.getTime());
    const first = now;
    now = new Date(first.getTime() + 30_000);
    await createWith(key);
    assert.equal((await lastUsed())?.getTime(), first.getTime(), 'not rewritten within the minute');
    now = new Date(first.getTime() + 61_000);
    await createWith(key);
    assert.equal((await lastUsed())?.getTime(), now.getTime());
  });

  // Last: it reads the logs of every request above (good, revoked, wrong, with and without an
  // Idempotency-Key) at level trace.
  test('no secret key — configured, hashed, from the database, revoked or wrong — reaches the logs', () => {
    assert.ok(logs.includes('/v1/sessions'), 'requests were logged');
    assert.ok(logs.includes('"status":401'), 'refused requests were logged');
    assert.ok(seen.size >= 10);
    for (const key of seen) {
      assert.equal(logs.includes(key), false, `${key.slice(0, 12)}… leaked into the logs`);
      if (key.length > 20) assert.equal(logs.includes(key.slice(8)), false, 'nor its secret part');
    }
  });
});
