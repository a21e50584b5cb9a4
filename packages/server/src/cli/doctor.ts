/**
 * `crypto-checkout-server doctor`: checks a configuration against the world before the server is
 * started on it — the database (reachable, migrated), each chain's node (reachable, the configured
 * chain id), each token contract (`decimals()` and `symbol()` as configured), the xpub (well formed;
 * its first deposit address printed to compare with the wallet), the public URL, the CORS origins,
 * the encryption key and the webhook URL guard. Each check is one result: ok, warn or fail with a
 * hint. It changes nothing: no migration, no key file, no row.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createPublicClient, erc20Abi, http, type PublicClient } from 'viem';
import { deriveDepositAddress, parseXpub } from '../chain/evm/derive-address.js';
import { findKnownChain } from '../chain/known-chains.js';
import { deriveTronAddress, tronAddressToHex } from '../chain/tron/address.js';
import { tronSolidHead } from '../chain/tron/chain-watcher.js';
import { deriveUtxoAddress, parseUtxoAccountKey, receiveDescriptor } from '../chain/utxo/account-key.js';
import { nodeRpc } from '../chain/utxo/node-rpc.js';
import { crossCheck } from '../chain/utxo/node-wallet.js';
import { utxoNetworkOf, walletNameOf } from '../chain/utxo/utxo-chain.js';
import { ConfigError, parseConfig, readConfigInput, type ChainConfig, type Config } from '../config.js';
import { openDatabase, type Database } from '../store/database.js';
import { MIGRATIONS } from '../store/migrations.js';
import { keyFileOf, parseEncryptionKey } from '../store/secret-box.js';

/** One finding. */
export interface Check {
  status: 'ok' | 'warn' | 'fail';
  /** What was checked: `database`, `chain base`, `token usdc@base`, … */
  name: string;
  message: string;
  /** What to do about a warn or a fail. */
  hint?: string;
}

/** What `doctor` found; `configInvalid` when the configuration did not even load. */
export interface DoctorReport {
  checks: Check[];
  configInvalid: boolean;
}

/** How long a node or the database may take to answer one question. */
const TIMEOUT_MS = 5_000;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

const ok = (name: string, message: string): Check => ({ status: 'ok', name, message });
const warn = (name: string, message: string, hint: string): Check => ({
  status: 'warn',
  name,
  message,
  hint,
});
const fail = (name: string, message: string, hint: string): Check => ({
  status: 'fail',
  name,
  message,
  hint,
});

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not answer within ${TIMEOUT_MS / 1000} s`)),
        TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The reason of a failed request, short (viem's messages run to many lines), with the system's code. */
function reason(error: unknown): string {
  const err = error as { shortMessage?: string; message?: string };
  const text = (err.shortMessage ?? err.message ?? String(error)).split('\n')[0]!;
  // The code (ECONNREFUSED, ENOTFOUND, …) sits some causes deep: viem → fetch → the socket.
  let code: string | undefined;
  for (
    let cause: unknown = error;
    cause && !code;
    // Node's fetch gives an AggregateError (IPv4 and IPv6 tried) whose first error has the code.
    cause = (cause as { cause?: unknown }).cause ?? (cause as { errors?: unknown[] }).errors?.[0]
  )
    code =
      typeof (cause as { code?: unknown }).code === 'string' ? (cause as { code: string }).code : undefined;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

/** A database URL without its password, for printing. */
function safeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(unparsable database_url)';
  }
}

async function checkDatabase(config: Config): Promise<{ checks: Check[]; liveKeys: number; keys: number }> {
  const name = 'database';
  const where = config.database_url
    ? `PostgreSQL ${safeDatabaseUrl(config.database_url)}`
    : `PGlite in ${config.data_dir}`;
  const configured = config.secret_keys.length;
  const configuredLive = config.secret_keys.filter((key) => /^(sk_live_|sha256:live:)/.test(key)).length;
  if (!config.database_url && config.data_dir.startsWith('memory://'))
    return {
      checks: [
        warn(name, `${where}: nothing survives a restart`, 'set database_url, or data_dir to a folder'),
      ],
      keys: configured,
      liveKeys: configuredLive,
    };
  if (!config.database_url && !existsSync(config.data_dir))
    return {
      checks: [
        warn(
          name,
          `${where}: the folder does not exist yet`,
          'the server makes it on first start (or run init)',
        ),
      ],
      keys: configured,
      liveKeys: configuredLive,
    };
  if (config.database_url) {
    // A probe with a connect timeout first: an unreachable host would otherwise hang the pool.
    const { default: pg } = await import('pg');
    const probe = new pg.Client({
      connectionString: config.database_url,
      connectionTimeoutMillis: TIMEOUT_MS,
    });
    try {
      await probe.connect();
    } catch (error) {
      return {
        checks: [
          fail(
            name,
            `${where} is not reachable: ${reason(error)}`,
            'is PostgreSQL running, and do host, port, user, password and database name in database_url match? The database must exist (CREATE DATABASE …)',
          ),
        ],
        keys: configured,
        liveKeys: configuredLive,
      };
    } finally {
      await probe.end().catch(() => undefined);
    }
  }
  let db: Database;
  try {
    db = await withTimeout(
      openDatabase({ databaseUrl: config.database_url, dataDir: config.data_dir }),
      where,
    );
  } catch (error) {
    return {
      checks: [
        fail(
          name,
          `${where} does not open: ${reason(error)}`,
          'check database_url / data_dir and their permissions',
        ),
      ],
      keys: configured,
      liveKeys: configuredLive,
    };
  }
  try {
    const checks: Check[] = [];
    const { rows: tables } = await db.query<{ name: string | null }>(
      "SELECT to_regclass('schema_migrations')::text AS name",
    );
    const applied = tables[0]?.name
      ? new Set(
          (await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
            (r) => r.version,
          ),
        )
      : new Set<number>();
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const newer = [...applied].filter((version) => !known.has(version));
    const pending = MIGRATIONS.filter((m) => !applied.has(m.version));
    if (newer.length)
      checks.push(
        fail(
          name,
          `${where} has migrations this version does not know (${newer.join(', ')})`,
          'a newer server version has used this database; run that version',
        ),
      );
    else if (pending.length)
      checks.push(
        warn(
          name,
          `${where} is reachable; ${pending.length} of ${MIGRATIONS.length} migrations pending: ${pending.map((m) => `${m.version} ${m.name}`).join('; ')}`,
          'the server applies them when it starts (so does crypto-checkout-server init)',
        ),
      );
    else checks.push(ok(name, `${where} is reachable and migrated (${MIGRATIONS.length} migrations)`));
    let keys = configured;
    let liveKeys = configuredLive;
    if (applied.has(MIGRATIONS.find((m) => m.sql.includes('CREATE TABLE api_keys'))?.version ?? -1)) {
      const { rows } = await db.query<{ mode: string; n: string }>(
        'SELECT mode, count(*)::text AS n FROM api_keys WHERE revoked_at IS NULL GROUP BY mode',
      );
      for (const row of rows) {
        keys += Number(row.n);
        if (row.mode === 'live') liveKeys += Number(row.n);
      }
    }
    checks.push(
      keys
        ? ok('secret keys', `${keys} usable (${liveKeys} live)`)
        : warn(
            'secret keys',
            'none: no merchant can create a session',
            'crypto-checkout-server keys create --mode live',
          ),
    );
    return { checks, keys, liveKeys };
  } catch (error) {
    return {
      checks: [fail(name, `${where}: ${reason(error)}`, "check the database user's rights")],
      keys: configured,
      liveKeys: configuredLive,
    };
  } finally {
    await db.close();
  }
}

async function checkEncryptionKey(config: Config): Promise<Check> {
  const name = 'encryption key';
  if (config.encryption_key) return ok(name, 'set in the configuration (encryption_key / CC_ENCRYPTION_KEY)');
  const file = keyFileOf(config);
  if (file === null && config.database_url)
    return fail(
      name,
      'none: with PostgreSQL the server refuses to start without encryption_key or encryption_key_file',
      'set CC_ENCRYPTION_KEY (openssl rand -base64 32), the same on every instance',
    );
  if (file === null)
    return warn(name, 'none: an in-memory database gets a key that dies with it', 'fine for a demo only');
  if (!existsSync(file))
    return warn(
      name,
      `${file} does not exist: the server makes one on first start`,
      'on several instances, or in a container, set CC_ENCRYPTION_KEY (openssl rand -base64 32) instead, the same everywhere',
    );
  if (!parseEncryptionKey(await readFile(file, 'utf8')))
    return fail(
      name,
      `${file} does not hold a 256-bit key`,
      'it must hold 64 hex digits or base64 of 32 bytes',
    );
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    return warn(name, `${file} is readable by others (mode ${mode.toString(8)})`, `chmod 600 ${file}`);
  return ok(name, `${file} (mode 600); keep a backup of it with the database's`);
}

function checkXpub(config: Config): Check {
  const root = parseXpub(config.xpub);
  const first = deriveDepositAddress(root, 0);
  const message = `first deposit address (index 0): ${first} — compare it with your wallet's first receiving address`;
  if (root.depth !== 4)
    return warn(
      'xpub',
      `${message}; depth ${root.depth}`,
      "wallets give addresses under m/44'/60'/0'/0 (an xpub of depth 4); another depth derives addresses your wallet may not show",
    );
  return ok('xpub', message);
}

async function checkChain(chain: ChainConfig): Promise<Check[]> {
  const name = `chain ${chain.key}`;
  const checks: Check[] = [];
  const url = new URL(chain.rpc_url);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname))
    checks.push(
      warn(
        name,
        `rpc_url ${url.origin} is plain http`,
        'use https: a node answering over http can be impersonated on the way',
      ),
    );
  if (chain.family === 'utxo') return [...checks, ...(await checkUtxoChain(chain, name, url))];
  const client: PublicClient = createPublicClient({
    transport: http(chain.rpc_url, { retryCount: 0, timeout: TIMEOUT_MS }),
  });
  let head: bigint;
  try {
    const id = await client.getChainId();
    if (id !== chain.id) {
      const known = findKnownChain(chain.key);
      checks.push(
        fail(
          name,
          `rpc_url answers chain id ${id}, configured ${chain.id} (${chain.name})`,
          known
            ? `this node is not ${known.name}: use a ${known.name} RPC URL, or another chain key`
            : 'point rpc_url at a node of the chain you mean, or fix chains[].id',
        ),
      );
      return checks;
    }
    head = await client.getBlockNumber();
  } catch (error) {
    checks.push(
      fail(
        name,
        `rpc_url ${url.origin} does not answer: ${reason(error)}`,
        'is the node up, and is the URL (with its API key) right?',
      ),
    );
    return checks;
  }
  checks.push(
    ok(
      name,
      `chain id ${chain.id} (${chain.name}), head block ${head}, ${chain.confirmations} confirmations`,
    ),
  );
  if (chain.family === 'tron') checks.push(...(await checkTron(client, chain, Number(head))));
  for (const token of chain.tokens) checks.push(await checkToken(client, chain, token));
  return checks;
}

/**
 * A TRON chain's own checks: its first deposit address (to compare with the wallet's), and the
 * solidified head that payments wait for, from the HTTP API (or the `finalized` tag).
 */
async function checkTron(client: PublicClient, chain: ChainConfig, head: number): Promise<Check[]> {
  const name = `chain ${chain.key}`;
  const checks: Check[] = [];
  const root = parseXpub(chain.xpub!);
  const first = deriveTronAddress(root, 0);
  checks.push(
    root.depth === 3
      ? ok(
          `${name} xpub`,
          `first deposit address (index 0): ${first} — compare it with your wallet's first address`,
        )
      : warn(
          `${name} xpub`,
          `first deposit address (index 0): ${first}; depth ${root.depth}`,
          "give the account key of m/44'/195'/0' (depth 3): deposit i is then m/44'/195'/0'/0/i, your wallet's address i",
        ),
  );
  if (chain.finality === 'confirmations') return checks;
  try {
    const solid = await tronSolidHead(chain, client)();
    const behind = head - solid;
    checks.push(
      behind >= 0 && behind <= 100
        ? ok(`${name} solidified`, `solidified head ${solid}, ${behind} blocks behind the head`)
        : warn(
            `${name} solidified`,
            `solidified head ${solid} is ${behind} blocks behind the head ${head}`,
            'payments count only once solid: is the solidity node in sync, and is http_api_url the same network as rpc_url?',
          ),
    );
  } catch (error) {
    checks.push(
      fail(
        `${name} solidified`,
        `cannot read the solidified head: ${reason(error)}`,
        'set http_api_url to the node\'s HTTP API (e.g. https://api.trongrid.io), or "finality": "confirmations"',
      ),
    );
  }
  return checks;
}

/**
 * A Bitcoin-like chain's node: it answers (the URL's user info is never printed), runs the configured
 * network, the server's watch-only wallet is there (or will be created blank at first start) and
 * holds no private keys, and the node derives the same addresses as the server (`deriveaddresses`).
 */
async function checkUtxoChain(chain: ChainConfig, name: string, url: URL): Promise<Check[]> {
  const network = utxoNetworkOf(chain);
  const key = parseUtxoAccountKey(chain.xpub!, network, chain.address_type);
  const rpc = nodeRpc(chain.rpc_url, { timeoutMs: TIMEOUT_MS });
  const checks: Check[] = [];
  let info: { chain: string; blocks: number };
  try {
    info = await rpc<{ chain: string; blocks: number }>('getblockchaininfo');
  } catch (error) {
    return [
      fail(
        name,
        `rpc_url ${url.origin} does not answer: ${reason(error)}`,
        'is the node up with -server, and are the rpc user and password in the URL right (http://user:password@host:port)?',
      ),
    ];
  }
  if (info.chain !== network.nodeChain) {
    return [
      fail(
        name,
        `the node runs ${info.chain}, the chain is ${network.coin} ${network.nodeChain}`,
        'point rpc_url at a node of that network, or choose another chain key / utxo_network',
      ),
    ];
  }
  checks.push(
    ok(name, `${network.coin} ${info.chain}, height ${info.blocks}, ${chain.confirmations} confirmations`),
  );
  const first = deriveUtxoAddress(key, 0);
  try {
    const { descriptor } = await rpc<{ descriptor: string }>('getdescriptorinfo', [receiveDescriptor(key)]);
    await crossCheck(rpc, descriptor, key, [0, 1, 1000]);
    checks.push(
      ok(
        `${name} addresses`,
        `the node derives the server's addresses (${key.givenAs}, ${key.type}); first: ${first} — compare it with your wallet's first receiving address`,
      ),
    );
  } catch (error) {
    checks.push(
      fail(`${name} addresses`, reason(error), "check the chain's xpub, address_type and utxo_network"),
    );
  }
  const wallet = walletNameOf(chain);
  try {
    const loaded = await rpc<string[]>('listwallets');
    if (!loaded.includes(wallet)) {
      checks.push(
        warn(
          `${name} wallet`,
          `wallet "${wallet}" is not loaded`,
          'the server loads it, or creates it blank and watch-only, at its first start',
        ),
      );
    } else {
      const walletInfo = await rpc<{ private_keys_enabled: boolean; descriptors?: boolean }>(
        'getwalletinfo',
        [],
        wallet,
      );
      checks.push(
        walletInfo.private_keys_enabled
          ? fail(
              `${name} wallet`,
              `wallet "${wallet}" can hold private keys`,
              'give the server a watch-only wallet of its own: set chains[].wallet to a new name',
            )
          : ok(
              `${name} wallet`,
              `wallet "${wallet}" is watch-only (${walletInfo.descriptors ? 'descriptor wallet: importdescriptors' : 'legacy wallet: importmulti'})`,
            ),
      );
    }
  } catch (error) {
    checks.push(
      fail(`${name} wallet`, reason(error), 'is the node built with wallet support (not -disablewallet)?'),
    );
  }
  return checks;
}

async function checkToken(
  client: PublicClient,
  chain: ChainConfig,
  token: ChainConfig['tokens'][number],
): Promise<Check> {
  const name = `token ${token.symbol.toLowerCase()}@${chain.key}`;
  // TRON's JSON-RPC takes the 0x twin of a T… contract.
  const address =
    chain.family === 'tron' ? tronAddressToHex(token.address) : (token.address as `0x${string}`);
  try {
    const code = await client.getCode({ address });
    if (!code || code === '0x')
      return fail(
        name,
        `no contract at ${token.address} on ${chain.name}`,
        'copy the address from the issuer or the explorer for this chain (a mainnet address does not exist on a testnet)',
      );
    const [decimals, symbol] = await Promise.all([
      client.readContract({ address, abi: erc20Abi, functionName: 'decimals' }),
      client.readContract({ address, abi: erc20Abi, functionName: 'symbol' }).catch(() => null),
    ]);
    if (decimals !== token.decimals)
      return fail(
        name,
        `decimals() answers ${decimals}, configured ${token.decimals}`,
        `set "decimals": ${decimals}: amounts would be off by a factor of 10^${Math.abs(decimals - token.decimals)}`,
      );
    if (symbol !== null && symbol.toUpperCase() !== token.symbol.toUpperCase())
      return warn(
        name,
        `symbol() answers ${JSON.stringify(symbol)}, configured ${JSON.stringify(token.symbol)}`,
        'make sure this is the token you mean (some issuers name it differently, e.g. USD₮0)',
      );
    return ok(name, `${token.address}: decimals ${decimals}, symbol ${JSON.stringify(symbol)}`);
  } catch (error) {
    return fail(
      name,
      `${token.address} does not answer decimals(): ${reason(error)}`,
      'is this an ERC-20 contract on this chain?',
    );
  }
}

function checkPublicUrl(config: Config): Check {
  if (!config.public_url)
    return warn(
      'public_url',
      `not set: checkout links point at http://${config.host}:${config.port}, which only this machine opens`,
      'set public_url to the https address buyers reach, e.g. https://pay.shop.example',
    );
  const url = new URL(config.public_url);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname))
    return fail(
      'public_url',
      `${config.public_url} is http`,
      'buyers must reach the checkout over https: put a TLS proxy in front',
    );
  return ok('public_url', config.public_url);
}

function checkCors(config: Config, liveKeys: number): Check {
  const name = 'cors_origins';
  const bad: string[] = [];
  for (const origin of config.cors_origins) {
    if (origin === '*') continue;
    if (
      !URL.canParse(origin) ||
      new URL(origin).origin !== origin ||
      !/^https?:$/.test(new URL(origin).protocol)
    )
      bad.push(origin);
  }
  if (bad.length)
    return fail(
      name,
      `not origins: ${bad.map((o) => JSON.stringify(o)).join(', ')}`,
      'an origin is scheme://host[:port] with no path and no trailing slash, e.g. https://shop.example',
    );
  if (config.cors_origins.includes('*'))
    return liveKeys
      ? fail(
          name,
          '"*" with live keys: any web page may call the buyer endpoints',
          'list your shop\'s origins, e.g. ["https://shop.example"]',
        )
      : warn(
          name,
          '"*": any web page may call the buyer endpoints',
          "list your shop's origins before going live",
        );
  const insecure = config.cors_origins.filter(
    (o) => o.startsWith('http:') && !LOOPBACK.test(new URL(o).hostname),
  );
  if (insecure.length)
    return warn(
      name,
      `http origins: ${insecure.join(', ')}`,
      'shop pages that take payments should be https',
    );
  return ok(
    name,
    config.cors_origins.length ? config.cors_origins.join(', ') : 'none (the hosted checkout page only)',
  );
}

function checkWebhooks(config: Config): Check {
  const name = 'webhook URL guard';
  if (config.webhooks.allow_private_live_endpoints)
    return warn(
      name,
      'live webhooks may go to private and loopback addresses',
      'only for a merchant system on this private network; otherwise set webhooks.allow_private_live_endpoints to false',
    );
  return ok(
    name,
    `live webhooks go to public addresses only; test webhooks ${config.webhooks.allow_private_test_endpoints ? 'may' : 'may not'} go to private ones`,
  );
}

/**
 * Runs every check on the configuration `env` names (CC_CONFIG and variables, as the server reads
 * them). Never throws for what it finds: a problem is a `fail` in the report.
 */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  let config: Config;
  let sources: string;
  try {
    const read = readConfigInput(env);
    config = parseConfig(read.input, { sources: read.sources });
    const variables = Object.values(read.sources);
    sources = [env.CC_CONFIG ? `CC_CONFIG=${env.CC_CONFIG}` : 'no CC_CONFIG file', ...variables].join(', ');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const [heading] = error.message.split(':\n');
    return {
      configInvalid: true,
      checks: error.problems.map((problem) => {
        const [message, hint] = problem.split(' — hint: ');
        return {
          status: 'fail',
          name: 'config',
          message: heading === 'invalid configuration' ? message! : `${heading}: ${message}`,
          hint: hint ?? '',
        };
      }),
    };
  }
  const [database, encryption, ...chains] = await Promise.all([
    checkDatabase(config),
    checkEncryptionKey(config),
    ...config.chains.map(checkChain),
  ]);
  return {
    configInvalid: false,
    checks: [
      ok('config', `valid (${sources})`),
      ...database.checks,
      encryption,
      checkXpub(config),
      ...chains.flat(),
      checkPublicUrl(config),
      checkCors(config, database.liveKeys),
      checkWebhooks(config),
    ],
  };
}

/** A check as one printed line: `FAIL chain base: … — hint: …`. */
export function formatCheck(check: Check): string {
  const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' }[check.status];
  return `${label} ${check.name}: ${check.message}${check.hint ? ` — hint: ${check.hint}` : ''}`;
}
