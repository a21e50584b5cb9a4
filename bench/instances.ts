/**
 * `npm run bench:instances` — several instances on one PostgreSQL database (issue 13, goal 5): the
 * chain RPC calls per block of two instances together beside one instance alone (the anchor, same
 * run, same chain, same watched session), and how long the follower takes to lead after the leader is
 * killed with SIGKILL (beside the lock retry interval). Compiled servers (`packages/server/dist`, run
 * `npm run build` first), PostgreSQL at 127.0.0.1:5432 (or `TEST_DATABASE_URL`), one anvil, each
 * instance behind its own counting JSON-RPC proxy. Prints figures; does not judge them.
 * @module
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { BuyerSession, Session } from '@crypto-checkout/protocol';
import { LEADERSHIP_RETRY_MS } from '../packages/server/src/chain/chain-leadership.js';
import type { ReadinessReport } from '../packages/server/src/readiness.js';
import { spawnBackend, type BackendProcess } from '../test/support/backend-process.js';
import { deployTestToken, devClients, startAnvil } from '../test/support/chain.js';
import { startRpcCounter, type RpcCounter } from '../test/support/rpc-counter.js';
import { testMerchantWallet, testSecretKey } from '../test/support/stack.js';
import { callApi, waitFor } from '../test/support/wait.js';
import { reportFigures } from './support/standalone.js';

const BLOCKS = Number(process.env.BLOCKS ?? 20);
const KILLS = Number(process.env.KILLS ?? 5);
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string): Promise<void> {
  const url = new URL(SERVER);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const ready = async (b: BackendProcess) => (await (await fetch(`${b.url}/ready`)).json()) as ReadinessReport;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const name = `cc_bench_instances_${randomBytes(6).toString('hex')}`;
await admin(`CREATE DATABASE ${name}`);
const databaseUrl = new URL(SERVER);
databaseUrl.pathname = `/${name}`;
const anvil = await startAnvil();
const usdc = await deployTestToken(anvil.rpcUrl);
const secretKey = testSecretKey();
const encryptionKey = randomBytes(32).toString('base64');
const counters: RpcCounter[] = [];
const running: BackendProcess[] = [];
const start = async () => {
  const counter = await startRpcCounter(anvil.rpcUrl);
  counters.push(counter);
  const backend = await spawnBackend({
    DATABASE_URL: databaseUrl.toString(),
    // PostgreSQL needs the key set (no key file is derived for it): the same on every instance.
    CC_ENCRYPTION_KEY: encryptionKey,
    LOG_LEVEL: 'info',
    CC_SECRET_KEYS: secretKey,
    CC_XPUB: testMerchantWallet().xpub,
    CC_RATES: JSON.stringify({ ETH: '2000' }),
    CC_CHAINS: JSON.stringify([
      {
        key: 'anvil',
        id: 31337,
        rpc_url: counter.url,
        confirmations: 1,
        polling_interval_ms: 200,
        tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
      },
    ]),
  });
  running.push(backend);
  return { backend, counter };
};
const role = async (b: BackendProcess) => (await ready(b)).chains[0]?.role;

/** RPC calls per block of `counters` together while `BLOCKS` blocks are mined one at a time. */
async function callsPerBlock(leader: BackendProcess, all: RpcCounter[]): Promise<number> {
  const head = async () => (await ready(leader)).chains[0]?.head ?? -1;
  let reached = await waitFor(async () => {
    const h = await head();
    return h >= 0 && h;
  }, 10_000);
  const before = all.reduce((n, c) => n + c.calls, 0);
  for (let i = 0; i < BLOCKS; i += 1) {
    await devClients(anvil.rpcUrl).test.mine({ blocks: 1 });
    reached = await waitFor(async () => {
      const h = await head();
      return h > reached && h;
    }, 10_000);
  }
  return (all.reduce((n, c) => n + c.calls, 0) - before) / BLOCKS;
}

try {
  const one = await start();
  await waitFor(async () => (await role(one.backend)) === 'leader', 10_000);
  // One session watched, so that the watcher queries logs as it does in production.
  const session = await callApi<Session>(one.backend.url, secretKey, 'POST', '/v1/sessions', {
    amount: '1.00',
    currency: 'USD',
  });
  await callApi<BuyerSession>(
    one.backend.url,
    session.client_secret,
    'POST',
    `/v1/sessions/${session.id}/payment`,
    {
      method: 'usdc@anvil',
    },
  );
  const alone = await callsPerBlock(one.backend, [one.counter]);
  const two = await start();
  await waitFor(async () => (await role(two.backend)) === 'follower', 10_000);
  const together = await callsPerBlock(one.backend, [one.counter, two.counter]);

  const takeovers: number[] = [];
  let [leader, follower] = [one.backend, two.backend];
  for (let i = 0; i < KILLS; i += 1) {
    await leader.kill('SIGKILL');
    const killed = performance.now();
    await waitFor(async () => (await role(follower)) === 'leader', 30_000);
    takeovers.push(performance.now() - killed);
    const next = await start();
    await waitFor(async () => (await role(next.backend)) === 'follower', 10_000);
    [leader, follower] = [follower, next.backend];
  }
  reportFigures({ blocks: BLOCKS, alone, together, takeovers, retryMs: LEADERSHIP_RETRY_MS });
  console.table([
    {
      figure: 'RPC calls per block, 2 instances together',
      value: together.toFixed(2),
      anchor: `1 instance alone: ${alone.toFixed(2)}`,
      ratio: (together / alone).toFixed(2),
    },
    {
      figure: `SIGKILL leader → follower leads (median of ${KILLS})`,
      value: `${Math.round(median(takeovers))} ms (max ${Math.round(Math.max(...takeovers))})`,
      anchor: `lock retry ${LEADERSHIP_RETRY_MS} ms`,
      ratio: (median(takeovers) / LEADERSHIP_RETRY_MS).toFixed(2),
    },
  ]);
} finally {
  await Promise.all(running.map((b) => b.kill('SIGKILL')));
  await Promise.all(counters.map((c) => c.close()));
  await anvil.stop();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
