import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Session, WebhookEndpointWithSecret } from '@crypto-checkout/protocol';
import {
  EncryptionKeyError,
  SecretBox,
  keyFileOf,
  loadSecretBox,
  parseEncryptionKey,
} from '../../packages/server/src/store/secret-box.js';
import { prepareSecretsAtRest } from '../../packages/server/src/store/secrets-at-rest.js';
import { buildTestApp, testSecretBox, type TestApp } from '../support/app.js';

/**
 * Secrets at rest: client secrets and webhook signing secrets are sealed (AES-256-GCM) in the
 * database, so that reading its tables reveals none; the API still answers them; plaintext rows
 * from before are readable and get sealed at start; a rotation re-seals; a wrong key is refused
 * with a message, never answered with garbage. The compiled server's start-up with the right, a
 * wrong and a lost key is in `data-at-rest.test.ts`.
 */

let app: TestApp;

async function call<T>(
  method: 'GET' | 'POST',
  url: string,
  payload?: Record<string, unknown>,
  idempotencyKey?: string,
) {
  const response = await app.server.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${app.secretKey}`,
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json() as T };
}

/** Every row of the tables that hold secrets, as one text: what a copy of the database shows. */
async function tableText(): Promise<string> {
  const sessions = await app.store.db.query('SELECT * FROM sessions');
  const endpoints = await app.store.db.query('SELECT * FROM webhook_endpoints');
  const answers = await app.store.db.query('SELECT * FROM idempotency_keys');
  assert.ok(answers.rows.length >= 1, 'the idempotent answers are stored');
  return JSON.stringify([sessions.rows, endpoints.rows, answers.rows]);
}

/** Every sealed secret: its row and column (`context`) and stored value. */
async function sealedValues(): Promise<
  { table: string; column: string; row: string; id: string; context: string; value: string }[]
> {
  const found = [];
  for (const [table, row, column] of [
    ['sessions', 'id', 'client_secret'],
    ['webhook_endpoints', 'id', 'secret'],
    ['webhook_endpoints', 'id', 'previous_secret'],
    ['idempotency_keys', "mode || ':' || key", 'response_body'],
  ] as const) {
    const { rows } = await app.store.db.query<{ id: string; value: string }>(
      `SELECT ${row} AS id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL`,
    );
    for (const { id, value } of rows)
      found.push({ table, column, id, context: `${table}.${column}:${id}`, value, row });
  }
  return found;
}

/** Seals every secret again, opened with `from` and sealed with `to`, as another server's key would have. */
async function reseal(from: SecretBox, to: SecretBox): Promise<void> {
  for (const found of await sealedValues())
    await app.store.db.query(`UPDATE ${found.table} SET ${found.column} = $2 WHERE ${found.row} = $1`, [
      found.id,
      to.seal(from.open(found.value, found.context), found.context),
    ]);
}

const stored = async (sql: string, id: string) =>
  (await app.store.db.query<{ value: string }>(sql, [id])).rows[0]!.value;

describe('secrets at rest', () => {
  let session: Session;
  let endpoint: WebhookEndpointWithSecret;
  before(async () => {
    app = await buildTestApp();
    // With Idempotency-Key: the stored answers carry the secrets too.
    const created = await call<Session>(
      'POST',
      '/v1/sessions',
      { amount: '5.00', currency: 'USD' },
      'k-session',
    );
    assert.equal(created.status, 201);
    session = created.body;
    endpoint = (
      await call<WebhookEndpointWithSecret>(
        'POST',
        '/v1/webhook_endpoints',
        { url: 'http://127.0.0.1:9/h' },
        'k-endpoint',
      )
    ).body;
    // A rotation, so that a previous secret is stored too.
    const rotated = await call<WebhookEndpointWithSecret>(
      'POST',
      `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`,
      {},
      'k-rotate',
    );
    assert.equal(rotated.status, 200);
    endpoint = { ...endpoint, secret: rotated.body.secret };
  });
  after(() => app?.close());

  test('the tables hold no client secret and no signing secret in clear', async () => {
    const text = await tableText();
    assert.ok(!text.includes('whsec_'), 'no whsec_ in the tables');
    assert.ok(!text.includes(session.client_secret), 'no client secret in the tables');
    assert.ok(!text.includes(session.client_secret.split('_secret_')[1]!), 'not even its random part');
    const secret = await stored('SELECT secret AS value FROM webhook_endpoints WHERE id = $1', endpoint.id);
    const previous = await stored(
      'SELECT previous_secret AS value FROM webhook_endpoints WHERE id = $1',
      endpoint.id,
    );
    const clientSecret = await stored(
      'SELECT client_secret AS value FROM sessions WHERE id = $1',
      session.id,
    );
    for (const value of [secret, previous, clientSecret])
      assert.match(value, new RegExp(`^enc:v1:${testSecretBox.currentKeyId}:[A-Za-z0-9_-]+$`));
  });

  test('the API still answers the client secret, and it still authenticates', async () => {
    const read = await call<Session>('GET', `/v1/sessions/${session.id}`);
    assert.equal(read.body.client_secret, session.client_secret);
    const buyer = await app.server.inject({
      method: 'GET',
      url: `/v1/sessions/${session.id}`,
      headers: { authorization: `Bearer ${session.client_secret}` },
    });
    assert.equal(buyer.statusCode, 200);
    const list = await call<{ data: Session[] }>('GET', '/v1/sessions');
    assert.equal(list.body.data.find((s) => s.id === session.id)?.client_secret, session.client_secret);
    const replayed = await call<Session>(
      'POST',
      '/v1/sessions',
      { amount: '5.00', currency: 'USD' },
      'k-session',
    );
    assert.equal(replayed.body.client_secret, session.client_secret, 'an idempotent replay answers it again');
    const claimedSecrets = (await app.webhooks.store.getEndpoint(app.store.db, endpoint.id, null))!;
    assert.equal(claimedSecrets.secret, endpoint.secret, 'the signing secret opens for signing');
  });

  test('plaintext rows from before encryption stay readable and are sealed at start', async () => {
    const plainSession = await app.createSession();
    await app.store.db.query('UPDATE sessions SET client_secret = $2 WHERE id = $1', [
      plainSession.id,
      plainSession.client_secret,
    ]);
    await app.store.db.query('UPDATE webhook_endpoints SET secret = $2 WHERE id = $1', [
      endpoint.id,
      endpoint.secret,
    ]);
    assert.equal(
      (await call<Session>('GET', `/v1/sessions/${plainSession.id}`)).body.client_secret,
      plainSession.client_secret,
    );

    assert.equal(await prepareSecretsAtRest(app.store.db, testSecretBox), 2);
    const text = await tableText();
    assert.ok(!text.includes('whsec_') && !text.includes(plainSession.client_secret));
    assert.equal(
      (await call<Session>('GET', `/v1/sessions/${plainSession.id}`)).body.client_secret,
      plainSession.client_secret,
    );
    assert.equal(
      (await app.webhooks.store.getEndpoint(app.store.db, endpoint.id, null))!.secret,
      endpoint.secret,
    );
    assert.equal(await prepareSecretsAtRest(app.store.db, testSecretBox), 0, 'nothing left to seal');
  });

  test('a rotated key re-seals every row; the old key alone is then refused with a message', async () => {
    const oldKey = randomBytes(32);
    const oldBox = new SecretBox([oldKey]);
    const newBox = new SecretBox([randomBytes(32), oldKey]);
    // Every secret sealed under oldKey, as a server with that key would have left them.
    await reseal(testSecretBox, oldBox);
    const before = await sealedValues();
    assert.ok(before.every((row) => row.value.startsWith(`enc:v1:${oldBox.currentKeyId}:`)));

    assert.equal(await prepareSecretsAtRest(app.store.db, newBox), before.length);
    const after = await sealedValues();
    for (const row of after) {
      assert.ok(row.value.startsWith(`enc:v1:${newBox.currentKeyId}:`), row.context);
      const old = before.find((b) => b.context === row.context)!;
      assert.equal(newBox.open(row.value, row.context), oldBox.open(old.value, old.context));
    }
    await assert.rejects(prepareSecretsAtRest(app.store.db, oldBox), (error: Error) => {
      assert.ok(error instanceof EncryptionKeyError);
      assert.match(
        error.message,
        new RegExp(`sealed with key ${newBox.currentKeyId}, which is not configured`),
      );
      assert.match(error.message, /CC_ENCRYPTION_KEY/);
      return true;
    });
    // Back to the app's key for the tests after this one.
    await reseal(newBox, testSecretBox);
  });

  test('a sealed value opens only in its own row, and never with another key', () => {
    const box = new SecretBox([randomBytes(32)]);
    const sealed = box.seal('whsec_abc', 'webhook_endpoints.secret:we_1');
    assert.equal(box.open(sealed, 'webhook_endpoints.secret:we_1'), 'whsec_abc');
    assert.throws(() => box.open(sealed, 'webhook_endpoints.secret:we_2'), EncryptionKeyError);
    const altered = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'AB' : 'AA');
    assert.throws(() => box.open(altered, 'webhook_endpoints.secret:we_1'), EncryptionKeyError);
    assert.throws(
      () => new SecretBox([randomBytes(32)]).open(sealed, 'webhook_endpoints.secret:we_1'),
      /unknown key/,
    );
  });

  test('keys are 256 bits, as hex or base64', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseEncryptionKey(key.toString('hex')), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64')), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64url')), key);
    assert.equal(parseEncryptionKey(randomBytes(16).toString('base64')), null);
    assert.equal(parseEncryptionKey('correct horse battery staple'), null);
  });
});

describe('where the key comes from', () => {
  const base = { previous_encryption_keys: [] as string[] };

  test('a key file is derived only for PGlite in a folder, beside it', () => {
    assert.equal(keyFileOf({ data_dir: '/var/lib/cc/pglite' }), '/var/lib/cc/pglite.key');
    assert.equal(keyFileOf({ data_dir: 'memory://' }), null);
    assert.equal(keyFileOf({ data_dir: './.data', database_url: 'postgres://db/cc' }), null);
    assert.equal(keyFileOf({ data_dir: 'memory://', database_url: 'postgres://db/cc' }), null);
    assert.equal(
      keyFileOf({ data_dir: 'memory://', database_url: 'postgres://db/cc', encryption_key_file: '/k' }),
      '/k',
    );
  });

  test('PostgreSQL without a key or key file is refused, and no key file is made anywhere', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-key-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const dataDir of ['memory://', join(dir, 'unused')]) {
        await assert.rejects(
          loadSecretBox({ ...base, data_dir: dataDir, database_url: 'postgres://127.0.0.1:1/cc' }),
          (error: unknown) =>
            error instanceof EncryptionKeyError && /database_url.*encryption_key/.test(error.message),
        );
      }
      assert.ok(!existsSync(join(dir, 'unused.key')));
      assert.deepEqual(await readdir(dir), [], 'nothing written in the working directory either');
      // With the key set, PostgreSQL starts with it; in memory, a key that dies with the process.
      const configured = await loadSecretBox({
        ...base,
        data_dir: 'memory://',
        database_url: 'postgres://127.0.0.1:1/cc',
        encryption_key: randomBytes(32).toString('base64'),
      });
      assert.equal(configured.source, 'configured');
      const ephemeral = await loadSecretBox({ ...base, data_dir: 'memory://' });
      assert.equal(ephemeral.source, 'ephemeral');
      await ephemeral.save();
      assert.deepEqual(await readdir(dir), []);
    } finally {
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
