import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { formatUnits, parseEther, type Address, type Hash } from 'viem';
import type { BuyerSession, Session } from '@crypto-checkout/protocol';
import { parseConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { testTokenAbi } from '../support/contracts/test-token.js';
import { startStack, testMerchantWallet, testSecretKey, type Stack } from '../support/stack.js';
import { spawnBackend } from '../support/backend-process.js';
import { waitFor } from '../support/wait.js';
import { teeLogger, testLogger } from '../support/logs.js';

/** The secrets' key of the backends this file starts on PostgreSQL, which requires one. */
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/**
 * Fault tests on real parts: the backend is killed with SIGKILL while payments arrive, and the chain
 * node goes away under a running backend. Nothing is mocked: anvil, the backend's own entry point
 * (`packages/server/src/main.ts`, a child process configured through its environment), PGlite on disk and
 * PostgreSQL when there is one.
 */

const CHAIN_ID = 31337;
/** The PostgreSQL server the PostgreSQL run creates its throw-away database on. */
const PG_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** One JSON log line of the backend (pino). */
interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** Every backend child started by this file; the `after` hooks kill those still running. */
const children = new Set<ChildProcess>();

async function killChildren(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      children.delete(child);
    }),
  );
}

/** Starts the real backend (see test/support/backend-process.ts), tracked for the `after` hooks. */
async function startBackend(env: Record<string, string>) {
  const backend = await spawnBackend(env);
  children.add(backend.child);
  /** Its stdout's pino JSON lines, parsed (other lines, e.g. stack traces, are left out). */
  const logs = (): LogLine[] =>
    backend.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  return { ...backend, logs };
}

async function api<T>(url: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${body === undefined ? 'GET' : 'POST'} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The event stream replayed from the start (`Last-Event-ID: 0`); it ends at a terminal status. */
async function replayEvents(url: string, token: string, id: string) {
  const response = await fetch(`${url}/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': '0' },
    signal: AbortSignal.timeout(5_000),
  });
  assert.equal(response.status, 200);
  const events = (await response.text())
    .split('\n\n')
    .flatMap((block) => block.split('\n').filter((line) => line.startsWith('data: ')))
    .map((line) => JSON.parse(line.slice('data: '.length)) as { seq: number; type: string });
  // A reconnect after the terminal event gets nothing more: 204 means no event followed it.
  const again = await fetch(`${url}/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': String(events.at(-1)?.seq ?? 0) },
    signal: AbortSignal.timeout(5_000),
  });
  await again.body?.cancel();
  return { events, reconnectStatus: again.status };
}

/**
 * The type of the newest stored event: what a fresh `EventSource` (no `Last-Event-ID`) gets first,
 * and what webhooks are sent from. It can differ from `GET`, which computes the status on the fly.
 */
async function latestEventType(url: string, token: string, id: string): Promise<string> {
  const response = await fetch(`${url}/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5_000),
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) text += new TextDecoder().decode(value);
      const data = /^data: (.*)$/m.exec(text);
      if (data) return (JSON.parse(data[1]!) as { type: string }).type;
      if (done) throw new Error(`the event stream ended without an event: ${text}`);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Sends USDC transfers with automine off and then mines one block, so they all land in it. Returns
 * the hashes in the order given.
 */
async function payInOneBlock(
  rpcUrl: string,
  usdc: Address,
  payments: { to: Address; atomic: bigint }[],
): Promise<Hash[]> {
  const { public: pub, wallet, test: testClient } = devClients(rpcUrl);
  await testClient.setAutomine(false);
  try {
    const hashes: Hash[] = [];
    for (const { to, atomic } of payments) {
      hashes.push(
        await wallet.writeContract({
          address: usdc,
          abi: testTokenAbi,
          functionName: 'transfer',
          args: [to, atomic],
        }),
      );
    }
    await testClient.mine({ blocks: 1 });
    const receipts = await Promise.all(
      hashes.map((hash) => pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })),
    );
    assert.equal(new Set(receipts.map((r) => r.blockNumber)).size, 1, 'the transfers share one block');
    assert.ok(receipts.every((r) => r.status === 'success'));
    return hashes;
  } finally {
    await testClient.setAutomine(true);
  }
}

/** Where the SIGKILL scenario keeps its data. */
interface Storage {
  name: 'PGlite' | 'PostgreSQL';
  /** Why it cannot run here, or null. */
  unavailable: string | null;
  /** Environment for the backend: a fresh, empty store used by every start of one run. */
  env(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

function pgliteOnDisk(): Storage {
  const dirs: string[] = [];
  return {
    name: 'PGlite',
    unavailable: null,
    async env() {
      const dir = await mkdtemp(join(tmpdir(), 'cc-restart-'));
      dirs.push(dir);
      return { CC_DATA_DIR: dir };
    },
    async cleanup() {
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

function postgres(): Storage {
  const serverUrl = new URL(PG_SERVER_URL);
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = '/postgres';
  const created: string[] = [];
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const storage: Storage = {
    name: 'PostgreSQL',
    unavailable: null,
    async env() {
      const name = `cc_restart_${randomBytes(6).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      // PostgreSQL needs the key set (no key file is derived for it).
      return { DATABASE_URL: url.toString(), CC_ENCRYPTION_KEY: ENCRYPTION_KEY };
    },
    async cleanup() {
      if (!created.length) return;
      for (const name of created.splice(0)) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
  return storage;
}

/** Finds out whether PostgreSQL answers; if not, says loudly that its run is skipped. */
async function probePostgres(storage: Storage): Promise<void> {
  const serverUrl = new URL(PG_SERVER_URL);
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    storage.unavailable = `PostgreSQL not reachable at ${serverUrl.hostname}:${serverUrl.port || '5432'} (${(error as Error).message}): SKIPPED`;
    console.warn(
      [
        '',
        '*'.repeat(100),
        `*** ${storage.unavailable}`,
        '*** The SIGKILL test on PostgreSQL did NOT run. Start PostgreSQL or set TEST_DATABASE_URL.',
        '*'.repeat(100),
        '',
      ].join('\n'),
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('backend killed with SIGKILL', () => {
  let anvil: Anvil;
  let usdc: Address;
  const pglite = pgliteOnDisk();
  const pgStorage = postgres();

  before(async () => {
    anvil = await startAnvil();
    usdc = await deployTestToken(anvil.rpcUrl);
    await probePostgres(pgStorage);
  });
  after(async () => {
    await killChildren();
    await anvil?.stop();
    await pglite.cleanup();
    await pgStorage.cleanup();
  });

  for (const storage of [pglite, pgStorage]) {
    test(`SIGKILL while payments arrive loses nothing and counts nothing twice (${storage.name})`, async (t) => {
      if (storage.unavailable) return t.skip(storage.unavailable);
      const secretKey = testSecretKey();
      const env: Record<string, string> = {
        ...(await storage.env()),
        CC_SECRET_KEYS: secretKey,
        CC_XPUB: testMerchantWallet().xpub,
        CC_CHAINS: JSON.stringify([
          {
            key: 'anvil',
            id: CHAIN_ID,
            name: 'Anvil (local)',
            rpc_url: anvil.rpcUrl,
            confirmations: 2,
            polling_interval_ms: 100,
            tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
          },
        ]),
        CC_RATES: JSON.stringify({ ETH: '2000' }),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      };
      const started = Date.now();
      let backend = await startBackend(env);
      // Restarts listen where the first one did (the system chose its port), as clients expect.
      env.PORT = String(backend.port);
      t.diagnostic(`backend up in ${Date.now() - started} ms`);
      const url = backend.url;

      // Eight sessions, each paid in two or three parts that add up to exactly the amount due.
      const plans: { session: Session; address: Address; due: bigint; parts: bigint[] }[] = [];
      for (let i = 0; i < 8; i += 1) {
        const session = await api<Session>(url, '/v1/sessions', secretKey, {
          amount: (10 + i * 1.25).toFixed(2),
          currency: 'USD',
          order_id: `restart-${i}`,
        });
        const buyer = await api<BuyerSession>(
          url,
          `/v1/sessions/${session.id}/payment`,
          session.client_secret,
          { method: 'usdc@anvil' },
        );
        const due = BigInt(buyer.payment!.amount_due_atomic);
        const first = (due * 5n) / 10n;
        const parts =
          i % 3 === 0 ? [first, (due * 3n) / 10n, due - first - (due * 3n) / 10n] : [first, due - first];
        plans.push({ session, address: buyer.payment!.address as Address, due, parts });
      }
      const sent = new Map<string, { hash: Hash; atomic: bigint }[]>(plans.map((p) => [p.session.id, []]));
      const pay = async (i: number, part: number) => {
        const plan = plans[i]!;
        const atomic = plan.parts[part]!;
        const hash = await sendDevPayment(anvil.rpcUrl, plan.address, formatUnits(atomic, 6), {
          address: usdc,
          decimals: 6,
        });
        sent.get(plan.session.id)!.push({ hash, atomic });
      };
      const payTogether = async (i: number, parts: number[]) => {
        const plan = plans[i]!;
        const payments = parts.map((part) => ({ to: plan.address, atomic: plan.parts[part]! }));
        const hashes = await payInOneBlock(anvil.rpcUrl, usdc, payments);
        hashes.forEach((hash, k) => sent.get(plan.session.id)!.push({ hash, atomic: payments[k]!.atomic }));
      };
      const views = () =>
        Promise.all(plans.map((p) => api<Session>(url, `/v1/sessions/${p.session.id}`, secretKey)));

      // Up: every session's first part, and the backend sees them.
      for (let i = 0; i < plans.length; i += 1) await pay(i, 0);
      await waitFor(
        async () => (await views()).every((s) => s.transfers.length === 1),
        15_000,
        'the backend to see every first part',
      );
      // More arrive (two of them in one block), and the backend dies in the middle of it.
      await payTogether(0, [1, 2]);
      await pay(1, 1);
      await pay(2, 1);
      const beforeKill = await views();
      backend.child.kill('SIGKILL');
      await backend.exited;
      assert.equal(backend.child.signalCode, 'SIGKILL');
      const seenBeforeKill = beforeKill.reduce((n, s) => n + s.transfers.length, 0);
      assert.ok(seenBeforeKill >= plans.length, `${seenBeforeKill} transfers seen before the kill`);
      t.diagnostic(`killed with ${seenBeforeKill} of 12 transfers sent so far seen`);

      // Down: the rest arrives (two in one block again) and the chain moves on.
      await payTogether(3, [1, 2]);
      await pay(4, 1);
      await pay(5, 1);
      await pay(6, 1);
      await pay(6, 2);
      await pay(7, 1);
      await devClients(anvil.rpcUrl).test.mine({ blocks: 3 });
      for (const plan of plans) {
        assert.equal(
          sent.get(plan.session.id)!.reduce((sum, s) => sum + s.atomic, 0n),
          plan.due,
          'the test pays exactly what is due',
        );
      }

      // Up again on the same store and port: every session ends paid.
      const restarted = Date.now();
      backend = await startBackend(env);
      t.diagnostic(`backend up again in ${Date.now() - restarted} ms`);
      const paid = await waitFor(
        async () => {
          const all = await views();
          return all.every((s) => s.status === 'paid') ? all : null;
        },
        20_000,
        'every session to be paid after the restart',
      ).catch(async (error: unknown) => {
        const statuses = (await views().catch(() => [])).map(
          (s) => `${s.id}: ${s.status} ${s.transfers.length}`,
        );
        throw new Error(
          `${(error as Error).message}\n${statuses.join('\n')}\n--- backend output ---\n${backend.tail()}`,
        );
      });
      t.diagnostic(`every session paid ${Date.now() - restarted} ms after the restart`);

      for (const [i, s] of paid.entries()) {
        const plan = plans[i]!;
        const expected = sent.get(plan.session.id)!;
        assert.equal(s.status, 'paid');
        assert.deepEqual(
          s.transfers.map((tr) => [tr.tx_hash, tr.amount_atomic]).sort(),
          expected.map((e) => [e.hash, e.atomic.toString()]).sort(),
          `session ${i}: exactly the transfers sent to ${plan.address}, each once`,
        );
        assert.equal(s.amount_received, formatUnits(plan.due, 6));
        assert.equal(s.amount_remaining, '0');
        assert.ok(s.transfers.every((tr) => tr.confirmations >= 2));
        // What was committed before the kill is still there, unchanged: not lost and seen again.
        for (const old of beforeKill[i]!.transfers) {
          const now = s.transfers.find((tr) => tr.tx_hash === old.tx_hash && tr.log_index === old.log_index);
          assert.ok(now, `session ${i}: transfer ${old.tx_hash} seen before the kill is missing`);
          assert.equal(now.seen_at, old.seen_at, `session ${i}: ${old.tx_hash} was lost and found again`);
          assert.equal(now.block_hash, old.block_hash);
        }
        // The event log numbers its events without gaps and says `paid` once, at the end.
        await waitFor(
          async () => (await latestEventType(url, secretKey, plan.session.id)) === 'session.paid',
          5_000,
          `session ${i}: session.paid stored`,
        );
        const { events, reconnectStatus } = await replayEvents(url, secretKey, plan.session.id);
        assert.deepEqual(
          events.map((e) => e.seq),
          events.map((_, k) => k + 1),
          `session ${i}: event seqs ${events.map((e) => e.seq).join(',')}`,
        );
        assert.equal(events.filter((e) => e.type === 'session.paid').length, 1);
        assert.equal(events.at(-1)!.type, 'session.paid');
        assert.equal(reconnectStatus, 204, `session ${i}: events after session.paid`);
      }

      // And it still shuts down cleanly.
      backend.child.kill('SIGTERM');
      await backend.exited;
      assert.equal(backend.child.exitCode, 0, backend.tail());
      assert.ok(
        !backend.logs().some((l) => l.level >= 50),
        `errors logged:\n${backend
          .logs()
          .filter((l) => l.level >= 50)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    });
  }
});

describe('chain node going down', () => {
  let dir: string;
  let anvil: Anvil | undefined;
  let server: RunningServer | undefined;
  let probing = true;
  let prober: Promise<void> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-anvil-state-'));
  });
  after(async () => {
    probing = false;
    await prober;
    await server?.stop();
    await anvil?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('survives the node going down and catches up every missed block', async () => {
    const state = join(dir, 'chain.json');
    anvil = await startAnvil({ state });
    const { port, rpcUrl } = anvil;
    const usdc = await deployTestToken(rpcUrl);
    const { public: pub, wallet, test: testClient } = devClients(rpcUrl);

    const logs: LogLine[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logs.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    const secretKey = testSecretKey();
    const config = parseConfig({
      port: 0,
      data_dir: 'memory://',
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'anvil',
          id: CHAIN_ID,
          name: 'Anvil (local)',
          rpc_url: rpcUrl,
          confirmations: 2,
          polling_interval_ms: 100,
          // Small ranges, so catching up takes several log queries.
          max_block_range: 10,
          tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
        },
      ],
      rates: { ETH: '2000' },
    });
    server = await startServer(config, { logger: teeLogger('info', sink) });
    const url = server.url;

    // /health is asked all along; every answer is kept with its time.
    const probes: { at: number; status: number }[] = [];
    prober = (async () => {
      while (probing) {
        const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status,
          () => 0,
        );
        probes.push({ at: Date.now(), status });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const create = async (amount: string, method: string) => {
      const session = await api<Session>(url, '/v1/sessions', secretKey, { amount, currency: 'USD' });
      const buyer = await api<BuyerSession>(
        url,
        `/v1/sessions/${session.id}/payment`,
        session.client_secret,
        { method },
      );
      return { id: session.id, address: buyer.payment!.address as Address };
    };
    const view = (id: string) => api<Session>(url, `/v1/sessions/${id}`, secretKey);
    const topUp = await create('10.00', 'usdc@anvil');
    const usdcOnly = await create('7.50', 'usdc@anvil');
    const eth = await create('10.00', 'eth@anvil'); // 0.005 ETH at 2000 USD/ETH

    // Before the outage: a partial payment, confirmed and stored.
    const partial = await sendDevPayment(rpcUrl, topUp.address, '4', { address: usdc, decimals: 6 });
    await testClient.mine({ blocks: 1 });
    await waitFor(async () => (await view(topUp.id)).status === 'underpaid', 10_000, 'underpaid');
    const headBefore = await pub.getBlock({ blockTag: 'latest' });

    // The node goes away (SIGTERM: anvil writes its state file on the way out).
    const downAt = Date.now();
    await anvil.stop();
    const warnings = () =>
      logs.filter((l) => l.msg === 'chain watcher could not sync; retrying with backoff' && l.level === 40);
    await waitFor(() => warnings().length >= 2, 10_000, 'two sync warnings while the node is down');

    // It comes back on the same port with the same chain: the block hashes did not change.
    anvil = await startAnvil({ port, state });
    const upAt = Date.now();
    const reloaded = await pub.getBlock({ blockNumber: headBefore.number });
    assert.equal(reloaded.hash, headBefore.hash, 'anvil kept the block hash across the state reload');

    // Three payments in one block and 29 more on top, in a single mining call: the watcher finds
    // the head 30 blocks further and must read them all.
    await testClient.setAutomine(false);
    const hashes = {
      topUp: await wallet.writeContract({
        address: usdc,
        abi: testTokenAbi,
        functionName: 'transfer',
        args: [topUp.address, 6_000_000n],
      }),
      usdcOnly: await wallet.writeContract({
        address: usdc,
        abi: testTokenAbi,
        functionName: 'transfer',
        args: [usdcOnly.address, 7_500_000n],
      }),
      eth: await wallet.sendTransaction({ to: eth.address, value: parseEther('0.005') }),
    };
    await testClient.mine({ blocks: 30 });
    await testClient.setAutomine(true);
    const batchBlock = headBefore.number! + 1n;
    for (const hash of Object.values(hashes)) {
      const receipt = await pub.getTransactionReceipt({ hash });
      assert.equal(receipt.blockNumber, batchBlock);
      assert.equal(receipt.status, 'success');
    }

    const settled = (id: string) => async () => {
      const s = await view(id);
      return s.status === 'paid' && s.transfers.every((tr) => tr.confirmations >= 30) ? s : null;
    };
    const [paidTopUp, paidUsdc, paidEth] = await Promise.all(
      [topUp, usdcOnly, eth].map((s) => waitFor(settled(s.id), 30_000, `${s.id} paid with 30 confirmations`)),
    );
    assert.deepEqual(
      paidTopUp!.transfers.map((tr) => [tr.tx_hash, tr.amount]),
      [
        [partial, '4'],
        [hashes.topUp, '6'],
      ],
    );
    assert.deepEqual(
      paidUsdc!.transfers.map((tr) => [tr.tx_hash, tr.block_number, tr.confirmations]),
      [[hashes.usdcOnly, Number(batchBlock), 30]],
    );
    assert.deepEqual(
      paidEth!.transfers.map((tr) => [tr.tx_hash, tr.amount, tr.confirmations]),
      [[hashes.eth, '0.005', 30]],
    );

    // The stored status (event stream, later webhooks) says paid too, not only the computed view.
    for (const s of [topUp, usdcOnly, eth]) {
      await waitFor(
        async () => (await latestEventType(url, secretKey, s.id)) === 'session.paid',
        5_000,
        `${s.id}: session.paid in the event stream`,
      );
    }

    // It logged the outage, recovered by itself, and did not take the reload for a reorganisation.
    const recovered = logs.findIndex((l) => l.msg === 'chain watcher recovered');
    assert.ok(recovered > logs.indexOf(warnings()[0]!), 'recovered after the warnings');
    assert.deepEqual(
      logs.filter((l) => /reorg/i.test(l.msg)).map((l) => l.msg),
      [],
      'no reorganisation after the state reload',
    );
    // /health answered 200 all along, also while the node was down.
    probing = false;
    await prober;
    assert.ok(probes.length > 0);
    assert.deepEqual(
      probes.filter((p) => p.status !== 200),
      [],
      'every health probe answered 200',
    );
    assert.ok(
      probes.some((p) => p.at > downAt && p.at < upAt),
      'health was asked while the node was down',
    );
  });
});

describe('backend restarted after the chain moved on', () => {
  let stack: Stack | undefined;
  let second: RunningServer | undefined;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cc-gap-'));
  });
  after(async () => {
    await second?.stop();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  // A transfer seen with 1 of 2 confirmations before a restart, and more blocks than the watcher
  // keeps hashes of (64) mined while it was away. GET computes `paid` from the cursor either way;
  // the stored status (event stream, webhooks) only follows if the watcher refreshes the session,
  // which it once did only for transfers in the last 64 blocks (the expiry sweep skips
  // `processing`, so the stream said `processing` for ever). On a 0.25 s chain 64 blocks are 16 s.
  test('a session whose payment confirmed during a long downtime turns paid in the event stream too', async () => {
    stack = await startStack({ config: { data_dir: dataDir } });
    const session = await stack.createSession();
    const buyer = await api<BuyerSession>(
      stack.apiUrl,
      `/v1/sessions/${session.id}/payment`,
      session.client_secret,
      { method: 'usdc@anvil' },
    );
    await stack.pay(buyer.payment!.address, '10');
    await waitFor(
      async () =>
        (await latestEventType(stack!.apiUrl, stack!.secretKey, session.id)) === 'session.processing',
      10_000,
      'processing',
    );
    await stack.server.stop();
    await stack.mine(70);

    second = await startServer(stack.config, { logger: testLogger() });
    const url = second.url;
    const secretKey = stack.secretKey;
    await waitFor(
      async () => {
        const s = await api<Session>(url, `/v1/sessions/${session.id}`, secretKey);
        return s.status === 'paid' && s.transfers[0]!.confirmations === 71;
      },
      10_000,
      'GET to say paid with 71 confirmations after catching up',
    );
    await waitFor(
      async () => (await latestEventType(url, secretKey, session.id)) === 'session.paid',
      3_000,
      'session.paid in the event stream',
    );
  });
});
