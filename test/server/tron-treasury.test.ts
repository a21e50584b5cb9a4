/**
 * The keyless TRON treasury end to end: sessions paid in USDT (TRC-20) and TRX, `sweep --export`
 * and `payouts export-tron` write unsigned TRON transactions, TronWeb (an independent library) parses
 * them (its own protobuf re-encoding of `raw_data` must give `raw_data_hex` and `txID`), signs them
 * with the merchant's keys derived from the test mnemonic and recovers the right `T…` signer; the
 * same transfers are then executed on the chain, the treasury watch books them, and the ledger,
 * `GET /v1/balances`, `reconcile` and the chain agree to the sun.
 *
 * What is faked, at one seam each: the TRON node. No java-tron runs here, so a real anvil node
 * (chain id 1337728, base fee 0, transactions at 10 wei of gas: its "TRX" is wei, its fees a small
 * stand-in for TRON's energy and bandwidth) stands in for java-tron's Ethereum-compatible JSON-RPC,
 * and each exported TRON transaction is executed there as the equivalent EVM transaction signed by
 * the same secp256k1 key (the `0x` twin of a `T…` address is the same 20 bytes): a TransferContract
 * as a value transfer, a TriggerSmartContract as a call with its `data`. The HTTP API
 * (`/wallet/getnowblock`, `/walletsolidity/getnowblock`) is the recorded one served locally
 * (`test/support/tron-fixtures/`). Real: the server, PGlite, the exports, TronWeb, the chain reads.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import type { Session, SweepWebhookPayload } from '@crypto-checkout/protocol';
import { TronWeb, Trx, utils as tronUtils } from 'tronweb';
import { createWalletClient, erc20Abi, http, type Address, type Hex } from 'viem';
import { english, generateMnemonic, generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import { runReconcile, treasuryCommands } from '../../packages/server/src/cli/treasury-commands.js';
import { parseConfig, type Config } from '../../packages/server/src/config.js';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { tronAddressFromHex, tronAddressToHex } from '../../packages/server/src/chain/tron/address.js';
import type { UnsignedTronTransaction } from '../../packages/server/src/chain/tron/tron-transaction.js';
import type { TronSweepExport } from '../../packages/server/src/treasury/tron-sweep-export.js';
import type { TronPayoutExport } from '../../packages/server/src/treasury/tron-payout-export.js';
import { formatAtomic } from '../../packages/server/src/money.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { testSecretBox } from '../support/app.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { startTronHttpApi, type TronHttpApi } from '../support/tron-http-api.js';
import { waitFor } from '../support/wait-for.js';
import { choose } from '../support/wait.js';

const TRON_LOCAL_ID = 1337728;
const USDT = 'usdt@tron-local';
const TRX = 'trx@tron-local';
/** The stand-in's gas price (wei = "sun" there): small, so that fees stay in TRON's range. */
const GAS_PRICE = 10n;

describe('the keyless TRON treasury: exports TronWeb signs, sweeps and payouts booked from the chain', () => {
  let anvil: Anvil;
  let api: TronHttpApi;
  let server: RunningServer;
  let config: Config;
  let dir: string;
  let usdtHex: Address;
  let usdt: string;
  const secretKey = testSecretKey();
  /** The merchant's TRON account m/44'/195'/0' (private: the test signs as the merchant's wallet). */
  const account = HDKey.fromMasterSeed(mnemonicToSeedSync(generateMnemonic(english))).derive("m/44'/195'/0'");
  const receive = account.deriveChild(0);
  /** The treasury: another wallet of the merchant's. */
  const treasuryKey = generatePrivateKey();
  const treasuryHex = privateKeyToAccount(treasuryKey).address;
  const treasury = tronAddressFromHex(treasuryHex);
  const tronWeb = new TronWeb({ fullHost: 'http://127.0.0.1:9' });
  const paid: { session: Session; address: string; method: string; atomic: bigint }[] = [];

  const pub = () => devClients(anvil.rpcUrl).public;
  const db = () => server.app.store.db;
  const keyOf = (index: number | null): Hex =>
    index === null ? treasuryKey : `0x${Buffer.from(receive.deriveChild(index).privateKey!).toString('hex')}`;
  /** Mines past the confirmations and moves the solidified head to the chain's head. */
  const settle = async () => {
    await devClients(anvil.rpcUrl).test.mine({ blocks: 3 });
    api.setSolid(Number(await pub().getBlockNumber()));
    api.setHead(Number(await pub().getBlockNumber()));
  };
  const balances = async () =>
    (
      (await (
        await fetch(`${server.url}/v1/balances`, { headers: { authorization: `Bearer ${secretKey}` } })
      ).json()) as {
        data: {
          asset: string;
          received: string;
          in_deposit_addresses: string;
          in_treasury: string;
          pending_payouts: string;
          available: string;
        }[];
      }
    ).data;
  const reconcileNow = async () => {
    const lines: string[] = [];
    const code = await runReconcile(
      { config, db: db(), secrets: testSecretBox, print: (l) => lines.push(l) },
      { json: true },
    );
    return { code, lines };
  };
  const chainBalance = async (address: string, token: boolean) =>
    token
      ? pub().readContract({
          address: usdtHex,
          abi: erc20Abi,
          functionName: 'balanceOf',
          args: [tronAddressToHex(address)],
        })
      : pub().getBalance({ address: tronAddressToHex(address) });

  /**
   * TronWeb parses an exported transaction, signs it with `key` (refusing a key that is not the
   * owner's, and a raw_data that does not encode to raw_data_hex) and recovers the signer.
   */
  const checkWithTronWeb = async (tx: UnsignedTronTransaction, key: Hex, signer: string) => {
    assert.equal(createHash('sha256').update(Buffer.from(tx.raw_data_hex, 'hex')).digest('hex'), tx.txID);
    assert.ok(
      tronUtils.transaction.txCheck(tx as never),
      'TronWeb re-encodes raw_data to raw_data_hex and txID',
    );
    const signed = await tronWeb.trx.sign(tx as never, key.slice(2));
    assert.equal(Trx.ecRecover(signed as never), signer);
    return tronUtils.deserializeTx.deserializeTransaction(tx.raw_data.contract[0].type, tx.raw_data_hex) as {
      contract: { parameter: { value: Record<string, string | number> } }[];
      fee_limit?: number;
      expiration: number;
    };
  };

  /** Executes an exported TRON transaction on the stand-in, signed by the same key. */
  const execute = async (tx: UnsignedTronTransaction, key: Hex) => {
    const wallet = createWalletClient({ account: privateKeyToAccount(key), transport: http(anvil.rpcUrl) });
    const value = tx.raw_data.contract[0].parameter.value;
    const fees = { maxFeePerGas: GAS_PRICE, maxPriorityFeePerGas: GAS_PRICE };
    const hash =
      tx.raw_data.contract[0].type === 'TransferContract'
        ? await wallet.sendTransaction({
            chain: null,
            to: tronAddressToHex(tronAddressFromHex(String(value.to_address))),
            value: BigInt(value.amount!),
            ...fees,
          })
        : await wallet.sendTransaction({
            chain: null,
            to: tronAddressToHex(tronAddressFromHex(String(value.contract_address))),
            data: `0x${String(value.data)}`,
            ...fees,
          });
    const receipt = await pub().waitForTransactionReceipt({ hash, pollingInterval: 50 });
    assert.equal(receipt.status, 'success');
  };

  before(async () => {
    anvil = await startAnvil({
      args: ['--chain-id', String(TRON_LOCAL_ID), '--block-base-fee-per-gas', '0'],
    });
    api = await startTronHttpApi();
    dir = await mkdtemp(join(tmpdir(), 'cc-tron-treasury-'));
    usdtHex = await deployTestToken(anvil.rpcUrl, { symbol: 'USDT', decimals: 6 });
    usdt = tronAddressFromHex(usdtHex);
    api.setSolid(0);
    config = parseConfig({
      port: 0,
      data_dir: 'memory://',
      secret_keys: [secretKey],
      xpub: testMerchantWallet().xpub,
      chains: [
        {
          key: 'tron-local',
          rpc_url: anvil.rpcUrl,
          http_api_url: api.url,
          xpub: account.publicExtendedKey,
          treasury_address: treasury,
          confirmations: 2,
          polling_interval_ms: 100,
          tokens: [{ symbol: 'USDT', address: usdt, decimals: 6, peg: 'USD' }],
        },
      ],
      rates: { TRX: '0.25' },
      payouts: { review_threshold: '5' },
      log_level: 'warn',
      limits: { rate_limits: { enabled: false }, load_shedding: { enabled: false } },
    });
    server = await startServer(config, { logger: testLogger() });
    // The watcher stores its cursor once it records a solid block: from then on it misses none.
    await devClients(anvil.rpcUrl).test.mine({ blocks: 2 });
    api.setSolid(Number(await pub().getBlockNumber()));
    await waitFor(
      async () =>
        (await db().query('SELECT 1 FROM chain_cursors WHERE chain_id = $1', [TRON_LOCAL_ID])).rows.length >
        0,
      10_000,
      'the chain watcher started',
    );
  });

  after(async () => {
    await server?.stop();
    await api?.close();
    await anvil?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const pay = async (amountUsd: string, method: string) => {
    const response = await fetch(`${server.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: amountUsd, currency: 'USD' }),
    });
    const session = (await response.json()) as Session;
    recordSecrets(session.client_secret);
    const { payment } = await choose(server.url, session, method);
    // The solidified head follows the chain up to the payment, as on TRON (tron-payment.test.ts).
    api.setSolid(Number(await pub().getBlockNumber()));
    const atomic = BigInt(payment!.amount_due_atomic);
    if (method === USDT)
      await sendDevPayment(anvil.rpcUrl, tronAddressToHex(payment!.address), payment!.amount_due, {
        address: usdtHex,
        decimals: 6,
      });
    else
      await pub().waitForTransactionReceipt({
        hash: await devClients(anvil.rpcUrl).wallet.sendTransaction({
          chain: null,
          to: tronAddressToHex(payment!.address),
          value: atomic,
        }),
      });
    paid.push({ session, address: payment!.address, method, atomic });
    return paid.at(-1)!;
  };
  const waitPaid = () =>
    waitFor(
      async () => {
        const { rows } = await db().query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ledger_entries WHERE kind = 'receipt' AND chain_id = ${TRON_LOCAL_ID}`,
        );
        return rows[0]!.n >= paid.length;
      },
      15_000,
      'receipts booked',
    );
  const sweepExport = async (): Promise<TronSweepExport> => {
    const file = join(dir, `sweep-${Date.now()}.json`);
    const lines: string[] = [];
    await sweepCommand.run(
      { config, db: db(), secrets: testSecretBox, print: (l) => lines.push(l) },
      { export: file, chain: 'tron-local' },
      [],
    );
    assert.match(lines.join('\n'), /unsigned TRON transaction/);
    return JSON.parse(await readFile(file, 'utf8')) as TronSweepExport;
  };
  const sweepRows = async (status: string) =>
    (
      await db().query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sweeps WHERE chain_id = ${TRON_LOCAL_ID} AND status = $1`,
        [status],
      )
    ).rows[0]!.n;

  test('a TRX deposit is swept by an exported TransferContract, and booked from the chain', async () => {
    const trx = await pay('10.00', TRX); // 40 TRX at 0.25 USD
    await settle();
    await waitPaid();
    const file = await sweepExport();
    assert.equal(file.format, 'crypto-checkout.tron-sweep-export');
    assert.equal(file.to, treasury);
    assert.ok(Date.parse(file.expires_at) - Date.parse(file.created_at) <= 24 * 3600 * 1000);
    assert.deepEqual(
      file.transactions.map((t) => [t.step, t.purpose, t.from, t.asset]),
      [[1, 'sweep', trx.address, TRX]],
    );
    const [t] = file.transactions;
    const index = Number(t!.derivation_index);
    const decoded = await checkWithTronWeb(t!.transaction, keyOf(index), trx.address);
    const value = decoded.contract[0]!.parameter.value;
    assert.equal(
      String(value.owner_address).toLowerCase(),
      `41${tronAddressToHex(trx.address).slice(2).toLowerCase()}`,
    );
    assert.equal(String(value.to_address).toLowerCase(), `41${treasuryHex.slice(2).toLowerCase()}`);
    assert.equal(BigInt(value.amount!), trx.atomic - 300_000n, 'all of it but the bandwidth reserve');
    assert.equal(decoded.expiration, t!.transaction.raw_data.expiration);
    await execute(t!.transaction, keyOf(index));
    await settle();
    await waitFor(async () => (await sweepRows('confirmed')) === 1, 15_000, 'the TRX sweep booked');
    // Its webhook is written with the row: one sweep.confirmed on the TRON rail, for this session.
    const { rows: events } = await db().query<{ body: string }>(
      `SELECT body FROM webhook_events WHERE type LIKE 'sweep.%' ORDER BY seq`,
    );
    assert.equal(events.length, 1);
    const event = JSON.parse(events[0]!.body) as SweepWebhookPayload;
    assert.equal(event.type, 'sweep.confirmed');
    assert.equal(event.data.rail, 'tron');
    assert.equal(event.data.treasury_address, treasury);
    assert.deepEqual(
      event.data.deposits.map((d) => [d.address, d.asset, d.amount]),
      [[trx.address, TRX, formatAtomic(trx.atomic - 300_000n, 6)]],
    );
    assert.equal(event.data.deposits[0]!.session_id, trx.session.id);
    const b = (await balances()).find((x) => x.asset === TRX)!;
    assert.equal(b.in_treasury, formatAtomic(trx.atomic - 300_000n, 6));
    assert.equal(b.in_treasury, formatAtomic(await chainBalance(treasury, false), 6));
    assert.equal(b.in_deposit_addresses, formatAtomic(await chainBalance(trx.address, false), 6));
    assert.deepEqual(await reconcileNow(), { code: 0, lines: [] });
  });

  test('USDT deposits: TRX top-ups from the treasury first, then TriggerSmartContract transfers; ledger, balances, reconcile and chain agree', async () => {
    const a = await pay('10.00', USDT);
    const b = await pay('12.50', USDT);
    await settle();
    await waitPaid();
    const file = await sweepExport();
    assert.deepEqual(
      file.transactions.map((t) => [t.step, t.purpose, t.from, t.to, t.asset]),
      [
        [1, 'top_up', treasury, a.address, TRX],
        [2, 'top_up', treasury, b.address, TRX],
        [3, 'sweep', a.address, treasury, USDT],
        [4, 'sweep', b.address, treasury, USDT],
      ],
    );
    // The first transfer to a treasury holding no USDT costs 130 285 energy, the next 64 285 (at 100 sun), + 0.35 TRX of bandwidth.
    assert.deepEqual(
      file.transactions.slice(0, 2).map((t) => t.amount_atomic),
      ['13378500', '6778500'],
    );
    for (const t of file.transactions) {
      const key = keyOf(t.derivation_index);
      const decoded = await checkWithTronWeb(t.transaction, key, t.signer);
      const value = decoded.contract[0]!.parameter.value;
      if (t.purpose === 'sweep') {
        assert.equal(String(value.contract_address).toLowerCase(), `41${usdtHex.slice(2).toLowerCase()}`);
        assert.equal(decoded.fee_limit, 30_000_000);
        // transfer(treasury, amount): the selector, the treasury's 20 bytes, the whole balance.
        assert.equal(
          String(value.data).toLowerCase(),
          `a9059cbb${treasuryHex.slice(2).toLowerCase().padStart(64, '0')}${BigInt(t.amount_atomic).toString(16).padStart(64, '0')}`,
        );
      }
    }
    assert.deepEqual(
      file.transactions.slice(2).map((t) => BigInt(t.amount_atomic)),
      [a.atomic, b.atomic],
    );
    // Signed and broadcast in the file's order: the top-ups are in a block before the sweeps spend them.
    for (const t of file.transactions) await execute(t.transaction, keyOf(t.derivation_index));
    await settle();
    await waitFor(
      async () => (await sweepRows('confirmed')) === 3 && (await sweepRows('top_up')) === 2,
      15_000,
      'booked',
    );
    const all = await balances();
    const u = all.find((x) => x.asset === USDT)!;
    assert.equal(u.in_treasury, formatAtomic(a.atomic + b.atomic, 6));
    assert.equal(u.in_deposit_addresses, '0');
    assert.equal(u.in_treasury, formatAtomic(await chainBalance(treasury, true), 6));
    const t = all.find((x) => x.asset === TRX)!;
    assert.equal(t.in_treasury, formatAtomic(await chainBalance(treasury, false), 6));
    let inDeposits = 0n;
    for (const p of paid) inDeposits += await chainBalance(p.address, false);
    assert.equal(
      t.in_deposit_addresses,
      formatAtomic(inDeposits, 6),
      'the top-ups less what the sweeps burned',
    );
    assert.deepEqual(await reconcileNow(), { code: 0, lines: [] });
  });

  test('payouts: T… destinations only, above/below the review threshold, approved, exported, signed, confirmed', async () => {
    const post = (body: unknown, key = secretKey) =>
      fetch(`${server.url}/v1/payouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const payee = () => tronAddressFromHex(privateKeyToAccount(generatePrivateKey()).address);
    for (const destination of [
      privateKeyToAccount(generatePrivateKey()).address,
      `${payee().slice(0, -1)}1`,
      'bc1qxyz',
    ]) {
      const refused = await post({ payouts: [{ destination, asset: USDT, amount: '1' }] });
      assert.equal(refused.status, 400, destination);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'invalid_request');
      assert.match(body.error.message, /destination/);
    }
    const batch = {
      payouts: [
        { destination: payee(), asset: USDT, amount: '3', reference: 't-1' },
        { destination: payee(), asset: USDT, amount: '6.5', reference: 't-2' },
        { destination: payee(), asset: TRX, amount: '8', reference: 't-3' },
      ],
    };
    const answer = await post(batch);
    assert.equal(answer.status, 201, await answer.clone().text());
    const created = (await answer.json()) as { data: { id: string; status: string }[] };
    assert.deepEqual(
      created.data.map((p) => p.status),
      ['approved', 'needs_approval', 'approved'],
    );
    const { key: approver } = await createApiKey(server.app.apiKeys, { mode: 'test', scopes: ['approve'] });
    recordSecrets(approver);
    const approved = await fetch(`${server.url}/v1/payouts/${created.data[1]!.id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approver}` },
    });
    assert.equal(approved.status, 200);
    const exportTron = treasuryCommands.find((c) => c.group === 'payouts' && c.name === 'export-tron')!;
    const path = join(dir, 'payouts.json');
    const run = () =>
      exportTron.run(
        { config, db: db(), secrets: testSecretBox, print: () => {} },
        { chain: 'tron-local', mode: 'test', export: path },
        [],
      );
    // Two exports at once: each payout goes into exactly one.
    const outcomes = await Promise.allSettled([run(), run()]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    const file = JSON.parse(await readFile(path, 'utf8')) as TronPayoutExport;
    assert.equal(file.from, treasury);
    const byDestination = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!);
    assert.deepEqual(
      file.payouts.map((p) => [p.destination, p.amount_atomic]).sort(byDestination),
      [
        [batch.payouts[0]!.destination, '3000000'],
        [batch.payouts[1]!.destination, '6500000'],
        [batch.payouts[2]!.destination, '8000000'],
      ].sort(byDestination),
    );
    // Each is submitted with the txID of its exported transaction (known before signing on TRON).
    const { rows } = await db().query<{ status: string; tx_hash: string; destination: string }>(
      `SELECT status, tx_hash, destination FROM payouts WHERE reference LIKE 't-%'`,
    );
    assert.deepEqual(
      rows.map((r) => [r.destination, r.status, r.tx_hash]).sort(byDestination),
      file.payouts.map((p) => [p.destination, 'submitted', p.transaction.txID]).sort(byDestination),
    );
    for (const p of file.payouts) {
      const decoded = await checkWithTronWeb(p.transaction, treasuryKey, treasury);
      const value = decoded.contract[0]!.parameter.value;
      if (p.asset === TRX) assert.equal(BigInt(value.amount!), 8_000_000n);
      else
        assert.equal(
          String(value.data).toLowerCase().slice(0, 72),
          `a9059cbb${tronAddressToHex(p.destination).slice(2).toLowerCase().padStart(64, '0')}`,
        );
      await execute(p.transaction, treasuryKey);
    }
    await settle();
    await waitFor(
      async () => {
        const { rows: s } = await db().query<{ status: string }>(
          `SELECT status FROM payouts WHERE reference LIKE 't-%'`,
        );
        return s.every((r) => r.status === 'confirmed');
      },
      15_000,
      'payouts confirmed',
    );
    const all = await balances();
    const u = all.find((x) => x.asset === USDT)!;
    assert.equal(u.in_treasury, formatAtomic(await chainBalance(treasury, true), 6));
    assert.equal(u.pending_payouts, '0');
    assert.equal(
      all.find((x) => x.asset === TRX)!.in_treasury,
      formatAtomic(await chainBalance(treasury, false), 6),
    );
    assert.deepEqual(await reconcileNow(), { code: 0, lines: [] });
  });

  test('USDT sent from a deposit address anywhere but the treasury waits for review; reconcile shows it', async () => {
    const c = await pay('4.00', USDT);
    await settle();
    await waitPaid();
    // The merchant's key moves it elsewhere (gas money first, from outside: a TRX payment the watcher books).
    await pub().waitForTransactionReceipt({
      hash: await devClients(anvil.rpcUrl).wallet.sendTransaction({
        chain: null,
        to: tronAddressToHex(c.address),
        value: 2_000_000n,
      }),
    });
    const index = Number(
      (
        await db().query<{ i: string }>(
          'SELECT derivation_index::text AS i FROM deposits WHERE address = $1',
          [c.address],
        )
      ).rows[0]!.i,
    );
    const elsewhere = privateKeyToAccount(generatePrivateKey()).address;
    const wallet = createWalletClient({
      account: privateKeyToAccount(keyOf(index)),
      transport: http(anvil.rpcUrl),
    });
    await pub().waitForTransactionReceipt({
      hash: await wallet.writeContract({
        chain: null,
        address: usdtHex,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [elsewhere, c.atomic],
        maxFeePerGas: GAS_PRICE,
        maxPriorityFeePerGas: GAS_PRICE,
      }),
    });
    await settle();
    await waitFor(async () => (await sweepRows('needs_review')) === 1, 15_000, 'a review');
    const { rows: reviews } = await db().query<{ body: string }>(
      `SELECT body FROM webhook_events WHERE type = 'sweep.needs_review'`,
    );
    assert.equal(reviews.length, 1, 'one sweep.needs_review webhook');
    const review = JSON.parse(reviews[0]!.body) as SweepWebhookPayload;
    assert.deepEqual(
      review.data.deposits.map((d) => [d.address, d.amount]),
      [[c.address, formatAtomic(c.atomic, 6)]],
    );
    const u = (await balances()).find((x) => x.asset === USDT)!;
    assert.equal(u.in_deposit_addresses, formatAtomic(c.atomic, 6), 'never silently booked as gone');
    const { code, lines } = await reconcileNow();
    assert.equal(code, 1);
    const differences = lines.map(
      (l) => JSON.parse(l) as { address: string; asset: string; ledger_atomic: string; chain_atomic: string },
    );
    assert.deepEqual(
      differences.map((d) => [d.address, d.asset, d.ledger_atomic, d.chain_atomic]),
      [[c.address, USDT, c.atomic.toString(), '0']],
    );
  });
  test('an exported payout whose transaction expires unbroadcast fails and releases its reservation', async () => {
    const answer = await fetch(`${server.url}/v1/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        payouts: [
          {
            destination: tronAddressFromHex(privateKeyToAccount(generatePrivateKey()).address),
            asset: TRX,
            amount: '1',
          },
        ],
      }),
    });
    assert.equal(answer.status, 201, await answer.clone().text());
    const [payout] = ((await answer.json()) as { data: { id: string; status: string }[] }).data;
    assert.equal(payout!.status, 'approved');
    const exportTron = treasuryCommands.find((c) => c.group === 'payouts' && c.name === 'export-tron')!;
    await exportTron.run(
      { config, db: db(), secrets: testSecretBox, print: () => {} },
      { chain: 'tron-local', mode: 'test', export: join(dir, 'expiring.json'), 'expires-in': '1' },
      [],
    );
    const pending = (await balances()).find((x) => x.asset === TRX)!;
    assert.equal(pending.pending_payouts, '1');
    // Never signed; the chain's clock passes the transaction's expiry (1 h after its reference block).
    await devClients(anvil.rpcUrl).test.increaseTime({ seconds: 2 * 3600 });
    await settle();
    await waitFor(
      async () => {
        const { rows } = await db().query<{ status: string; failure_reason: string }>(
          'SELECT status, failure_reason FROM payouts WHERE id = $1',
          [payout!.id],
        );
        return rows[0]!.status === 'failed' ? rows[0] : null;
      },
      15_000,
      'the payout failed',
    ).then((row) => assert.match(row.failure_reason, /expired/));
    const after = (await balances()).find((x) => x.asset === TRX)!;
    assert.equal(after.pending_payouts, '0');
    assert.equal(after.available, after.in_treasury);
  });
});
