/**
 * A deployment's first hour, as an operator goes through it: `crypto-checkout-server init` against a
 * fresh PostgreSQL database, the file edited as a person would (xpub, chains; comments kept), `doctor`
 * against a real anvil with a deployed token, then the server started on that file answering
 * `/ready` and taking the key init printed. Then the mistakes doctor must name (wrong chain id,
 * wrong token decimals, a bad xpub, a node that is down) and the messages of configuration errors.
 * The CLI runs from source (tsx) in a child process whose working directory is a fresh folder.
 */
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { applyEdits, modify } from 'jsonc-parser';
import pg from 'pg';
import { ConfigError, loadConfig } from '../../packages/server/src/config.js';
import { deployTestToken, freePort, startAnvil, type Anvil } from '../support/chain.js';
import { childLogFile, recordSecrets, TEST_LOG_DIR } from '../support/logs.js';
import { testMerchantWallet } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/server/src/cli.ts');
// By URL: the child's working directory is a temporary folder, where `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The environment of the shell, less any configuration of the server. */
const cleanEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(CC_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(name) && !name.startsWith('NODE_TEST'),
    ),
  );

const cliArgs = (...args: string[]) => [
  '--conditions=@crypto-checkout/source',
  `--import=${TSX}`,
  CLI,
  ...args,
];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `crypto-checkout-server …` in `cwd` with only `env` on top of a clean environment. */
function cli(cwd: string, env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      cliArgs(...args),
      // Generous: tsx compiles the CLI on a loaded machine; a hang still fails the test.
      { cwd, env: { ...cleanEnv(), ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Lines of doctor's output whose status is `status`. */
const lines = (stdout: string, status: 'ok' | 'warn' | 'FAIL') =>
  stdout.split('\n').filter((line) => line.startsWith(status === 'ok' ? 'ok   ' : `${status} `));

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_SERVER_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('init and doctor against PostgreSQL and anvil', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-init-'));
  const database = `cc_init_${randomBytes(6).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(PG_SERVER_URL), { pathname: `/${database}` }).toString();
  const wallet = testMerchantWallet();
  let unavailable: string | null = null;
  let anvil: Anvil;
  let usdc: `0x${string}`;
  const file = join(dir, 'crypto-checkout.jsonc');

  before(async () => {
    try {
      await admin(`CREATE DATABASE ${database}`);
    } catch (error) {
      unavailable = `PostgreSQL not reachable (${(error as Error).message}): SKIPPED`;
      console.warn(
        `\n*** ${unavailable}\n*** The init/doctor tests did NOT run. Start PostgreSQL or set TEST_DATABASE_URL.\n`,
      );
      return;
    }
    anvil = await startAnvil();
    usdc = await deployTestToken(anvil.rpcUrl);
  });
  after(async () => {
    await anvil?.stop();
    if (!unavailable) await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The chains entry a person writes for the local node and its token. */
  const chains = (token: Partial<{ decimals: number }> = {}) => [
    {
      key: 'anvil',
      rpc_url: anvil.rpcUrl,
      tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, ...token }],
    },
  ];
  const env = () => ({ CC_CONFIG: file });

  test('init writes a commented file, a 0600 key file and the first key; edited, doctor passes and the server starts on it', async (t: TestContext) => {
    if (unavailable) return t.skip(unavailable);
    const init = await cli(dir, {}, 'init', '--database-url', databaseUrl);
    assert.equal(init.code, 0, init.stderr);
    const key = /\bsk_test_[0-9a-f]{48}\b/.exec(init.stdout)?.[0];
    assert.ok(key, init.stdout);
    recordSecrets(key);
    assert.match(init.stdout, /only time the key is shown/);
    assert.match(init.stdout, /Next steps:[\s\S]*"xpub"[\s\S]*doctor[\s\S]*start/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'crypto-checkout.key')).mode & 0o777, 0o600);
    const template = readFileSync(file, 'utf8');
    // Every top-level key is there with what it does; the defaults are commented out.
    assert.match(template, /\/\/ "port": 8787,/);
    assert.match(template, /\/\/ \(integer \(0–65535\); default 8787; environment PORT\)/);
    assert.match(template, /"database_url": "postgres:/);
    assert.match(template, /\/\/ "webhooks": \{/);

    const again = await cli(dir, {}, 'init', '--database-url', databaseUrl);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; give --force to overwrite it/);
    assert.equal(readFileSync(file, 'utf8'), template, 'the file is untouched');

    // Not edited yet: the two keys a person must set are named.
    const unedited = await cli(dir, env(), 'doctor');
    assert.equal(unedited.code, 78, unedited.stdout + unedited.stderr);
    assert.match(
      unedited.stdout,
      /^FAIL config: xpub: is empty — hint: export the account's extended public key/m,
    );
    assert.match(unedited.stdout, /^FAIL config: chains: configure at least one chain — hint: /m);

    // Edited as a person does in an editor: values replaced, comments kept.
    let text = template;
    for (const [path, value] of [
      [['xpub'], wallet.xpub],
      [['chains'], chains()],
    ] as const)
      text = applyEdits(
        text,
        modify(text, [...path], value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
      );
    assert.match(text, /\/\/ Extended public key/);
    writeFileSync(file, text);

    const doctor = await cli(dir, env(), 'doctor');
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.deepEqual(lines(doctor.stdout, 'FAIL'), []);
    assert.match(doctor.stdout, /^ok {3}config: valid \(CC_CONFIG=/m);
    assert.match(doctor.stdout, /^ok {3}database: PostgreSQL .* is reachable and migrated/m);
    assert.match(doctor.stdout, /^ok {3}secret keys: 1 usable \(0 live\)/m);
    assert.match(doctor.stdout, /^ok {3}encryption key: .*crypto-checkout\.key \(mode 600\)/m);
    assert.ok(
      doctor.stdout.includes(`ok   xpub: first deposit address (index 0): ${wallet.addressAt(0)}`),
      doctor.stdout,
    );
    assert.match(doctor.stdout, /^ok {3}chain anvil: chain id 31337 \(Anvil \(local\)\), head block \d+/m);
    assert.match(
      doctor.stdout,
      new RegExp(`^ok {3}token usdc@anvil: ${usdc}: decimals 6, symbol "USDC"`, 'im'),
    );
    assert.match(doctor.stdout, /^warn public_url: not set: .* — hint: set public_url/m);
    assert.doesNotMatch(doctor.stdout, new RegExp(key));

    const json = await cli(dir, env(), 'doctor', '--json');
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: { status: string; name: string }[] };
    assert.equal(report.ok, true);
    assert.ok(report.checks.some((c) => c.name === 'token usdc@anvil' && c.status === 'ok'));

    // The server starts on the file and answers /ready; the key init printed works.
    const server = spawn(process.execPath, cliArgs('start'), {
      cwd: dir,
      env: { ...cleanEnv(), ...env(), PORT: '0', ...(TEST_LOG_DIR ? { LOG_LEVEL: 'trace' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = childLogFile(`init-server-${server.pid}`);
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    if (log) {
      server.stdout.pipe(log);
      server.stderr.pipe(log);
    }
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      const url = await waitFor(
        () => {
          if (server.exitCode !== null) throw new Error(`the server exited:\n${output.slice(-3000)}`);
          return /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*listening/.exec(output)?.[1];
        },
        60_000,
        'the server to listen',
      );
      await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 30_000, '/ready to answer 200');
      const created = await fetch(`${url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: '5.00', currency: 'USD' }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const session = (await created.json()) as { client_secret: string; methods: { id: string }[] };
      recordSecrets(session.client_secret);
      assert.ok(session.methods.some((m) => m.id === 'usdc@anvil'));
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
  });

  test('doctor names a wrong chain id, wrong token decimals, a bad xpub and a node that is down', async (t: TestContext) => {
    if (unavailable) return t.skip(unavailable);
    if (!existsSync(file)) return t.skip('the first test did not write the file');
    const down = `http://127.0.0.1:${await freePort()}`;
    // `base` is a known chain (id 8453): anvil's node answers 31337.
    const [wrongId, wrongDecimals, badXpub, nodeDown] = await Promise.all([
      cli(
        dir,
        { ...env(), CC_CHAINS: JSON.stringify([{ key: 'base', rpc_url: anvil.rpcUrl, tokens: [] }]) },
        'doctor',
      ),
      cli(dir, { ...env(), CC_CHAINS: JSON.stringify(chains({ decimals: 18 })) }, 'doctor'),
      cli(dir, { ...env(), CC_XPUB: `${wallet.xpub.slice(0, -4)}AAAA` }, 'doctor'),
      cli(dir, { ...env(), CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: down }]) }, 'doctor'),
    ]);

    assert.equal(wrongId!.code, 1, wrongId!.stdout);
    assert.deepEqual(lines(wrongId!.stdout, 'FAIL'), [
      'FAIL chain base: rpc_url answers chain id 31337, configured 8453 (Base) — hint: this node is not Base: use a Base RPC URL, or another chain key',
    ]);
    assert.equal(wrongDecimals!.code, 1, wrongDecimals!.stdout);
    assert.deepEqual(lines(wrongDecimals!.stdout, 'FAIL'), [
      'FAIL token usdc@anvil: decimals() answers 6, configured 18 — hint: set "decimals": 6: amounts would be off by a factor of 10^12',
    ]);
    assert.equal(badXpub!.code, 78, badXpub!.stdout);
    assert.match(
      badXpub!.stdout,
      /^FAIL config: xpub: "xpub.*…" \(from CC_XPUB\) is not a valid BIP32 extended public key \(.*\) — hint: /m,
    );
    assert.equal(nodeDown!.code, 1, nodeDown!.stdout);
    assert.match(
      nodeDown!.stdout,
      new RegExp(
        `^FAIL chain anvil: rpc_url ${down.replace(/\./g, '\\.')} does not answer: .* — hint: is the node up`,
        'm',
      ),
    );
    // The other checks still run and pass.
    assert.match(nodeDown!.stdout, /^ok {3}database: /m);
  });
});

describe('configuration errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-config-errors-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const wallet = testMerchantWallet();
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.message.split('\n');
    }
    assert.fail('the configuration loaded');
  };
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('name the key path, the value, the problem and a hint', () => {
    const file = write(
      'typo.jsonc',
      JSON.stringify({
        xpub: wallet.xpub,
        chains: [{ key: 'anvil', rpc_url: 'htp://x' }],
        prot: 8080,
        webhooks: { timeout_ms: 'soon' },
      }),
    );
    const lines = problems({ CC_CONFIG: file });
    assert.ok(
      lines.includes(
        `  - chains[0].rpc_url: "htp://x" is not an http(s) URL — hint: the node's JSON-RPC URL, e.g. https://mainnet.base.org or http://127.0.0.1:8545`,
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.includes('  - (the whole configuration): has unknown key "prot" — hint: did you mean "port"?'),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) =>
        line.startsWith('  - webhooks.timeout_ms: "soon" is a string; expected a number — hint: '),
      ),
      lines.join('\n'),
    );
    // Nothing of zod's own vocabulary leaks through.
    assert.doesNotMatch(lines.join('\n'), /Invalid input|Too small|Unrecognized key|"code":/);
  });

  test('say which environment variable held the bad value', () => {
    const lines = problems({
      CC_XPUB: wallet.xpub,
      CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:8545', polling_interval_ms: 1 }]),
      PORT: 'eighty',
    });
    assert.ok(
      lines.some((line) => line.startsWith('  - port: "eighty" (from PORT) is a string; expected a number')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) =>
        line.startsWith('  - chains[0].polling_interval_ms: 1 (from CC_CHAINS) is below the minimum 50'),
      ),
      lines.join('\n'),
    );
    assert.throws(() => loadConfig({ CC_CHAINS: '[{' }), /CC_CHAINS must be valid JSON \(.*\) — hint: /);
  });

  test('never repeat a secret: a bad secret key, an xprv in place of the xpub', () => {
    const secret = `sk_live_${randomBytes(4).toString('hex')}`;
    const xprv =
      'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
    const text = problems({
      CC_XPUB: xprv,
      CC_SECRET_KEYS: secret,
      CC_CHAINS: JSON.stringify([{ key: 'anvil', rpc_url: 'http://127.0.0.1:8545' }]),
    }).join('\n');
    assert.match(
      text,
      /secret_keys\[0\]: \(from CC_SECRET_KEYS\) \(value not shown: a secret\) must look like/,
    );
    assert.match(text, /xpub: \(from CC_XPUB\) \(value not shown: a secret\) is an extended PRIVATE key/);
    assert.ok(!text.includes(secret) && !text.includes(xprv.slice(4, 20)), text);
  });

  test('a syntax error in the file says where, with the line; comments and trailing commas are fine', () => {
    const good = write(
      'good.jsonc',
      `// made by hand\n{\n  /* the wallet */ "xpub": ${JSON.stringify(wallet.xpub)},\n  "chains": [{ "key": "anvil", "rpc_url": "http://127.0.0.1:8545", },],\n}\n`,
    );
    assert.equal(loadConfig({ CC_CONFIG: good }).chains[0]!.key, 'anvil');
    const bad = write('bad.json', `{\n  "xpub": "x"\n  "chains": []\n}\n`);
    const lines = problems({ CC_CONFIG: bad });
    assert.equal(lines[0], `CC_CONFIG=${bad} is not valid JSON:`);
    assert.match(
      lines[1]!,
      new RegExp(`^  - ${bad.replace(/[.]/g, '\\.')}:3:3: a comma is expected — hint: `),
    );
    assert.equal(lines[2], '      "chains": []');
    assert.equal(lines[3], '      ^');
  });
});
