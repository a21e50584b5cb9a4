import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { BuyerSession, Session } from '@crypto-checkout/protocol';
import { runDoctor } from '../../packages/server/src/cli/doctor.js';
import { parseConfig, type Config } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { deployTestToken, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { litecoindMissing, startLitecoind, testUtxoAccount, type Litecoind } from '../support/litecoind.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The Litecoin rail end to end on real parts: litecoind in regtest (one node for the file), the
 * backend with its UTXO watcher on PGlite on disk (restarted in the middle once), and anvil beside it
 * for the mixed method list. LTC is priced 100 USD by the static source, so 10 USD is 0.1 LTC.
 */

const LTC = 'ltc@litecoin-regtest';
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
recordSecrets(ENCRYPTION_KEY);

describe('Litecoin (regtest)', { skip: litecoindMissing }, () => {
  let node: Litecoind;
  let anvil: Anvil;
  let usdc: `0x${string}`;
  let dataDir: string;
  let config: Config;
  let server: RunningServer;
  const secretKey = testSecretKey();
  const { tpub } = testUtxoAccount();

  before(async () => {
    [node, anvil] = await Promise.all([startLitecoind(), startAnvil()]);
    usdc = await deployTestToken(anvil.rpcUrl);
    dataDir = await mkdtemp(join(tmpdir(), 'cc-utxo-'));
    config = configFor({ data_dir: dataDir }, tpub);
    server = await startServer(config, { logger: testLogger() });
    await watchersReady();
  });

  /** The backend's configuration on `storage`, with `xpub` as the Litecoin account (and `wallet` on the node). */
  const configFor = (storage: { data_dir?: string; database_url?: string }, xpub: string, wallet?: string) =>
    parseConfig({
      port: 0,
      ...storage,
      encryption_key: ENCRYPTION_KEY,
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'anvil',
          id: 31337,
          name: 'Anvil (local)',
          rpc_url: anvil.rpcUrl,
          confirmations: 1,
          polling_interval_ms: 100,
          tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
        },
        {
          key: 'litecoin-regtest',
          rpc_url: node.rpcUrl,
          xpub,
          ...(wallet ? { wallet } : {}),
          confirmations: 2,
          polling_interval_ms: 100,
        },
      ],
      rates: { ETH: '2000', LTC: '100' },
      log_level: 'warn',
      limits: { rate_limits: { enabled: false }, load_shedding: { enabled: false } },
    });

  after(async () => {
    await server?.stop();
    await Promise.all([node?.stop(), anvil?.stop()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /**
   * Waits until every watcher has synced once: the UTXO watcher has then opened the node's wallet
   * and imported the addresses ahead (a payment sent before a fresh wallet's first import is seen
   * only once mined; see docs/chains/utxo.md).
   */
  const watchersReady = () =>
    waitFor(() => server.watchers.every((w) => (w.status().processed ?? null) !== null), 30_000, 'watchers');

  async function createSession(methods = [LTC], amount = '10.00'): Promise<Session> {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount, currency: 'USD', methods }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const session = (await response.json()) as Session;
    recordSecrets(session.client_secret);
    return session;
  }

  async function choose(session: Session, method = LTC): Promise<BuyerSession> {
    const response = await fetch(`${server.url}/v1/sessions/${session.id}/payment`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.client_secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as BuyerSession;
  }

  async function view(id: string): Promise<Session> {
    const response = await fetch(`${server.url}/v1/sessions/${id}`, {
      headers: { authorization: `Bearer ${secretKey}` },
    });
    assert.equal(response.status, 200);
    return (await response.json()) as Session;
  }

  /** Waits until the session is in `status` and `check` holds; answers it. */
  const until = (id: string, status: string, check: (s: Session) => boolean = () => true) =>
    waitFor(
      async () => {
        const s = await view(id);
        return s.status === status && check(s) && s;
      },
      15_000,
      `${id} ${status}`,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; the session: ${JSON.stringify(await view(id))}`);
    });

  /** A new session paid with LTC: its id and deposit address. */
  async function ltcSession(amount?: string) {
    const session = await createSession([LTC], amount);
    const { payment } = await choose(session);
    return { id: session.id, address: payment!.address, payment: payment! };
  }

  test('derives a regtest bech32 address, offers a BIP21 URI and takes an exact payment at 2 confirmations', async () => {
    const { id, address, payment } = await ltcSession();
    assert.match(address, /^rltc1q[02-9ac-hj-np-z]{38}$/);
    assert.equal(payment.family, 'utxo');
    assert.equal(payment.kind, 'native');
    assert.equal(payment.chain_id, null);
    assert.equal(payment.amount_due, '0.1');
    assert.equal(payment.amount_due_atomic, '10000000');
    // Upper-case bech32 for the QR code's alphanumeric mode; scheme and parameters as BIP21 writes them.
    assert.equal(payment.uri, `litecoin:${address.toUpperCase()}?amount=0.1`);

    const txid = await node.pay(address, '0.1');
    const seen = await until(id, 'processing');
    assert.equal(seen.transfers.length, 1);
    assert.equal(seen.transfers[0]!.tx_hash, txid);
    assert.equal(seen.transfers[0]!.confirmations, 0);
    assert.equal(seen.transfers[0]!.block_number, null);
    assert.equal(seen.transfers[0]!.from, null);
    assert.equal(seen.transfers[0]!.amount, '0.1');

    await node.mine(1);
    const one = await until(id, 'processing', (s) => s.transfers[0]?.confirmations === 1);
    assert.equal(one.paid_at, null, 'never paid below the threshold');
    assert.equal(one.transfers[0]!.block_number, await node.rpc<number>('getblockcount'));
    await node.mine(1);
    const paid = await until(id, 'paid');
    assert.equal(paid.amount_received, '0.1');
    assert.equal(paid.transfers[0]!.confirmations, 2);
  });

  test('an underpayment leaves the rest due, and an overpayment is paid and flagged', async () => {
    const under = await ltcSession();
    const over = await ltcSession();
    await node.pay(under.address, '0.04');
    await node.pay(over.address, '0.15');
    await until(under.id, 'processing');
    await node.mine(2);
    const short = await until(under.id, 'underpaid');
    assert.equal(short.amount_received, '0.04');
    assert.equal(short.amount_remaining, '0.06');
    assert.equal(short.pay_uri, `litecoin:${under.address.toUpperCase()}?amount=0.06`);
    const more = await until(over.id, 'overpaid');
    assert.equal(more.amount_overpaid, '0.05');
    assert.ok(more.review_reasons.includes('overpayment'));

    // The second payment to the same address completes it: payments to one address are summed.
    await node.pay(under.address, '0.06');
    await node.mine(2);
    const topped = await until(under.id, 'paid');
    assert.equal(topped.transfers.length, 2);
    assert.equal(topped.amount_received, '0.1');
  });

  test('two outputs to the deposit address in one transaction count as two payments', async () => {
    const { id, address } = await ltcSession();
    const other = await ltcSession();
    // One transaction, two of the session's outputs would need two addresses: pay this session twice
    // in two transactions in one block, and another session in the same block.
    await node.pay(address, '0.05');
    await node.payMany({ [address]: '0.05', [other.address]: '0.1' });
    await node.mine(2);
    const paid = await until(id, 'paid');
    assert.equal(paid.transfers.length, 2);
    assert.equal(paid.amount_received, '0.1');
    await until(other.id, 'paid');
  });

  test('a payment after expiry is paid_late and flagged', async () => {
    const { id, address } = await ltcSession();
    // Expired two seconds ago: block times have whole seconds, and a block of this very second
    // could not tell a payment after the expiry from one just before it.
    await server.app.store.setExpiresAt(id, new Date(Date.now() - 2_000));
    await server.app.sessions.expireDue();
    await until(id, 'expired');
    await node.pay(address, '0.1');
    await node.mine(2);
    const late = await until(id, 'paid_late');
    assert.ok(late.review_reasons.includes('late_payment'));
  });

  test('a mempool payment replaced by a fee bump that pays elsewhere moves the session back to open', async () => {
    const { id, address } = await ltcSession();
    const first = await node.pay(address, '0.1');
    await until(id, 'processing', (s) => s.transfers[0]?.tx_hash === first);
    const replacement = await node.replace(first, { [node.buyerAddress]: '0.1' });
    assert.notEqual(replacement, first);
    const back = await until(id, 'open', (s) => s.transfers.length === 0);
    assert.equal(back.amount_received, '0');
    await node.mine(2);
    // The replacement is mined; the session never saw money and stays open.
    await node.mine(1);
    const after = await view(id);
    assert.equal(after.status, 'open');
    assert.equal(after.transfers.length, 0);
  });

  test('a fee bump that still pays the address counts once, not twice', async () => {
    const { id, address } = await ltcSession();
    const first = await node.pay(address, '0.1');
    await until(id, 'processing', (s) => s.transfers[0]?.tx_hash === first);
    const bumped = await node.replace(first, { [address]: '0.1' });
    await until(id, 'processing', (s) => s.transfers.length === 1 && s.transfers[0]!.tx_hash === bumped);
    await node.mine(2);
    const paid = await until(id, 'paid');
    assert.equal(paid.transfers.length, 1);
    assert.equal(paid.amount_received, '0.1');
    assert.deepEqual(paid.review_reasons, []);
  });

  test('a reorganisation with invalidateblock takes a paid session back to processing, then paid again', async () => {
    const { id, address } = await ltcSession();
    await node.pay(address, '0.1');
    const [block] = await node.mine(1);
    await node.mine(1);
    const paid = await until(id, 'paid');
    const height = paid.transfers[0]!.block_number!;
    assert.equal(paid.transfers[0]!.block_hash, block);
    // The block with the payment and the one above it go; the payment returns to the mempool.
    await node.invalidate(height);
    const back = await until(id, 'processing', (s) => s.transfers[0]?.confirmations === 0);
    assert.equal(back.paid_at, null);
    assert.equal(back.transfers[0]!.block_number, null);
    await node.mine(2);
    const again = await until(id, 'paid');
    assert.notEqual(again.transfers[0]!.block_hash, block);
  });

  test('a payment made while the server is down is found after its restart', async () => {
    const { id, address } = await ltcSession();
    await node.pay(address, '0.1');
    await until(id, 'processing');
    await server.stop();
    await node.mine(2);
    server = await startServer(config, { logger: testLogger() });
    await watchersReady();
    const paid = await until(id, 'paid');
    assert.equal(paid.transfers.length, 1);
    assert.equal(paid.transfers[0]!.confirmations, 2);
  });

  test('one session offers ltc beside usdc@anvil, and is paid in LTC end to end', async () => {
    const session = await createSession([LTC, 'usdc@anvil']);
    const methods = new Map(session.methods.map((m) => [m.id, m]));
    assert.equal(methods.get(LTC)?.family, 'utxo');
    assert.equal(methods.get(LTC)?.chain_id, null);
    assert.equal(methods.get('usdc@anvil')?.family, 'evm');
    assert.equal(methods.get('usdc@anvil')?.chain_id, 31337);
    const { payment } = await choose(session);
    await node.pay(payment!.address, '0.1');
    await node.mine(2);
    await until(session.id, 'paid');

    // And the USDC method of another such session on anvil, beside it.
    const evm = await createSession([LTC, 'usdc@anvil']);
    const usdcPayment = (await choose(evm, 'usdc@anvil')).payment!;
    assert.match(usdcPayment.address, /^0x[0-9a-fA-F]{40}$/);
    await sendDevPayment(anvil.rpcUrl, usdcPayment.address as `0x${string}`, '10', {
      address: usdc,
      decimals: 6,
    });
    await until(evm.id, 'paid');
  });

  test('doctor checks the node: network, watch-only wallet, and that it derives the same addresses', async () => {
    const env = (chain: Record<string, unknown>) => ({
      CC_SECRET_KEYS: secretKey,
      CC_XPUB: testMerchantWallet().xpub,
      CC_DATA_DIR: 'memory://',
      CC_ENCRYPTION_KEY: ENCRYPTION_KEY,
      CC_CHAINS: JSON.stringify([{ rpc_url: node.rpcUrl, xpub: tpub, ...chain }]),
    });
    const good = await runDoctor(env({ key: 'litecoin-regtest' }));
    const byName = new Map(good.checks.map((check) => [check.name, check]));
    assert.equal(byName.get('chain litecoin-regtest')?.status, 'ok', JSON.stringify(good.checks));
    assert.match(byName.get('chain litecoin-regtest addresses')!.message, /first: rltc1q/);
    assert.equal(byName.get('chain litecoin-regtest addresses')?.status, 'ok');
    assert.equal(byName.get('chain litecoin-regtest wallet')?.status, 'ok');
    assert.match(
      byName.get('chain litecoin-regtest wallet')!.message,
      /watch-only \(legacy wallet: importmulti\)/,
    );
    assert.ok(
      !JSON.stringify(good.checks).includes(node.rpcUrl.split('@')[0]!.split(':')[2]!),
      'no password',
    );

    // Bitcoin's regtest encodings against a Litecoin node: the node derives rltc1…, the server bcrt1….
    const wrong = await runDoctor(env({ key: 'bitcoin-regtest' }));
    const addresses = wrong.checks.find((check) => check.name === 'chain bitcoin-regtest addresses');
    assert.equal(addresses?.status, 'fail');
    assert.match(addresses!.message, /the node derives rltc1\S+ at index 0 where the server derives bcrt1/);
  });

  test('on PostgreSQL too: mempool, fee bump, restart, reorganisation', async (t) => {
    const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    try {
      await admin('SELECT 1');
    } catch {
      return t.skip(`PostgreSQL not reachable at ${new URL(serverUrl).host}: SKIPPED`);
    }
    const name = `cc_utxo_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    // A second backend on the same node: its own database, account and watch-only wallet.
    const pgConfig = configFor(
      { database_url: url.toString() },
      testUtxoAccount().tpub,
      'crypto-checkout-pg',
    );
    const onPglite = server;
    try {
      server = await startServer(pgConfig, { logger: testLogger() });
      await watchersReady();
      const { id, address } = await ltcSession();
      const first = await node.pay(address, '0.1');
      await until(id, 'processing', (s) => s.transfers[0]?.tx_hash === first);
      const bumped = await node.replace(first, { [address]: '0.1' });
      await until(id, 'processing', (s) => s.transfers.length === 1 && s.transfers[0]!.tx_hash === bumped);
      await server.stop();
      const [block] = await node.mine(2);
      server = await startServer(pgConfig, { logger: testLogger() });
      const paid = await until(id, 'paid');
      assert.equal(paid.transfers[0]!.block_hash, block);
      await node.invalidate(paid.transfers[0]!.block_number!);
      await until(id, 'processing', (s) => s.transfers[0]?.block_number === null);
      await node.mine(2);
      await until(id, 'paid');
    } finally {
      await server.stop();
      server = onPglite;
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
