/**
 * The UTXO treasury end to end on litecoind regtest: sessions paid in LTC, `sweep --export` writes a
 * PSBT to a fresh treasury address (m/…/1/i) and reserves its coins, bitcoinjs-lib signs it with the
 * test seed, `sendrawtransaction` broadcasts it, and the sweep watch books it: submitted, then
 * confirmed at the chain's confirmations, with the ledger, `GET /v1/balances` and `reconcile` in
 * agreement with the node to the litoshi; a reorganisation of the sweep's block takes the booking
 * back and books it again when re-mined; a payout batch above and below the review threshold is
 * exported as one PSBT, signed, broadcast and confirmed, and one whose coins are spent otherwise
 * fails; a confirmed payout reorganised away is taken back and booked again when re-mined, or fails
 * when its coin is double-spent in the new chain; a spend of deposit coins elsewhere waits for
 * review. On PostgreSQL (the production store, where bigint columns come back as strings) when it is
 * reachable, else on PGlite.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HDKey } from '@scure/bip32';
import pg from 'pg';
import * as bitcoinjs from 'bitcoinjs-lib';
import type { Session } from '@crypto-checkout/protocol';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import { runReconcile, treasuryCommands } from '../../packages/server/src/cli/treasury-commands.js';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import { nodeRpc } from '../../packages/server/src/chain/utxo/node-rpc.js';
import { createUtxoSweepWatch } from '../../packages/server/src/treasury/utxo-sweep-watch.js';
import { treasuryWalletNameOf } from '../../packages/server/src/treasury/utxo-treasury.js';
import { parseConfig, type Config } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { formatAtomic, toAtomic } from '../../packages/server/src/money.js';
import { litecoindMissing, startLitecoind, TEST_VERSIONS, type Litecoind } from '../support/litecoind.js';
import { hdSigner, LTC, LTC_REGTEST } from '../support/psbt-signer.js';
import { fetchBalances } from '../support/balances.js';
import { testSecretBox } from '../support/app.js';
import { recordSecrets, testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

describe(
  'the UTXO treasury on Litecoin: sweeps seen, booked, reorged, reviewed',
  { skip: litecoindMissing },
  () => {
    let node: Litecoind;
    let dataDir: string;
    let config: Config;
    let server: RunningServer;
    const secretKey = testSecretKey();
    const encryptionKey = randomBytes(32).toString('base64');
    recordSecrets(encryptionKey);
    const seed = HDKey.fromMasterSeed(randomBytes(32), TEST_VERSIONS);
    const account = seed.derive("m/84'/1'/0'");
    const origin = `[${seed.fingerprint.toString(16).padStart(8, '0')}/84'/1'/0']`;
    let total = 0n;
    let fee = 0n;
    let sweepTxid = '';
    let treasury = '';

    const db = () => server.app.store.db;
    const sessionsPaid = async () => {
      const { rows } = await db().query<{ n: string }>(
        `SELECT count(*) AS n FROM sessions WHERE status = 'paid'`,
      );
      return Number(rows[0]!.n);
    };
    /** Creates a session, pays it exactly from the buyer's wallet; answers its deposit coin. */
    const payOne = async (amount: string) => {
      const response = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount, currency: 'USD', methods: [LTC] }),
      });
      assert.equal(response.status, 201);
      const session = (await response.json()) as Session;
      recordSecrets(session.client_secret);
      const chosen = await server.app.sessions.choosePayment(session.id, LTC);
      const { address, amount_due } = chosen.payment!;
      const txid = await node.pay(address, amount_due);
      return { session: session.id, address, txid, atomic: toAtomic(amount_due, 8) };
    };
    const sweepRows = async (txid: string) =>
      (
        await db().query<{ status: string; address: string; review_reason: string | null }>(
          'SELECT status, address, review_reason FROM sweeps WHERE tx_hash = $1 ORDER BY address',
          [txid],
        )
      ).rows;
    const balances = async () => (await fetchBalances(server.url, secretKey)).find((b) => b.asset === LTC)!;
    /** Waits until every payout (of one transaction, when given) has `status`. */
    const payoutsReach = (status: string, label: string, txid?: string) =>
      waitFor(
        async () => {
          const { rows } = await db().query<{ status: string }>(
            txid ? 'SELECT status FROM payouts WHERE tx_hash = $1' : 'SELECT status FROM payouts',
            txid ? [txid] : [],
          );
          return rows.every((r) => r.status === status);
        },
        10_000,
        label,
      );
    const reconcileNow = async () => {
      const lines: string[] = [];
      const code = await runReconcile(
        { config, db: db(), secrets: testSecretBox, print: (l) => lines.push(l) },
        { json: true },
      );
      return {
        code,
        differences: lines.map((l) => JSON.parse(l) as { address: string; chain_atomic: string }),
      };
    };

    const pgServer = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    let pgDatabase: string | null = null;
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: pgServer, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };

    before(async () => {
      node = await startLitecoind();
      dataDir = await mkdtemp(join(tmpdir(), 'cc-utxot-'));
      let databaseUrl: string | undefined;
      try {
        await admin('SELECT 1');
        pgDatabase = `cc_utxot_${randomBytes(6).toString('hex')}`;
        await admin(`CREATE DATABASE ${pgDatabase}`);
        const url = new URL(pgServer);
        url.pathname = `/${pgDatabase}`;
        databaseUrl = url.toString();
      } catch {
        pgDatabase = null; // PostgreSQL not reachable: PGlite
      }
      config = parseConfig({
        port: 0,
        data_dir: dataDir,
        ...(databaseUrl ? { database_url: databaseUrl } : {}),
        encryption_key: encryptionKey,
        secret_keys: [secretKey],
        xpub: testMerchantWallet().xpub,
        chains: [
          {
            key: 'litecoin-regtest',
            rpc_url: node.rpcUrl,
            xpub: account.publicExtendedKey,
            confirmations: 2,
            polling_interval_ms: 100,
          },
        ],
        rates: { LTC: '100' },
        // 5 USD: the sessions pay cents' worth of LTC, so that payouts on both sides of it fit the treasury.
        payouts: { review_threshold: '5' },
        log_level: 'warn',
        limits: { rate_limits: { enabled: false }, load_shedding: { enabled: false } },
      });
      server = await startServer(config, { logger: testLogger() });
      await waitFor(
        () => server.watchers.every((w) => (w.status().processed ?? null) !== null),
        30_000,
        'watchers',
      );
      for (const amount of ['10.00', '2.50', '7.77']) total += (await payOne(amount)).atomic;
      await node.mine(2);
      await waitFor(async () => (await sessionsPaid()) === 3, 20_000, 'three sessions paid');
    });

    after(async () => {
      await server?.stop();
      await node?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      if (pgDatabase) await admin(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
    });

    test('a signed sweep PSBT is seen, confirmed and booked; balances and reconcile agree with the node', async () => {
      const file = join(dataDir, 'sweep.psbt');
      // Two exports at once: one takes the coins, the other is refused (no coin spent twice).
      const exports = await Promise.allSettled(
        [0, 1].map(() =>
          sweepCommand.run(
            { config, db: db(), secrets: testSecretBox, print: () => {} },
            { chain: 'litecoin-regtest', export: file, 'fee-rate': '2', 'key-origin': origin },
            [],
          ),
        ),
      );
      assert.deepEqual(exports.map((e) => e.status).sort(), ['fulfilled', 'rejected']);
      assert.match(String(exports.find((e) => e.status === 'rejected')!.reason), /reserved/);
      const { rows: taken } = await db().query<{ address: string; derivation_index: string | number }>(
        'SELECT address, derivation_index FROM utxo_treasury_addresses',
      );
      assert.equal(taken.length, 1);
      treasury = taken[0]!.address;
      assert.equal(Number(taken[0]!.derivation_index), 0);

      // What a hardware wallet needs, read by an independent library: each input's witness UTXO and
      // seed path, and the output's own path on the treasury branch (so it shows as the wallet's own).
      const psbt = bitcoinjs.Psbt.fromBase64((await readFile(file, 'utf8')).trim(), { network: LTC_REGTEST });
      assert.equal(psbt.inputCount, 3);
      for (const input of psbt.data.inputs) {
        assert.ok(input.witnessUtxo);
        assert.match(input.bip32Derivation![0]!.path, /^m\/84'\/1'\/0'\/0\/\d+$/);
      }
      assert.equal(psbt.txOutputs.length, 1);
      assert.equal(psbt.txOutputs[0]!.address, treasury);
      const [out] = psbt.data.outputs[0]!.bip32Derivation!;
      assert.equal(out!.path, "m/84'/1'/0'/1/0");
      assert.deepEqual(Buffer.from(out!.pubkey), Buffer.from(seed.derive(out!.path).publicKey!));
      fee = total - psbt.txOutputs[0]!.value;

      // The coins are reserved: a second export finds nothing to spend.
      await assert.rejects(
        sweepCommand.run(
          { config, db: db(), secrets: testSecretBox, print: () => {} },
          { chain: 'litecoin-regtest', export: join(dataDir, 'again.psbt'), 'fee-rate': '2' },
          [],
        ),
        /no coins with 2 confirmations at the deposit addresses \(3 reserved by earlier exports\)/,
      );

      psbt.signAllInputsHD(hdSigner(seed));
      psbt.finalizeAllInputs();
      const signed = psbt.extractTransaction();
      const { rows: reserved } = await db().query<{ expected_txid: string }>(
        'SELECT DISTINCT expected_txid FROM utxo_reservations',
      );
      assert.deepEqual(reserved, [{ expected_txid: signed.getId() }]);
      sweepTxid = await node.rpc<string>('sendrawtransaction', [signed.toHex()]);

      await waitFor(
        async () => (await sweepRows(sweepTxid)).length === 3,
        10_000,
        'the sweep seen in the mempool',
      );
      assert.ok((await sweepRows(sweepTxid)).every((r) => r.status === 'submitted'));
      assert.equal((await balances()).in_treasury, '0', 'nothing booked before the confirmations');
      await node.mine(1);
      await waitFor(
        async () => {
          const { rows } = await db().query<{ block_number: string | null }>(
            'SELECT block_number FROM sweeps WHERE tx_hash = $1 LIMIT 1',
            [sweepTxid],
          );
          return rows[0]?.block_number !== null;
        },
        10_000,
        'the sweep mined',
      );
      assert.ok(
        (await sweepRows(sweepTxid)).every((r) => r.status === 'submitted'),
        'one of two confirmations',
      );
      await node.mine(1);
      await waitFor(
        async () => (await sweepRows(sweepTxid)).every((r) => r.status === 'confirmed'),
        10_000,
        'the sweep confirmed',
      );

      const b = await balances();
      assert.equal(b.received, formatAtomic(total, 8));
      assert.equal(b.in_deposit_addresses, '0');
      assert.equal(b.in_treasury, formatAtomic(total - fee, 8));
      // The node holds exactly that at the treasury address.
      const coin = await node.rpc<{ value: string }>('gettxout', [sweepTxid, 0]);
      assert.equal(toAtomic(coin.value, 8), total - fee);
      assert.deepEqual(await reconcileNow(), { code: 0, differences: [] });
    });

    test('a reorganisation of the sweep block takes the booking back; re-mined, it is booked again', async () => {
      assert.ok(sweepTxid, 'needs the sweep of the previous test');
      const { rows: mined } = await db().query<{ block_number: string | number }>(
        'SELECT block_number FROM sweeps WHERE tx_hash = $1 LIMIT 1',
        [sweepTxid],
      );
      const height = Number(mined[0]!.block_number);
      assert.equal(
        await node.rpc<string>('getblockhash', [height]),
        (
          await node.rpc<{ blockhash: string }>(
            'gettransaction',
            [sweepTxid, true],
            'crypto-checkout-litecoin-regtest',
          )
        ).blockhash,
      );
      await node.invalidate(height);
      await waitFor(
        async () => (await sweepRows(sweepTxid)).every((r) => r.status === 'submitted'),
        10_000,
        'the sweep back to submitted',
      );
      let b = await balances();
      assert.equal(b.in_deposit_addresses, formatAtomic(total, 8));
      assert.equal(b.in_treasury, '0');

      await node.mine(2);
      await waitFor(
        async () => (await sweepRows(sweepTxid)).every((r) => r.status === 'confirmed'),
        10_000,
        'the sweep confirmed again',
      );
      b = await balances();
      assert.equal(b.in_deposit_addresses, '0');
      assert.equal(b.in_treasury, formatAtomic(total - fee, 8));
      // Its webhooks, one per change of the transaction (not per deposit): seen, booked, taken back, booked.
      const { rows: hooks } = await db().query<{ type: string; body: string }>(
        `SELECT type, body FROM webhook_events WHERE type LIKE 'sweep.%' ORDER BY seq`,
      );
      assert.deepEqual(
        hooks.map((h) => h.type),
        ['sweep.submitted', 'sweep.confirmed', 'sweep.reversed', 'sweep.confirmed'],
      );
      const last = JSON.parse(hooks.at(-1)!.body) as {
        data: {
          rail: string;
          status: string;
          tx_hash: string;
          deposits: { amount: string; session_id: string }[];
        };
      };
      assert.equal(last.data.rail, 'utxo');
      assert.equal(last.data.status, 'confirmed');
      assert.equal(last.data.tx_hash, sweepTxid);
      assert.equal(last.data.deposits.length, 3);
      assert.ok(last.data.deposits.every((d) => d.session_id.startsWith('cs_')));
      assert.equal(
        last.data.deposits.reduce((sum, d) => sum + toAtomic(d.amount, 8), 0n),
        total,
      );
      assert.equal((JSON.parse(hooks[2]!.body) as { data: { status: string } }).data.status, 'submitted');
      // Append-only: booked, taken back, booked again.
      const { rows } = await db().query<{ amount: string }>(
        `SELECT sum(amount_atomic)::text AS amount FROM ledger_entries WHERE kind = 'sweep' AND tx_hash = $1 GROUP BY id ORDER BY id`,
        [sweepTxid],
      );
      assert.equal(rows.length, 9);
      assert.deepEqual(await reconcileNow(), { code: 0, differences: [] });
    });

    test('payouts in LTC: validated, reviewed, exported as one PSBT, signed, broadcast and confirmed', async () => {
      assert.ok(sweepTxid, 'needs the treasury of the previous tests');
      const post = (body: unknown, key = secretKey, idempotencyKey?: string) =>
        fetch(`${server.url}/v1/payouts`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: JSON.stringify(body),
        });
      const payee = async () => node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer');
      // Addresses of another network or encoding are refused with the field named.
      for (const destination of [
        'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
        // Its last character changed (to another bech32 character): the checksum fails.
        ((a: string) => a.slice(0, -1) + (a.endsWith('q') ? 'p' : 'q'))(await payee()),
        '0x52908400098527886E0F7030069857D2E4169EE7',
      ]) {
        const answer = await post({ payouts: [{ destination, asset: LTC, amount: '0.01' }] });
        assert.equal(answer.status, 400, destination);
        const error = (await answer.json()) as { error: { code: string; message: string } };
        assert.match(JSON.stringify(error), /payouts\.0\.destination/);
      }
      // More than the treasury holds: refused, nothing reserved.
      const over = await post({ payouts: [{ destination: await payee(), asset: LTC, amount: '1' }] });
      assert.equal(over.status, 409);
      assert.match(await over.text(), /insufficient_balance/);

      const batch = {
        payouts: [
          { destination: await payee(), asset: LTC, amount: '0.02', reference: 'p-1' },
          { destination: await payee(), asset: LTC, amount: '0.06', reference: 'p-2' },
          { destination: (await payee()).toUpperCase(), asset: LTC, amount: '0.03', reference: 'p-3' },
        ],
      };
      const first = (await (await post(batch, secretKey, 'utxo-batch-1')).json()) as {
        data: { id: string; status: string }[];
      };
      const again = (await (await post(batch, secretKey, 'utxo-batch-1')).json()) as typeof first;
      assert.deepEqual(again, first, 'a retry answers the same payouts');
      const { rows: valued } = await db().query<{ fiat_value: string }>(
        'SELECT fiat_value FROM payouts ORDER BY reference',
      );
      assert.deepEqual(
        first.data.map((p) => p.status),
        ['approved', 'needs_approval', 'approved'],
        JSON.stringify(valued),
      );
      const { key: approver } = await createApiKey(server.app.apiKeys, { mode: 'test', scopes: ['approve'] });
      recordSecrets(approver);
      const approved = await fetch(`${server.url}/v1/payouts/${first.data[1]!.id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approver}` },
      });
      assert.equal(approved.status, 200);

      const file = join(dataDir, 'payouts.psbt');
      const exportPsbt = treasuryCommands.find((c) => c.group === 'payouts' && c.name === 'export-psbt')!;
      const run = (flags: Record<string, string>) =>
        exportPsbt.run({ config, db: db(), secrets: testSecretBox, print: () => {} }, flags, []);
      // Two exports at once: the payouts go into exactly one of them.
      const exports = await Promise.allSettled(
        [0, 1].map(() =>
          run({
            chain: 'litecoin-regtest',
            mode: 'test',
            export: file,
            'fee-rate': '2',
            'key-origin': origin,
          }),
        ),
      );
      assert.deepEqual(exports.map((e) => e.status).sort(), ['fulfilled', 'rejected']);
      assert.match(String(exports.find((e) => e.status === 'rejected')!.reason), /no approved payouts/);

      const psbt = bitcoinjs.Psbt.fromBase64((await readFile(file, 'utf8')).trim(), { network: LTC_REGTEST });
      assert.equal(psbt.inputCount, 1);
      assert.equal(psbt.data.inputs[0]!.bip32Derivation![0]!.path, "m/84'/1'/0'/1/0");
      // Each payout has its output (the index stored with it), and the change its treasury path.
      const amounts = psbt.txOutputs.map((o) => o.value);
      assert.equal(amounts.length, 4);
      const { rows: submitted } = await db().query<{
        status: string;
        tx_hash: string;
        log_index: number;
        amount_atomic: string;
        destination: string;
      }>(
        'SELECT status, tx_hash, log_index, amount_atomic::text, destination FROM payouts ORDER BY reference',
      );
      assert.deepEqual(
        submitted.map((p) => [psbt.txOutputs[p.log_index]!.value, psbt.txOutputs[p.log_index]!.address]),
        [
          [2_000_000n, batch.payouts[0]!.destination],
          [6_000_000n, batch.payouts[1]!.destination],
          [3_000_000n, batch.payouts[2]!.destination.toLowerCase()],
        ],
      );
      assert.deepEqual([...new Set(submitted.map((p) => p.log_index))].sort(), [0, 1, 2]);
      assert.equal(psbt.data.outputs[3]!.bip32Derivation![0]!.path, "m/84'/1'/0'/1/1");
      const payoutFee = total - fee - amounts.reduce((a, b) => a + b, 0n);
      psbt.signAllInputsHD(hdSigner(seed));
      psbt.finalizeAllInputs();
      const signed = psbt.extractTransaction();
      assert.deepEqual(
        submitted.map((p) => [p.status, p.tx_hash]),
        [0, 1, 2].map(() => ['submitted', signed.getId()]),
      );
      await node.rpc('sendrawtransaction', [signed.toHex()]);
      await node.mine(2);
      await payoutsReach('confirmed', 'payouts confirmed');
      const ltc = await balances();
      assert.equal(ltc.in_treasury, formatAtomic(total - fee - 11_000_000n - payoutFee, 8));
      assert.equal(ltc.pending_payouts, '0');
      assert.equal(ltc.available, ltc.in_treasury);
      assert.deepEqual(await reconcileNow(), { code: 0, differences: [] });
    });

    test('a reorganisation of a confirmed payout takes its settlement back; re-mined, it is booked once more', async () => {
      const { rows: confirmed } = await db().query<{ id: string; tx_hash: string; amount_atomic: string }>(
        `SELECT id, tx_hash, amount_atomic::text FROM payouts WHERE status = 'confirmed' ORDER BY id`,
      );
      assert.equal(confirmed.length, 3, 'needs the payouts of the previous test');
      const txid = confirmed[0]!.tx_hash;
      const booked = async () =>
        (
          await db().query<{ kind: string; net: string; n: string }>(
            `SELECT kind, sum(amount_atomic)::text AS net, count(*)::text AS n FROM ledger_entries
              WHERE tx_hash = $1 AND kind IN ('payout_settle', 'fee') GROUP BY kind ORDER BY kind`,
            [txid],
          )
        ).rows;
      const before = await balances();
      const settled = await booked();
      const paid = confirmed.reduce((sum, p) => sum + BigInt(p.amount_atomic), 0n);
      assert.equal(settled.find((r) => r.kind === 'payout_settle')!.net, paid.toString());
      const { blockheight } = await node.rpc<{ blockheight: number }>(
        'gettransaction',
        [txid, true],
        treasuryWalletNameOf(config.chains[0]!),
      );

      await node.invalidate(blockheight);
      await payoutsReach('submitted', 'the payouts back to submitted', txid);
      // Append-only: the settlement and the fee again with the opposite sign; the money is pending again.
      assert.deepEqual(
        (await booked()).map((r) => [r.kind, r.net, r.n]),
        [
          ['fee', '0', '2'],
          ['payout_settle', '0', '6'],
        ],
      );
      const reorged = await balances();
      assert.equal(reorged.pending_payouts, formatAtomic(paid, 8));
      assert.equal(
        toAtomic(reorged.in_treasury, 8),
        toAtomic(before.in_treasury, 8) + paid + BigInt(settled.find((r) => r.kind === 'fee')!.net),
      );
      const { rows: events } = await db().query<{ type: string }>(
        `SELECT type FROM webhook_events WHERE type LIKE 'payout.%' ORDER BY seq DESC LIMIT 3`,
      );
      assert.deepEqual(
        events.map((e) => e.type),
        ['payout.submitted', 'payout.submitted', 'payout.submitted'],
      );

      await node.mine(2);
      await payoutsReach('confirmed', 'the payouts confirmed again', txid);
      assert.deepEqual(
        (await booked()).map((r) => [r.kind, r.net, r.n]),
        [
          ['fee', settled.find((r) => r.kind === 'fee')!.net, '3'],
          ['payout_settle', paid.toString(), '9'],
        ],
      );
      assert.deepEqual(await balances(), before);
      assert.deepEqual(await reconcileNow(), { code: 0, differences: [] });
    });

    test('an exported payout whose coin is spent by another transaction fails and releases its reservation', async (t) => {
      t.diagnostic(pgDatabase ? 'on PostgreSQL' : 'on PGlite');
      const answer = await fetch(`${server.url}/v1/payouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          payouts: [
            {
              destination: await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer'),
              asset: LTC,
              amount: '0.001',
            },
          ],
        }),
      });
      assert.equal(answer.status, 201);
      const [payout] = ((await answer.json()) as { data: { id: string; status: string }[] }).data;
      assert.equal(payout!.status, 'approved');
      const exportPsbt = treasuryCommands.find((c) => c.group === 'payouts' && c.name === 'export-psbt')!;
      const file = join(dataDir, 'failing.psbt');
      await exportPsbt.run(
        { config, db: db(), secrets: testSecretBox, print: () => {} },
        { chain: 'litecoin-regtest', mode: 'test', export: file, 'fee-rate': '2', 'key-origin': origin },
        [],
      );
      const exported = bitcoinjs.Psbt.fromBase64((await readFile(file, 'utf8')).trim(), {
        network: LTC_REGTEST,
      });
      // The merchant spends the same treasury coin some other way (their wallet, by hand).
      const input = exported.data.inputs[0]!;
      const coin = exported.txInputs[0]!;
      const other = new bitcoinjs.Psbt({ network: LTC_REGTEST });
      other.addInput({
        hash: coin.hash,
        index: coin.index,
        witnessUtxo: input.witnessUtxo!,
        bip32Derivation: input.bip32Derivation!,
      });
      other.addOutput({
        address: await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer'),
        value: input.witnessUtxo!.value - 1_000n,
      });
      other.signAllInputsHD(hdSigner(seed));
      other.finalizeAllInputs();
      await node.rpc('sendrawtransaction', [other.extractTransaction().toHex()]);
      await node.mine(1);
      await waitFor(
        async () => {
          const { rows } = await db().query<{ status: string; failure_reason: string | null }>(
            'SELECT status, failure_reason FROM payouts WHERE id = $1',
            [payout!.id],
          );
          return rows[0]?.status === 'failed' && rows[0].failure_reason;
        },
        10_000,
        'the payout failed',
      );
      const b = (await (
        await fetch(`${server.url}/v1/balances`, { headers: { authorization: `Bearer ${secretKey}` } })
      ).json()) as { data: { asset: string; pending_payouts: string }[] };
      assert.equal(b.data.find((x) => x.asset === LTC)!.pending_payouts, '0');
      // The coin left the treasury without a payout: reconcile says so.
      const report = await reconcileNow();
      assert.equal(report.code, 1);
      assert.deepEqual(
        report.differences.map((d) => [d.address, d.chain_atomic]),
        [['treasury (m/…/1/*, 3 addresses)', '0']],
      );
    });

    test('deposit coins spent outside the treasury wait for review and are never booked', async () => {
      const paid = await payOne('3.00');
      await node.mine(2);
      await waitFor(async () => (await sessionsPaid()) === 4, 20_000, 'the fourth session paid');
      const { rows } = await db().query<{ log_index: number; derivation_index: string | number }>(
        `SELECT t.log_index, d.derivation_index FROM transfers t JOIN deposits d ON d.session_id = t.session_id
       WHERE t.tx_hash = $1 AND t.address = $2`,
        [paid.txid, paid.address],
      );
      const key = account.derive(`m/0/${Number(rows[0]!.derivation_index)}`);
      const elsewhere = await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer');
      const psbt = new bitcoinjs.Psbt({ network: LTC_REGTEST });
      psbt.addInput({
        hash: paid.txid,
        index: rows[0]!.log_index,
        witnessUtxo: {
          script: bitcoinjs.address.toOutputScript(paid.address, LTC_REGTEST),
          value: paid.atomic,
        },
      });
      psbt.addOutput({ address: elsewhere, value: paid.atomic - 1_000n });
      psbt.signInput(0, { publicKey: key.publicKey!, sign: (hash) => key.sign(hash) });
      psbt.finalizeAllInputs();
      const txid = await node.rpc<string>('sendrawtransaction', [psbt.extractTransaction().toHex()]);
      await node.mine(2);
      await waitFor(async () => (await sweepRows(txid))[0]?.status === 'needs_review', 10_000, 'flagged');
      const [row] = await sweepRows(txid);
      assert.match(
        row!.review_reason!,
        new RegExp(`outside the treasury: ${paid.atomic - 1_000n} to ${elsewhere}`),
      );

      const { rows: flagged } = await db().query<{ body: string }>(
        `SELECT body FROM webhook_events WHERE type = 'sweep.needs_review'`,
      );
      assert.equal(flagged.length, 1);
      const review = (
        JSON.parse(flagged[0]!.body) as { data: { review_reason: string; deposits: unknown[] } }
      ).data;
      assert.equal(review.review_reason, row!.review_reason);
      assert.deepEqual(review.deposits, [
        { address: paid.address, session_id: paid.session, asset: LTC, amount: formatAtomic(paid.atomic, 8) },
      ]);
      // Nothing booked: the money still counts as in its deposit address, and reconcile shows where it went.
      assert.equal((await balances()).in_deposit_addresses, formatAtomic(paid.atomic, 8));
      const { rows: booked } = await db().query('SELECT 1 FROM ledger_entries WHERE tx_hash = $1', [txid]);
      assert.equal(booked.length, 0);
      const report = await reconcileNow();
      assert.equal(report.code, 1);
      assert.deepEqual(
        report.differences.map((d) => [d.address, d.chain_atomic]),
        [
          [paid.address, '0'],
          ['treasury (m/…/1/*, 3 addresses)', '0'],
        ],
      );
      // The text report says why: the spend waiting for review.
      const lines: string[] = [];
      await runReconcile({ config, db: db(), secrets: testSecretBox, print: (l) => lines.push(l) }, {});
      assert.ok(
        lines.some((l) => l.startsWith(`REVIEW sweep ${txid} from ${paid.address}`) && l.includes(elsewhere)),
        lines.join('\n'),
      );
    });

    test('a fresh sweep watch, as after a restart, reads the whole history again and books nothing twice', async () => {
      const snapshot = async () => ({
        entries: (await db().query<{ n: string }>('SELECT count(*)::text AS n FROM ledger_entries')).rows[0]!
          .n,
        sweeps: (await db().query('SELECT tx_hash, address, status FROM sweeps ORDER BY tx_hash, address'))
          .rows,
        payouts: (await db().query('SELECT id, status FROM payouts ORDER BY id')).rows,
      });
      const before = await snapshot();
      const watch = createUtxoSweepWatch({
        chain: config.chains[0]!,
        db: db(),
        ledger: server.app.treasury.ledger,
        payouts: server.app.treasury.payouts,
        rpc: nodeRpc(node.rpcUrl),
        logger: { info: () => {}, warn: () => {} },
      });
      const first = await watch.syncOnce();
      // The sweep (confirmed) and the spend elsewhere (needs_review) are read again from the wallet.
      assert.equal(first.transactions.get(sweepTxid), 'confirmed');
      assert.ok([...first.transactions.values()].includes('needs_review'));
      await watch.syncOnce();
      assert.deepEqual(await snapshot(), before);
    });

    test('a confirmed payout reorganised away and then double-spent fails, its settlement and reservation released', async () => {
      // A treasury coin to pay from (the earlier tests spent the treasury's last one elsewhere).
      const { rows: handed } = await db().query<{ address: string }>(
        'SELECT address FROM utxo_treasury_addresses ORDER BY derivation_index LIMIT 1',
      );
      await node.pay(handed[0]!.address, '0.01');
      await node.mine(2);
      const payee = await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer');
      const asked = await fetch(`${server.url}/v1/payouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ payouts: [{ destination: payee, asset: LTC, amount: '0.004' }] }),
      });
      assert.equal(asked.status, 201);
      const [payout] = ((await asked.json()) as { data: { id: string }[] }).data;
      const exportPsbt = treasuryCommands.find((c) => c.group === 'payouts' && c.name === 'export-psbt')!;
      const file = join(dataDir, 'double-spent.psbt');
      await exportPsbt.run(
        { config, db: db(), secrets: testSecretBox, print: () => {} },
        { chain: 'litecoin-regtest', mode: 'test', export: file, 'fee-rate': '2', 'key-origin': origin },
        [],
      );
      const psbt = bitcoinjs.Psbt.fromBase64((await readFile(file, 'utf8')).trim(), { network: LTC_REGTEST });
      assert.equal(psbt.inputCount, 1);
      // Copied: finalizing clears the input's derivations.
      const input = { ...psbt.data.inputs[0]! };
      const coin = psbt.txInputs[0]!;
      psbt.signAllInputsHD(hdSigner(seed));
      psbt.finalizeAllInputs();
      const txid = await node.rpc<string>('sendrawtransaction', [psbt.extractTransaction().toHex()]);
      await node.mine(2);
      const statusOf = async () =>
        (
          await db().query<{ status: string; failure_reason: string | null }>(
            'SELECT status, failure_reason FROM payouts WHERE id = $1',
            [payout!.id],
          )
        ).rows[0]!;
      await waitFor(async () => (await statusOf()).status === 'confirmed', 10_000, 'the payout confirmed');

      // The block goes; in the chain that replaces it, the same coin pays someone else.
      const { blockheight } = await node.rpc<{ blockheight: number }>(
        'gettransaction',
        [txid, true],
        treasuryWalletNameOf(config.chains[0]!),
      );
      await node.invalidate(blockheight);
      await waitFor(
        async () => (await statusOf()).status === 'submitted',
        10_000,
        'the payout submitted again',
      );
      const other = new bitcoinjs.Psbt({ network: LTC_REGTEST });
      other.addInput({
        hash: coin.hash,
        index: coin.index,
        witnessUtxo: input.witnessUtxo!,
        bip32Derivation: input.bip32Derivation!,
      });
      other.addOutput({
        address: await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer'),
        value: input.witnessUtxo!.value - 2_000n,
      });
      other.signAllInputsHD(hdSigner(seed));
      other.finalizeAllInputs();
      await node.rpc('generateblock', [
        await node.rpc<string>('getnewaddress', ['', 'bech32'], 'buyer'),
        [other.extractTransaction().toHex()],
      ]);
      await node.mine(1);
      await waitFor(async () => (await statusOf()).status === 'failed', 10_000, 'the payout failed');
      assert.match((await statusOf()).failure_reason!, new RegExp(`${txid}`));

      // Reserved, settled, settled back, released: nothing pending, no fee, and the webhooks say so.
      const { rows } = await db().query<{ kind: string; net: string; n: string }>(
        `SELECT kind, sum(amount_atomic)::text AS net, count(*)::text AS n FROM ledger_entries
          WHERE payout_id = $1 OR (tx_hash = $2 AND kind = 'fee') GROUP BY kind ORDER BY kind`,
        [payout!.id, txid],
      );
      assert.deepEqual(
        rows.map((r) => [r.kind, r.net, r.n]),
        [
          ['fee', '0', '2'],
          ['payout_release', '-400000', '1'],
          ['payout_reserve', '400000', '1'],
          ['payout_settle', '0', '2'],
        ],
      );
      const { rows: events } = await db().query<{ type: string }>(
        `SELECT type FROM webhook_events WHERE type LIKE 'payout.%' AND body LIKE $1 ORDER BY seq`,
        [`%${payout!.id}%`],
      );
      assert.deepEqual(
        events.map((e) => e.type),
        [
          'payout.requested',
          'payout.approved',
          'payout.submitted',
          'payout.confirmed',
          'payout.submitted',
          'payout.failed',
        ],
      );
    });
  },
);
