/**
 * The keyless TRON treasury end to end: sessions paid in USDT (TRC-20) and TRX, `sweep --export`
 * and `payouts export-tron` write unsigned TRON transactions, TronWeb (an independent library) parses
 * them (its own protobuf re-encoding of `raw_data` must give `raw_data_hex` and `txID`), signs them
 * with the merchant's keys derived from the test mnemonic and recovers the right `T…` signer; the
 * same transfers are then executed on the chain, the treasury watch books them, and the ledger,
 * `GET /v1/balances`, `reconcile` and the chain agree to the sun. A sweep export is a reservation: a
 * second export holds its addresses back until the watch sees its transactions on chain or expired,
 * and `--replace` supersedes it; either way each transfer is booked once.
 *
 * What is faked, at one seam each: the TRON node. No java-tron runs here, so a real anvil node
 * (chain id 1337728, base fee 0, transactions at 10 wei of gas: its "TRX" is wei, its fees a small
 * stand-in for TRON's energy and bandwidth) stands in for java-tron's Ethereum-compatible JSON-RPC,
 * and each exported TRON transaction is executed there as the equivalent EVM transaction signed by
 * the same secp256k1 key (the `0x` twin of a `T…` address is the same 20 bytes): a TransferContract
 * as a value transfer, a TriggerSmartContract as a call with its `data`. The HTTP API
 * (`/wallet/getnowblock`, `/walletsolidity/getnowblock`, `/walletsolidity/gettransactioninfobyid`)
 * is the recorded one served locally (`test/support/tron-fixtures/`); what a transaction burned is
 * anvil's gas plus the bandwidth and activation a test declares and burns on anvil as java-tron would
 * (`burnOnChain`). Real: the server, PGlite, the exports, TronWeb, the chain reads.
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
import { heldAddressOf } from '../../packages/server/src/treasury/tron-sweep-reservations.js';
import type { TronPayoutExport } from '../../packages/server/src/treasury/tron-payout-export.js';
import { formatAtomic, toAtomic } from '../../packages/server/src/money.js';
import { fetchBalances } from '../support/balances.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';
import { testSecretBox } from '../support/app.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { merchantPageHtml, pageSection } from '../support/merchant-page.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { startTronHttpApi, type Burn, type TronHttpApi } from '../support/tron-http-api.js';
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
  /** The block the treasury watch has read up to (0 before its first pass). */
  const scannedTo = async () =>
    Number(
      (
        await db().query<{ n: string }>(
          'SELECT scanned_to::text AS n FROM tron_treasury_cursors WHERE chain_id = $1',
          [TRON_LOCAL_ID],
        )
      ).rows[0]?.n ?? 0,
    );
  /** Waits until the treasury watch has read block `n`. */
  const watchedPast = (n: bigint) =>
    waitFor(async () => (await scannedTo()) >= Number(n), 15_000, 'the treasury watch past the transfer');
  const balances = () => fetchBalances(server.url, secretKey);
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

  /** Executes an exported TRON transaction on the stand-in, signed by the same key; its hash. */
  const execute = async (tx: UnsignedTronTransaction, key: Hex): Promise<Hex> => {
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
    return hash;
  };

  /**
   * What java-tron burns and anvil does not — bandwidth without free bandwidth left, a new account's
   * activation — burned from `sender` after transaction `hash` (`anvil_setBalance`), and reported by
   * the HTTP API's `gettransactioninfobyid` for it, so that the chain and the node agree.
   */
  const burnOnChain = async (hash: Hex, sender: string, burn: Burn) => {
    api.burn(hash, burn);
    const address = tronAddressToHex(sender);
    const balance = await pub().getBalance({ address });
    await devClients(anvil.rpcUrl).test.setBalance({
      address,
      value: balance - (burn.net_fee ?? 0n) - (burn.activation_fee ?? 0n),
    });
  };
  /** The gas anvil charged for `hash`: the stand-in's energy (or bandwidth for a TRX transfer). */
  const gasOf = async (hash: Hex) => {
    const receipt = await pub().getTransactionReceipt({ hash });
    return receipt.gasUsed * receipt.effectiveGasPrice;
  };
  /** The ledger's entries of a transaction, by kind and address. */
  const entriesOf = async (hash: Hex) =>
    (
      await db().query<{ kind: string; address: string; amount: string }>(
        `SELECT kind, address, amount_atomic::text AS amount FROM ledger_entries WHERE tx_hash = $1 ORDER BY id`,
        [hash.slice(2).toLowerCase()],
      )
    ).rows.map((r) => [r.kind, r.address, r.amount]);

  before(async () => {
    anvil = await startAnvil({
      args: ['--chain-id', String(TRON_LOCAL_ID), '--block-base-fee-per-gas', '0'],
    });
    api = await startTronHttpApi({ rpcUrl: anvil.rpcUrl });
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
        // Each paid session's own receipt: other receipts (TRX sent to a deposit address from outside) count not.
        const { rows } = await db().query<{ n: number }>(
          `SELECT count(DISTINCT session_id)::int AS n FROM ledger_entries
            WHERE kind = 'receipt' AND chain_id = ${TRON_LOCAL_ID} AND session_id = ANY($1)`,
          [paid.map((p) => p.session.id)],
        );
        return rows[0]!.n === paid.length;
      },
      15_000,
      'receipts booked',
    );
  let exports = 0;
  /** `sweep --export` with `flags`; what it writes to standard error goes into `warnings`. */
  const sweepExport = async (
    flags: Record<string, string | true> = {},
    warnings: string[] = [],
  ): Promise<TronSweepExport> => {
    const file = join(dir, `sweep-${(exports += 1)}.json`);
    const lines: string[] = [];
    await sweepCommand.run(
      {
        config,
        db: db(),
        secrets: testSecretBox,
        print: (l) => lines.push(l),
        warn: (l) => warnings.push(l),
      },
      { export: file, chain: 'tron-local', ...flags },
      [],
    );
    assert.match(lines.join('\n'), /unsigned TRON transaction/);
    return JSON.parse(await readFile(file, 'utf8')) as TronSweepExport;
  };
  /** The recorded transactions of an export, in its order. */
  const exportRows = async (exportId: string) =>
    (
      await db().query<{ tx_id: string; status: string; address: string; superseded_by: string | null }>(
        'SELECT tx_id, status, address, superseded_by FROM tron_export_transactions WHERE export_id = $1 ORDER BY step',
        [exportId],
      )
    ).rows;
  /** The purposes and assets of an export's transactions for one deposit address. */
  const movesOf = (file: TronSweepExport, address: string) =>
    file.transactions.filter((t) => heldAddressOf(t) === address).map((t) => [t.purpose, t.asset]);
  /** The merchant page's open TRON export transactions for `key`, each as its cells' text. */
  const tronExportsOnPage = async (key = secretKey) =>
    pageSection(await merchantPageHtml(server.url, key), 'TRON sweeps exported, awaiting signature').map(
      (row) =>
        row
          .split('</td>')
          .slice(0, -1)
          .map((cell) => cell.replace(/<[^>]+>/g, '')),
    );
  /** What the page should show for each transaction of `file`, with `status`. */
  const pageRowsOf = (file: TronSweepExport, status: string) =>
    file.transactions.map((t) => [
      file.export_id,
      String(t.step),
      t.purpose === 'top_up' ? 'top-up' : 'sweep',
      'tron-local',
      t.signer,
      `${t.from} → ${t.to}`,
      `${formatAtomic(BigInt(t.amount_atomic), 6)} ${t.asset}`,
      status,
      new Date(file.expires_at).toISOString(),
    ]);
  const sweepRows = async (status: string) =>
    (
      await db().query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sweeps WHERE chain_id = ${TRON_LOCAL_ID} AND status = $1`,
        [status],
      )
    ).rows[0]!.n;

  /**
   * Signs and executes every transaction of `file` in order, waits until the watch has seen them all
   * (`confirmed`), and checks each transfer was booked once: one `sweeps` row a transaction.
   */
  const broadcastAll = async (file: TronSweepExport) => {
    const before = { confirmed: await sweepRows('confirmed'), topUps: await sweepRows('top_up') };
    for (const t of file.transactions) await execute(t.transaction, keyOf(t.derivation_index));
    await settle();
    await waitFor(
      async () => (await exportRows(file.export_id)).every((r) => r.status === 'confirmed'),
      15_000,
      `export ${file.export_id} seen on chain`,
    );
    const topUps = file.transactions.filter((t) => t.purpose === 'top_up').length;
    assert.equal(await sweepRows('top_up'), before.topUps + topUps);
    assert.equal(await sweepRows('confirmed'), before.confirmed + file.transactions.length - topUps);
  };

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
    // The export was recorded by txID, and the watch marked it seen.
    assert.deepEqual(
      (await exportRows(file.export_id)).map((r) => [r.tx_id, r.status]),
      [[t!.transaction.txID, 'confirmed']],
    );
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
    assert.ok((await exportRows(file.export_id)).every((r) => r.status === 'confirmed'));
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
    /** The address with its last character changed (to another one: a random address may end in 1). */
    const corrupted = (address: string) => `${address.slice(0, -1)}${address.endsWith('1') ? '2' : '1'}`;
    for (const destination of [
      privateKeyToAccount(generatePrivateKey()).address,
      corrupted(payee()),
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

  test('what TRON burns is booked from gettransactioninfobyid: a top-up activating its address, a USDT sweep burning bandwidth', async () => {
    const d = await pay('3.00', USDT);
    await settle();
    await waitPaid();
    const file = await sweepExport();
    const topUp = file.transactions.find((t) => t.purpose === 'top_up' && t.to === d.address)!;
    const sweep = file.transactions.find((t) => t.purpose === 'sweep' && t.from === d.address)!;
    assert.ok(topUp && sweep, 'a top-up and a USDT sweep of the new deposit');
    const burns = new Map<Hex, { sender: string; burn: Burn }>();
    for (const t of file.transactions) {
      const hash = await execute(t.transaction, keyOf(t.derivation_index));
      // The deposit address never held TRX: the top-up activates it (1 TRX, java-tron's recorded
      // answer); the sweep's sender has no free bandwidth left (0.345 TRX, likewise).
      if (t === topUp) burns.set(hash, { sender: treasury, burn: { activation_fee: 1_000_000n } });
      if (t === sweep) burns.set(hash, { sender: d.address, burn: { net_fee: 345_000n } });
    }
    for (const [hash, { sender, burn }] of burns) await burnOnChain(hash, sender, burn);
    await settle();
    await waitFor(
      async () =>
        (
          await db().query('SELECT 1 FROM sweeps WHERE address = $1 AND status = $2', [
            d.address,
            'confirmed',
          ])
        ).rows.length === 1,
      15_000,
      'the USDT sweep booked',
    );
    const [topUpHash, sweepHash] = [...burns.keys()];
    const fee = (hash: Hex, extra: bigint) => gasOf(hash).then((gas) => (gas + extra).toString());
    assert.deepEqual(await entriesOf(topUpHash!), [
      ['sweep', d.address, (-BigInt(topUp.amount_atomic)).toString()],
      ['fee', treasury, await fee(topUpHash!, 1_000_000n)],
    ]);
    assert.deepEqual(await entriesOf(sweepHash!), [
      ['sweep', d.address, d.atomic.toString()],
      ['fee', d.address, await fee(sweepHash!, 345_000n)],
    ]);
    const all = await balances();
    const t = all.find((x) => x.asset === TRX)!;
    assert.equal(t.in_treasury, formatAtomic(await chainBalance(treasury, false), 6));
    let inDeposits = 0n;
    for (const p of paid) inDeposits += await chainBalance(p.address, false);
    assert.equal(t.in_deposit_addresses, formatAtomic(inDeposits, 6));
    assert.deepEqual(await reconcileNow(), { code: 0, lines: [] });
  });

  test('TRX and USDT sent into the treasury from outside are booked as treasury funding', async () => {
    const before = await balances();
    const trxHash = await devClients(anvil.rpcUrl).wallet.sendTransaction({
      chain: null,
      to: treasuryHex,
      value: 25_000_000n,
    });
    await pub().waitForTransactionReceipt({ hash: trxHash });
    await sendDevPayment(anvil.rpcUrl, treasuryHex, '5', { address: usdtHex, decimals: 6 });
    await settle();
    await waitFor(
      async () =>
        (await db().query(`SELECT 1 FROM ledger_entries WHERE kind = 'treasury_funding'`)).rows.length === 2,
      15_000,
      'the funding booked',
    );
    const payer = tronAddressFromHex(devClients(anvil.rpcUrl).account.address);
    assert.deepEqual(await entriesOf(trxHash), [['treasury_funding', treasury, '25000000']]);
    const page = (await (
      await fetch(`${server.url}/v1/ledger?limit=1000`, { headers: { authorization: `Bearer ${secretKey}` } })
    ).json()) as { data: { kind: string; asset: string; amount: string; counterparty: string | null }[] };
    assert.deepEqual(
      page.data.filter((e) => e.kind === 'treasury_funding').map((e) => [e.asset, e.amount, e.counterparty]),
      [
        [TRX, '25', payer],
        [USDT, '5', payer],
      ],
    );
    const after = await balances();
    for (const [asset, added] of [
      [TRX, 25_000_000n],
      [USDT, 5_000_000n],
    ] as const) {
      const [b, a] = [before, after].map((x) => x.find((y) => y.asset === asset)!);
      assert.equal(a!.received, b!.received, `${asset}: not a receipt`);
      assert.equal(a!.in_treasury, formatAtomic(await chainBalance(treasury, asset === USDT), 6));
      assert.equal(
        toAtomic(a!.available, 6) - toAtomic(b!.available, 6),
        added,
        `${asset}: available grows by the funding`,
      );
    }
    assert.deepEqual(await reconcileNow(), { code: 0, lines: [] });
  });

  test('a TRC-10 token sent to the treasury is no TRX funding, though the JSON-RPC shows its amount as value', async () => {
    const before = await balances();
    const hash = await devClients(anvil.rpcUrl).wallet.sendTransaction({
      chain: null,
      to: treasuryHex,
      value: 7_000_000n,
    });
    // On TRON: 7 000 000 units of a TRC-10 token (an airdrop anyone can send), not 7 TRX.
    api.trc10(hash);
    const { blockNumber } = await pub().waitForTransactionReceipt({ hash });
    await settle();
    await watchedPast(blockNumber);
    assert.deepEqual(await entriesOf(hash), [], 'nothing booked');
    assert.ok(api.count('/walletsolidity/gettransactionbyid') > 0, 'its contract type was asked');
    const [b, a] = [before, await balances()].map((x) => x.find((y) => y.asset === TRX)!);
    assert.equal(a!.available, b!.available, 'available unchanged');
    // anvil moved its coin where java-tron would have moved a token: take it back, so that the
    // chain and the ledger agree again (as burnOnChain does for what anvil does not burn).
    const balance = await pub().getBalance({ address: treasuryHex });
    await devClients(anvil.rpcUrl).test.setBalance({ address: treasuryHex, value: balance - 7_000_000n });
  });

  test('a TRC-10 token leaving the treasury is no TRX: no payout settled, no review, only its fee booked', async () => {
    const elsewhere = privateKeyToAccount(generatePrivateKey()).address;
    const wallet = createWalletClient({
      account: privateKeyToAccount(treasuryKey),
      transport: http(anvil.rpcUrl),
    });
    const hash = await wallet.sendTransaction({
      chain: null,
      to: elsewhere,
      value: 3_000_000n,
      maxFeePerGas: GAS_PRICE,
      maxPriorityFeePerGas: GAS_PRICE,
    });
    // On TRON: 3 000 000 units of a TRC-10 token the treasury held, not 3 TRX.
    api.trc10(hash);
    const { blockNumber } = await pub().waitForTransactionReceipt({ hash });
    await settle();
    await watchedPast(blockNumber);
    const { rows } = await db().query('SELECT status FROM sweeps WHERE tx_hash = $1', [
      hash.replace(/^0x/, ''),
    ]);
    assert.deepEqual(rows, [], 'no sweep, top-up or review row');
    assert.deepEqual(
      (await entriesOf(hash)).map(([kind]) => kind),
      ['fee'],
      'only the fee it burned',
    );
    // anvil moved its coin where java-tron would have moved a token: give it back to the treasury.
    const balance = await pub().getBalance({ address: treasuryHex });
    await devClients(anvil.rpcUrl).test.setBalance({ address: treasuryHex, value: balance + 3_000_000n });
  });

  test('while gettransactioninfobyid cannot answer, the watch holds its cursor; after, it books each transfer and fee once', async () => {
    const e = await pay('5.00', TRX);
    await settle();
    await waitPaid();
    const file = await sweepExport();
    const INFO = '/walletsolidity/gettransactioninfobyid';
    api.setTransactionInfo('error');
    const hashes: Hex[] = [];
    for (const t of file.transactions) hashes.push(await execute(t.transaction, keyOf(t.derivation_index)));
    const sweepHash = hashes[file.transactions.findIndex((t) => t.from === e.address)]!;
    const { blockNumber } = await pub().getTransactionReceipt({ hash: sweepHash });
    for (const answer of ['error', 'not-found', { status: 503 }] as const) {
      api.setTransactionInfo(answer);
      const asked = api.count(INFO);
      await settle();
      await waitFor(
        async () => api.count(INFO) >= asked + 2,
        15_000,
        `the watch retried (${JSON.stringify(answer)})`,
      );
      assert.ok((await scannedTo()) < Number(blockNumber), 'the cursor stays before the block');
      assert.deepEqual(await entriesOf(sweepHash), [], 'nothing booked');
    }
    api.setTransactionInfo('chain');
    await waitFor(async () => (await scannedTo()) >= Number(blockNumber), 15_000, 'the watch went on');
    assert.deepEqual(await entriesOf(sweepHash), [
      ['sweep', e.address, (e.atomic - 300_000n).toString()],
      ['fee', e.address, (await gasOf(sweepHash)).toString()],
    ]);
    for (const hash of hashes)
      assert.equal((await entriesOf(hash)).filter(([kind]) => kind === 'fee').length, 1, 'one fee each');
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
  test('a second export leaves out the addresses a live export holds; --replace exports them again and supersedes it; nothing books twice', async () => {
    const d = await pay('5.00', USDT);
    await settle();
    await waitPaid();
    // The review test's USDT sent elsewhere is a known difference; these exports add none.
    const known = await reconcileNow();
    const first = await sweepExport();
    assert.deepEqual(movesOf(first, d.address), [
      ['top_up', TRX],
      ['sweep', USDT],
    ]);
    assert.deepEqual(first.held_back, []);
    assert.deepEqual(
      (await exportRows(first.export_id)).map((r) => [r.tx_id, r.status, r.address]),
      first.transactions.map((t) => [t.transaction.txID, 'exported', heldAddressOf(t)]),
    );
    // The merchant page lists each of its transactions, in signing order; a live key sees none (test-mode deposits).
    assert.deepEqual(await tronExportsOnPage(), pageRowsOf(first, 'exported (awaiting signature)'));
    const { key: liveKey } = await createApiKey(server.app.apiKeys, { mode: 'live', scopes: ['read'] });
    recordSecrets(liveKey);
    assert.deepEqual(await tronExportsOnPage(liveKey), []);
    // Exported again before the first file reached the chain: its addresses are left out, and it says so.
    const warnings: string[] = [];
    const second = await sweepExport({}, warnings);
    assert.deepEqual(second.transactions, []);
    const held = [...new Set(first.transactions.map(heldAddressOf))].sort();
    assert.deepEqual(second.held_back.map((h) => h.address).sort(), held);
    for (const h of second.held_back) {
      assert.equal(h.export_id, first.export_id);
      assert.equal(h.expires_at, first.expires_at);
    }
    assert.ok(
      warnings.some((w) => w.includes(`${d.address} left out: export ${first.export_id}`)),
      warnings.join('\n'),
    );
    assert.deepEqual(await exportRows(second.export_id), []);
    // --replace: the same addresses again, the first export's transactions superseded.
    const third = await sweepExport({ replace: true }, warnings);
    assert.deepEqual(third.supersedes, [first.export_id]);
    assert.deepEqual(third.held_back, []);
    assert.deepEqual(movesOf(third, d.address), movesOf(first, d.address));
    assert.deepEqual(
      third.transactions.map((t) => [t.purpose, t.from, t.to, t.asset, t.amount_atomic]),
      first.transactions.map((t) => [t.purpose, t.from, t.to, t.asset, t.amount_atomic]),
    );
    assert.ok(
      (await exportRows(first.export_id)).every(
        (r) => r.status === 'superseded' && r.superseded_by === third.export_id,
      ),
    );
    assert.ok(warnings.some((w) => w.includes(`superseded the live transactions of ${first.export_id}`)));
    // The page lists the replacement, and the superseded file as still broadcastable until it expires.
    const superseded = `superseded by ${third.export_id}: can still be broadcast until it expires`;
    assert.deepEqual(await tronExportsOnPage(), [
      ...pageRowsOf(third, 'exported (awaiting signature)'),
      ...pageRowsOf(first, superseded),
    ]);
    await broadcastAll(third);
    // Seen on chain, the replacement leaves the page (recent sweeps show it); the superseded file stays.
    assert.deepEqual(await tronExportsOnPage(), pageRowsOf(first, superseded));
    assert.ok(
      (await exportRows(first.export_id)).every((r) => r.status === 'superseded'),
      'the superseded file never reached the chain',
    );
    // The ledger and the chain agree.
    assert.equal(await chainBalance(d.address, true), 0n);
    assert.equal(
      (await balances()).find((x) => x.asset === USDT)!.in_treasury,
      formatAtomic(await chainBalance(treasury, true), 6),
    );
    assert.deepEqual(await reconcileNow(), known);
    // Seen on chain, the addresses are free: a dry run holds nothing back and tops nothing up.
    const lines: string[] = [];
    await sweepCommand.run(
      { config, db: db(), secrets: testSecretBox, print: (l) => lines.push(l) },
      { chain: 'tron-local', json: true },
      [],
    );
    const dry = JSON.parse(lines[0]!) as TronSweepExport;
    assert.deepEqual(dry.held_back, []);
    assert.ok(!dry.transactions.some((t) => t.purpose === 'top_up'));
    assert.deepEqual(await exportRows(dry.export_id), [], 'a dry run records nothing');
  });

  test('two exports at once hold each address once; an export that expires unbroadcast frees its addresses for the next', async () => {
    const e = await pay('6.00', USDT);
    await settle();
    await waitPaid();
    // The review test's USDT sent elsewhere is a known difference; these exports add none.
    const known = await reconcileNow();
    const both = await Promise.all([sweepExport({ 'expires-in': '1' }), sweepExport({ 'expires-in': '1' })]);
    const first = both.find((f) => movesOf(f, e.address).length)!;
    const other = both.find((f) => f !== first)!;
    assert.deepEqual(movesOf(first, e.address), [
      ['top_up', TRX],
      ['sweep', USDT],
    ]);
    assert.deepEqual(movesOf(other, e.address), []);
    assert.ok(other.held_back.some((h) => h.address === e.address && h.export_id === first.export_id));
    const inFirst = new Set(first.transactions.map(heldAddressOf));
    assert.ok(!other.transactions.some((t) => inFirst.has(heldAddressOf(t))), 'no address in both files');
    // Never signed; the chain's clock passes the expiry (1 h after the reference block): the watch frees them.
    await devClients(anvil.rpcUrl).test.increaseTime({ seconds: 2 * 3600 });
    await settle();
    await waitFor(
      async () => (await exportRows(first.export_id)).every((r) => r.status === 'expired'),
      15_000,
      'the unbroadcast export expired',
    );
    const next = await sweepExport();
    assert.deepEqual(next.held_back, []);
    assert.deepEqual(movesOf(next, e.address), [
      ['top_up', TRX],
      ['sweep', USDT],
    ]);
    await broadcastAll(next);
    assert.ok((await exportRows(first.export_id)).every((r) => r.status === 'expired'));
    assert.equal(await chainBalance(e.address, true), 0n);
    assert.deepEqual(await reconcileNow(), known);
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
