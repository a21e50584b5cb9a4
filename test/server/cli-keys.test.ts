import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Session } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import type { Config } from '../../packages/server/src/config.js';
import { openPglite, openPostgres, type Database } from '../../packages/server/src/store/database.js';
import { migrate } from '../../packages/server/src/store/migrations.js';
import { TEST_ENCRYPTION_KEY, testConfig, testSecretBox } from '../support/app.js';
import { serverEntry } from '../support/built.js';
import { testLogger } from '../support/logs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `crypto-checkout-server …` as the operator would (the compiled `packages/server/dist/cli.js`),
 * in a child process with only the environment the test gives it: no secret key is configured.
 */
async function cli(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const entry = await serverEntry('cli');
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(CC_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(name) && !name.startsWith('NODE_TEST'),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      // Generous: a loaded machine makes PGlite's first start slow; a hang still fails the test.
      { cwd: ROOT, env: { ...base, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          stdout,
          stderr: error?.killed ? `${stderr}\n(killed: ${error.signal ?? 'timeout'})` : stderr,
        }),
    );
  });
}

const KEY = /\bsk_(?:test|live)_[0-9a-f]{48}\b/;

/** What each backend needs: the CLI's environment and a way to open the same database in the test. */
interface CliBackend {
  name: string;
  /** Why it cannot run here, or null. */
  unavailable: string | null;
  env: Record<string, string>;
  /** PGlite's directory is one process's at a time: the test opens it only between CLI runs. */
  sharesWhileRunning: boolean;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

async function pgliteDir(): Promise<CliBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-cli-'));
  return {
    name: 'PGlite',
    unavailable: null,
    env: { CC_DATA_DIR: dir },
    sharesWhileRunning: false,
    open: () => openPglite(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresDatabase(): Promise<CliBackend> {
  const name = `cc_cli_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_SERVER_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  const backend: CliBackend = {
    name: 'PostgreSQL',
    unavailable: null,
    // PostgreSQL needs the key set (no key file is derived for it).
    env: { DATABASE_URL: url.toString(), CC_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    sharesWhileRunning: true,
    open: () => openPostgres(url.toString()),
    cleanup: async () => {
      if (!backend.unavailable) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
  try {
    await admin(`CREATE DATABASE ${name}`);
  } catch (error) {
    backend.unavailable = `PostgreSQL not reachable at ${url.host} (${(error as Error).message}): SKIPPED`;
    console.warn(
      [
        '',
        '*'.repeat(100),
        `*** ${backend.unavailable}`,
        '*** The CLI tests on PostgreSQL did NOT run. Start PostgreSQL or set TEST_DATABASE_URL.',
        '*'.repeat(100),
        '',
      ].join('\n'),
    );
  }
  return backend;
}

/** The app on the CLI's database, for as long as `fn` runs. */
async function withApp<T>(backend: CliBackend, config: Config, fn: (app: App) => Promise<T>): Promise<T> {
  const db = await backend.open();
  try {
    await migrate(db);
    const app = await buildApp({ config, db, logger: testLogger(), secrets: testSecretBox });
    try {
      return await fn(app);
    } finally {
      await app.server.close();
    }
  } finally {
    await db.close();
  }
}

function cliSuite(makeBackend: () => Promise<CliBackend>, label: string) {
  describe(`npm run cli -- keys … (${label})`, () => {
    let backend: CliBackend;
    let env: Record<string, string>;
    // The server's configuration, without any configured key: only the CLI's keys work.
    const config = testConfig({ secret_keys: [] });
    before(async () => {
      backend = await makeBackend();
      env = {
        ...backend.env,
        // The app of withApp seals with this key: the CLI must open the same database with it.
        CC_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        CC_XPUB: config.xpub,
        CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:1' }]),
      };
    });
    after(() => backend.cleanup());

    test('keys create, list and revoke; the created key works against the API until revoked', async (t: TestContext) => {
      if (backend.unavailable) return t.skip(backend.unavailable);
      // PGlite's directory is one process's at a time: its CLI runs go one after the other.
      const runs = <T>(...fns: (() => Promise<T>)[]): Promise<T[]> =>
        backend.sharesWhileRunning
          ? Promise.all(fns.map((fn) => fn()))
          : fns.reduce(async (done, fn) => [...(await done), await fn()], Promise.resolve([] as T[]));

      // Created twice: once for people (the key on a line of its own), once as JSON.
      const [live, test] = await runs(
        () => cli(env, 'keys', 'create', '--mode', 'live', '--description', 'shop'),
        () => cli(env, 'keys', 'create', '--mode=test', '--json'),
      );
      assert.equal(live!.code, 0, live!.stderr);
      const liveKey = KEY.exec(live!.stdout)?.[0];
      assert.ok(liveKey?.startsWith('sk_live_'), live!.stdout);
      assert.match(live!.stdout, /only time the key is shown/);
      const liveId = /created (key_[0-9a-f]+)/.exec(live!.stdout)![1]!;
      assert.equal(test!.code, 0, test!.stderr);
      const created = JSON.parse(test!.stdout) as { id: string; key: string; mode: string; prefix: string };
      assert.equal(created.mode, 'test');
      assert.equal(created.prefix, `${created.key.slice(0, 12)}…`);

      const useKeys = (app: App) =>
        Promise.all(
          [liveKey!, created.key].map((key) =>
            app.server.inject({
              method: 'POST',
              url: '/v1/sessions',
              headers: { authorization: `Bearer ${key}` },
              payload: { amount: '9.99', currency: 'USD' },
            }),
          ),
        );
      const revoke = async () => {
        const revoked = await cli(env, 'keys', 'revoke', liveId);
        assert.equal(revoked.code, 0, revoked.stderr);
        assert.match(revoked.stdout, new RegExp(`revoked ${liveId}`));
      };

      if (backend.sharesWhileRunning) {
        // One server runs throughout: the revocation by another process counts on its next request.
        await withApp(backend, config, async (app) => {
          const [a, b] = await useKeys(app);
          assert.equal(a!.statusCode, 201, a!.body);
          assert.equal((a!.json() as Session).livemode, true);
          assert.equal(b!.statusCode, 201, b!.body);
          assert.equal((b!.json() as Session).livemode, false);
          await revoke();
          const [c, d] = await useKeys(app);
          assert.equal(c!.statusCode, 401, c!.body);
          assert.equal(d!.statusCode, 201, 'the other key still works');
        });
      } else {
        const [a, b] = await withApp(backend, config, useKeys);
        assert.equal(a!.statusCode, 201, a!.body);
        assert.equal((a!.json() as Session).livemode, true);
        assert.equal(b!.statusCode, 201, b!.body);
        await revoke();
        const [c, d] = await withApp(backend, config, useKeys);
        assert.equal(c!.statusCode, 401, c!.body);
        assert.equal(d!.statusCode, 201, 'the other key still works');
      }

      // The listing for people; on PostgreSQL also the JSON one (PGlite's runs are slow and serial).
      const [list, json] = await runs(
        () => cli(env, 'keys', 'list'),
        ...(backend.sharesWhileRunning ? [() => cli(env, 'keys', 'list', '--json')] : []),
      );
      assert.equal(list!.code, 0, list!.stderr);
      assert.equal(KEY.test(list!.stdout), false, 'list never shows a key');
      const lines = list!.stdout.split('\n');
      assert.match(lines[0]!, /^ID\s+MODE\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED\s+DESCRIPTION$/);
      const rowOf = (id: string) => lines.find((line) => line.startsWith(id)) ?? '';
      const dates = (line: string) => line.match(/\d{4}-\d\d-\d\dT[\d:.]+Z/g)?.length ?? 0;
      assert.ok(rowOf(liveId).includes(`live  ${liveKey!.slice(0, 12)}…`), list!.stdout);
      assert.match(rowOf(liveId), /shop$/);
      assert.equal(dates(rowOf(liveId)), 3, 'created, last used and revoked');
      assert.ok(rowOf(created.id).includes(`test  ${created.prefix}`), list!.stdout);
      assert.equal(dates(rowOf(created.id)), 2, 'created and last used; not revoked');
      if (json) {
        assert.equal(json.code, 0, json.stderr);
        assert.equal(KEY.test(json.stdout), false);
        const rows = json.stdout
          .trim()
          .split('\n')
          .map(
            (line) =>
              JSON.parse(line) as { id: string; revoked_at: string | null; last_used_at: string | null },
          );
        const liveRow = rows.find((row) => row.id === liveId)!;
        assert.ok(liveRow.revoked_at && liveRow.last_used_at, 'the live key was used, then revoked');
        assert.equal(rows.find((row) => row.id === created.id)!.revoked_at, null);
      }
    });

    if (label === 'PostgreSQL') {
      test('wrong usage fails with a message and exit code 1', async (t) => {
        if (backend.unavailable) return t.skip(backend.unavailable);
        const [noMode, unknown] = await Promise.all([
          cli(env, 'keys', 'create'),
          cli(env, 'keys', 'revoke', 'key_nope'),
        ]);
        assert.equal(noMode.code, 1);
        assert.match(noMode.stderr, /--mode test or --mode live is required/);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /no key key_nope/);
      });
    }
  });
}

// The two backends run side by side: each CLI run is a process of its own.
describe('keys CLI', { concurrency: 2 }, () => {
  cliSuite(pgliteDir, 'PGlite');
  cliSuite(postgresDatabase, 'PostgreSQL');
});
