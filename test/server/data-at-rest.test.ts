// Data at rest: what the server writes to disk is its own user's only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Session, WebhookEndpointWithSecret } from '@crypto-checkout/protocol';
import { openPglite } from '../../packages/server/src/store/database.js';
import { spawnBackend } from '../support/backend-process.js';
import { serverEntry } from '../support/built.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { callApi } from '../support/wait.js';

const SESSION = { amount: '5.00', currency: 'USD' };

/**
 * Starts the compiled server where it must not start, and resolves with its exit code and output
 * (spawnBackend would wait for /health). Should it start after all, it is stopped, and the test
 * sees exit code 0.
 */
async function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [await serverEntry('main')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('is listening')) child.kill('SIGTERM');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

/**
 * Every file and folder under `dir` (itself included) whose mode lets its group or others in, as
 * `path mode`.
 */
async function widerThanOwner(dir: string): Promise<string[]> {
  const found: string[] = [];
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077) found.push(`${dir} ${mode.toString(8)}`);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await widerThanOwner(path)));
    else {
      const fileMode = (await stat(path)).mode & 0o777;
      if (fileMode & 0o077) found.push(`${path} ${fileMode.toString(8)}`);
    }
  }
  return found;
}

/** How many files there are under `dir`, to show the check above saw the database. */
async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }))
    count += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  return count;
}

// Each test starts the compiled server several times; generous on a loaded machine.
describe('data at rest', { timeout: 600_000 }, () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cc-at-rest-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  const env = (dataDir: string) => ({
    CC_DATA_DIR: dataDir,
    CC_XPUB: testMerchantWallet().xpub,
    // No chain node is needed to write the database; the watcher retries in the background.
    CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:9' }]),
    // A price for the native coin, so that sessions can be created (no chain is contacted for that).
    CC_RATES: JSON.stringify({ ETH: '3000' }),
  });

  test('a fresh PGlite folder: every folder in it 0700, every file 0600, and its key file beside it 0600', async () => {
    const dataDir = join(scratch, 'fresh');
    const backend = await spawnBackend(env(dataDir));
    await backend.kill('SIGTERM');
    assert.ok((await readdir(dataDir)).includes('PG_VERSION'), 'the database was written');
    assert.ok((await countFiles(dataDir)) > 100, 'PostgreSQL files were checked');
    assert.deepEqual(await widerThanOwner(dataDir), []);
    // No CC_ENCRYPTION_KEY: the key was made beside the folder, not in it.
    assert.equal((await stat(`${dataDir}.key`)).mode & 0o777, 0o600);
    assert.ok(backend.lines.some((line) => line.includes('set CC_ENCRYPTION_KEY in production')));
  });

  test('files PGlite writes while it runs are 0600 too, and files of earlier versions are narrowed at start', async () => {
    const dataDir = join(scratch, 'running');
    const first = await spawnBackend(env(dataDir));
    await first.kill('SIGTERM');
    // As an earlier version left them: PostgreSQL's files 0666.
    const pgVersion = join(dataDir, 'PG_VERSION');
    await chmod(pgVersion, 0o666);
    const secretKey = testSecretKey();
    const second = await spawnBackend({ ...env(dataDir), CC_SECRET_KEYS: secretKey });
    // Writes (sessions, their WAL) while it runs.
    for (let i = 0; i < 5; i++) await callApi(second.url, secretKey, 'POST', '/v1/sessions', SESSION);
    await second.kill('SIGTERM');
    assert.equal((await stat(pgVersion)).mode & 0o777, 0o600);
    assert.deepEqual(await widerThanOwner(dataDir), []);
  });

  test('client and signing secrets are sealed in the database; the same key reads them after a restart; a wrong or lost key stops start-up with a message', async () => {
    const dataDir = join(scratch, 'sealed');
    const key = randomBytes(32).toString('base64');
    const secretKey = testSecretKey();
    const withKey = (encryptionKey: string | null) => ({
      ...env(dataDir),
      CC_SECRET_KEYS: secretKey,
      ...(encryptionKey ? { CC_ENCRYPTION_KEY: encryptionKey } : {}),
    });
    const first = await spawnBackend(withKey(key));
    const session = await callApi<Session>(first.url, secretKey, 'POST', '/v1/sessions', SESSION);
    const endpoint = await callApi<WebhookEndpointWithSecret>(
      first.url,
      secretKey,
      'POST',
      '/v1/webhook_endpoints',
      {
        url: 'http://127.0.0.1:9/hooks',
      },
    );
    await first.kill('SIGTERM');

    // A copy of the database: its tables, read directly.
    const db = await openPglite(dataDir);
    const tables = JSON.stringify(
      await Promise.all(
        ['sessions', 'webhook_endpoints', 'idempotency_keys'].map(
          async (t) => (await db.query(`SELECT * FROM ${t}`)).rows,
        ),
      ),
    );
    await db.close();
    assert.ok(tables.includes(session.id) && tables.includes(endpoint.id), 'the rows are there');
    assert.ok(!tables.includes('whsec_'), 'no signing secret');
    assert.ok(!tables.includes(session.client_secret.split('_secret_')[1]!), 'no client secret');

    const second = await spawnBackend(withKey(key));
    const read = await callApi<Session>(second.url, secretKey, 'GET', `/v1/sessions/${session.id}`);
    assert.equal(read.client_secret, session.client_secret);
    await second.kill('SIGTERM');

    const wrongKey = await failedStart(withKey(randomBytes(32).toString('base64')));
    assert.equal(wrongKey.code, 78, wrongKey.output);
    assert.match(wrongKey.output, /sealed with key [0-9a-f]{16}, which is not configured/);
    // No key at all: a new key file is not the key the secrets were sealed with.
    const noKey = await failedStart(withKey(null));
    assert.equal(noKey.code, 78, noKey.output);
    assert.match(noKey.output, /restore the key file/);
    assert.ok(!existsSync(`${dataDir}.key`), 'the failed start left no new (wrong) key file behind');
  });

  test('a folder made earlier with wider permissions is narrowed to its owner at start', async () => {
    const dataDir = join(scratch, 'wide');
    await mkdir(dataDir, { mode: 0o777 });
    await chmod(dataDir, 0o777);
    const backend = await spawnBackend(env(dataDir));
    await backend.kill('SIGTERM');
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  });
});
