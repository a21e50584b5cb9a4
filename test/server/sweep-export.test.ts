import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  encodeFunctionData,
  erc20Abi,
  parseEther,
  parseTransaction,
  parseUnits,
  type Address,
  type Hex,
} from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { sweepWebhookPayloadSchema, type BuyerSession, type LedgerEntry } from '@crypto-checkout/protocol';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import type { SweepExport } from '../../packages/server/src/treasury/xpub-sweep-export.js';
import { devClients } from '../support/chain.js';
import { mintTo, sendCoinTo, tokenBalance } from '../support/forwarders.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { testSecretBox } from '../support/app.js';
import { callApi, waitFor, waitForPaid } from '../support/wait.js';
import { startEndpoint } from '../support/webhook-receiver.js';
import { merchantPageHtml, pageSection } from '../support/merchant-page.js';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';

describe('sweep --export in xpub mode: unsigned transactions the merchant signs in their own wallet', () => {
  const wallet = testMerchantWallet();
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  let stack: Stack;
  let dir: string;
  let hook: Awaited<ReturnType<typeof startEndpoint>>;
  const chosen: BuyerSession[] = [];
  /** The signed transactions sent, by the export's transaction they came from. */
  const sent: { hash: Hex; exported: SweepExport['transactions'][number] }[] = [];

  /** The merchant page's HTML, signed in with the stack's secret key. */
  const merchantPage = () => merchantPageHtml(stack.apiUrl, stack.secretKey);
  const section = pageSection;

  before(async () => {
    stack = await startStack({
      config: { xpub: wallet.xpub, webhooks: { poll_interval_ms: 50 } } as never,
    });
    hook = await startEndpoint(stack, ['*']);
    dir = await mkdtemp(join(tmpdir(), 'cc-sweep-export-'));
    for (const method of ['usdc@anvil', 'usdc@anvil', 'eth@anvil']) {
      const session = await stack.createSession();
      chosen.push(await stack.server.app.sessions.choosePayment(session.id, method));
    }
    const [withGas, withoutGas, coin] = chosen.map((c) => c.payment!.address as Address) as [
      Address,
      Address,
      Address,
    ];
    await mintTo(
      stack.rpcUrl,
      stack.usdc,
      [withGas, withoutGas],
      chosen.slice(0, 2).map((c) => BigInt(c.payment!.amount_due_atomic)),
    );
    await sendCoinTo(
      stack.rpcUrl,
      [coin, withGas],
      [BigInt(chosen[2]!.payment!.amount_due_atomic), parseEther('0.01')],
    );
    await stack.mine(2);
    await waitForPaid(stack.server.app.store.db, 3, 20_000);
  });
  after(async () => {
    await stack?.stop();
    await hook?.receiver.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('an independent parser reads the file, the test key signs it, and the treasury gets the exact amounts', async () => {
    const file = join(dir, 'sweep.json');
    const lines: string[] = [];
    await sweepCommand.run(
      {
        config: stack.config,
        db: stack.server.app.store.db,
        secrets: testSecretBox,
        print: (l) => lines.push(l),
      },
      { export: file, to: treasury },
      [],
    );
    assert.match(lines.join('\n'), /wrote 3 unsigned transaction/);
    const exported = JSON.parse(await readFile(file, 'utf8')) as SweepExport;
    assert.equal(exported.format, 'crypto-checkout.sweep-export');
    assert.equal(exported.to, treasury);
    // The address holding USDC without coin for gas is listed, not given a transaction that cannot be mined.
    assert.deepEqual(
      exported.needs_gas.map((n) => n.address),
      [chosen[1]!.payment!.address],
    );
    // Recorded as exported, awaiting the merchant's signature: on the merchant page with each nonce.
    const rows = await new SweepStore(stack.server.app.store.db).exported(31337);
    const byKey = (list: unknown[][]) => list.map((l) => JSON.stringify(l)).sort();
    assert.deepEqual(
      byKey(
        rows.map((r) => [
          r.address,
          r.token_symbol,
          r.nonce,
          r.planned_atomic.toString(),
          r.treasury_address,
        ]),
      ),
      byKey(
        exported.transactions.map((t) => [
          t.from.toLowerCase(),
          t.asset,
          t.tx.nonce,
          t.amount_atomic,
          treasury.toLowerCase(),
        ]),
      ),
    );
    assert.ok(rows.every((r) => r.export_block === exported.block_number));
    const waitingRows = section(await merchantPage(), 'Sweeps exported, awaiting signature (3)');
    assert.equal(waitingRows.length, 3);
    for (const t of exported.transactions)
      assert.ok(
        waitingRows.some(
          (row) => row.includes(t.from.toLowerCase()) && row.includes(`<td>${t.tx.nonce}</td>`),
        ),
        `${t.from} nonce ${t.tx.nonce} awaiting signature`,
      );
    const pub = devClients(stack.rpcUrl).public;
    const coinBefore = await pub.getBalance({ address: treasury });
    for (const t of exported.transactions) {
      const parsed = parseTransaction(t.unsigned_tx);
      assert.equal(parsed.type, 'eip1559');
      assert.equal(parsed.chainId, 31337);
      assert.equal(parsed.to?.toLowerCase(), t.tx.to.toLowerCase());
      assert.equal(parsed.nonce, t.tx.nonce);
      assert.equal((parsed.value ?? 0n).toString(), t.tx.value);
      assert.equal(parsed.gas?.toString(), t.tx.gas);
      // The merchant's wallet: the key of child `derivation_index` of the xpub's account.
      const account = mnemonicToAccount(wallet.mnemonic, { addressIndex: t.derivation_index });
      assert.equal(account.address, t.from);
      const signed = await account.signTransaction(parsed);
      const hash = await pub.sendRawTransaction({ serializedTransaction: signed as Hex });
      assert.equal((await pub.waitForTransactionReceipt({ hash })).status, 'success');
      sent.push({ hash, exported: t });
    }
    assert.deepEqual(
      exported.transactions.map((t) => [t.from, t.asset]),
      [
        [chosen[0]!.payment!.address, 'USDC'],
        [chosen[0]!.payment!.address, 'ETH'],
        [chosen[2]!.payment!.address, 'ETH'],
      ],
    );
    assert.equal(
      await tokenBalance(stack.rpcUrl, stack.usdc, treasury),
      BigInt(chosen[0]!.payment!.amount_due_atomic),
    );
    const coinSent = exported.transactions
      .filter((t) => t.asset === 'ETH')
      .reduce((a, t) => a + BigInt(t.amount_atomic), 0n);
    assert.equal((await pub.getBalance({ address: treasury })) - coinBefore, coinSent);
    assert.ok(coinSent > 0n);
  });

  test('the signed transactions found on chain are booked once: sweeps, ledger, webhooks and the merchant page', async () => {
    assert.equal(sent.length, 3, 'the previous test sent the signed export');
    const db = stack.server.app.store.db;
    const pub = devClients(stack.rpcUrl).public;
    await stack.mine(stack.config.chains[0]!.confirmations);
    // The server's xpub sweep watch finds what used each exported nonce.
    const store = new SweepStore(db);
    const rows = await waitFor(
      async () => {
        const all = (await store.list(31337)).filter((r) => r.relayer_address === r.address);
        return all.length === 3 && all.every((r) => r.status === 'confirmed') ? all : null;
      },
      20_000,
      'the exported sweeps confirmed',
    );
    for (const { hash, exported: t } of sent) {
      const row = rows.find((r) => r.tx_hash === hash.toLowerCase())!;
      assert.ok(row, `a row of ${hash}`);
      const receipt = await pub.getTransactionReceipt({ hash });
      assert.deepEqual(
        [row.address, row.token_symbol, row.amount_atomic, row.tx_gas_used, row.block_number],
        [
          t.from.toLowerCase(),
          t.asset,
          BigInt(t.amount_atomic),
          receipt.gasUsed,
          Number(receipt.blockNumber),
        ],
      );
    }

    // The ledger: one sweep entry per transaction, its exact amount, and the gas the deposit address paid.
    const { data: entries } = await callApi<{ data: LedgerEntry[] }>(
      stack.apiUrl,
      stack.secretKey,
      'GET',
      '/v1/ledger?limit=100',
    );
    for (const { hash, exported: t } of sent) {
      const of = entries.filter((e) => e.tx_hash === hash.toLowerCase());
      const receipt = await pub.getTransactionReceipt({ hash });
      const sweep = of.filter((e) => e.kind === 'sweep');
      const fee = of.filter((e) => e.kind === 'fee');
      assert.equal(sweep.length, 1, `one sweep entry of ${hash}`);
      assert.equal(sweep[0]!.asset, t.asset === 'USDC' ? 'usdc@anvil' : 'eth@anvil');
      assert.equal(parseUnits(sweep[0]!.amount, t.asset === 'USDC' ? 6 : 18), BigInt(t.amount_atomic));
      assert.equal(fee.length, 1, `one fee entry of ${hash}`);
      assert.equal(parseUnits(fee[0]!.amount, 18), receipt.gasUsed * receipt.effectiveGasPrice);
    }

    // The same sweep webhooks as the other rails: one sweep.confirmed per transaction, rail xpub, signed.
    const sweepEvents = () =>
      hook
        .verified()
        .filter((p) => p.type.startsWith('sweep.'))
        .map((p) => sweepWebhookPayloadSchema.parse(p));
    await waitFor(() => sweepEvents().length >= 3, 15_000, 'the sweep webhooks');
    const events = sweepEvents();
    assert.deepEqual(
      events.map((e) => [e.type, e.data.rail, e.data.status, e.data.tx_hash]).sort(),
      sent.map(({ hash }) => ['sweep.confirmed', 'xpub', 'confirmed', hash.toLowerCase()]).sort(),
    );

    // The merchant page: nothing awaits signature any more; each transaction is a confirmed xpub sweep.
    const html = await merchantPage();
    assert.equal(section(html, 'Sweeps exported, awaiting signature (0)').length, 0);
    const recent = section(html, 'Recent sweeps');
    for (const { hash } of sent) {
      const row = recent.find((r) => r.includes(hash.toLowerCase()));
      assert.ok(row, `${hash} among the recent sweeps`);
      assert.match(row, /<td>xpub<\/td><td>confirmed<\/td>/);
    }

    // The ledger and the chain agree to the unit: deposit addresses (what the gas left behind) and treasury.
    const report = await reconcile({ ledger: stack.server.app.treasury.ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, []);
    // USDC and ETH of the first address, USDC of the second, ETH of the third, USDC and ETH of the treasury.
    assert.equal(report.checked, 6);

    // Another pass finds nothing more to book.
    const { createXpubSweepWatch } = await import('../../packages/server/src/treasury/xpub-sweep-watch.js');
    const again = await createXpubSweepWatch({
      chain: stack.config.chains[0]!,
      store,
      ledger: stack.server.app.treasury.ledger,
      client: pub,
    }).syncOnce();
    assert.deepEqual(again, { confirmed: 0, failed: 0, reviews: 0, dropped: 0, waiting: 0 });
  });

  test('a reverted export fails, a nonce used to send elsewhere waits for review, a cancelled one is dropped; a new export replaces what was never signed', async () => {
    const db = stack.server.app.store.db;
    const pub = devClients(stack.rpcUrl).public;
    const store = new SweepStore(db);
    // The address that held USDC without gas gets gas, then is exported: its USDC (nonce 0) and coin (nonce 1).
    const holder = chosen[1]!.payment!.address as Address;
    await sendCoinTo(stack.rpcUrl, [holder], [parseEther('0.01')]);
    await stack.mine(stack.config.chains[0]!.confirmations);
    const context = { config: stack.config, db, secrets: testSecretBox, print: () => {} };
    const file = join(dir, 'sweep-2.json');
    /** Runs `sweep --export` and reads the file: [asset, nonce] of each transaction, and the file. */
    const exportNow = async () => {
      await sweepCommand.run(context, { export: file, to: treasury }, []);
      const read = JSON.parse(await readFile(file, 'utf8')) as SweepExport;
      assert.ok(read.transactions.every((t) => t.from === holder));
      return { file: read, plan: read.transactions.map((t) => [t.asset, t.tx.nonce]) };
    };
    /**
     * Signs an exported transaction as the wallet would, changed by `changes`, sends it, mines past
     * the confirmations and waits until the watch gives its row `status`.
     */
    const signAndBook = async (
      t: SweepExport['transactions'][number],
      changes: Record<string, unknown>,
      status: string,
    ) => {
      // The merchant's wallet: the key of child `derivation_index` of the xpub's account.
      const account = mnemonicToAccount(wallet.mnemonic, { addressIndex: t.derivation_index });
      assert.equal(account.address, t.from);
      const hash = await pub.sendRawTransaction({
        serializedTransaction: (await account.signTransaction({
          ...parseTransaction(t.unsigned_tx),
          ...changes,
        })) as Hex,
      });
      await pub.waitForTransactionReceipt({ hash });
      await stack.mine(stack.config.chains[0]!.confirmations);
      const row = await waitFor(
        async () => (await store.list(31337, hash.toLowerCase())).find((r) => r.status === status) ?? null,
        20_000,
        `the export ${status}`,
      );
      const { rows } = await db.query<{ kind: string }>(
        'SELECT kind FROM ledger_entries WHERE tx_hash = $1',
        [hash.toLowerCase()],
      );
      return { hash: hash.toLowerCase(), row, kinds: rows.map((r) => r.kind) };
    };
    const sweepEventTypes = () => hook.verified().filter((p) => p.type.startsWith('sweep.'));

    const reverted = await exportNow();
    assert.deepEqual(reverted.plan, [
      ['USDC', 0],
      ['ETH', 1],
    ]);
    // Signed with too little gas, the USDC transaction reverts: failed, nothing moved, its gas a fee.
    const failed = await signAndBook(reverted.file.transactions[0]!, { gas: 25_000n }, 'failed');
    assert.deepEqual(
      [failed.row.token_symbol, failed.row.amount_atomic, failed.kinds],
      ['USDC', 0n, ['fee']],
    );
    await waitFor(
      () => sweepEventTypes().some((p) => p.type === 'sweep.failed'),
      15_000,
      'the sweep.failed webhook',
    );

    // Exported again: the USDC is still there, now at nonce 1 (the coin at 2 replaces the unsigned nonce 1).
    const first = await exportNow();
    assert.deepEqual(first.plan, [
      ['USDC', 1],
      ['ETH', 2],
    ]);
    // The wallet signs something else with nonce 1: the USDC goes to another address.
    const elsewhere = privateKeyToAccount(generatePrivateKey()).address;
    const diverted = await signAndBook(
      first.file.transactions[0]!,
      {
        // A first transfer to an address holding none costs more gas than the export's estimate.
        gas: 100_000n,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: 'transfer',
          args: [elsewhere, BigInt(first.file.transactions[0]!.amount_atomic)],
        }),
      },
      'needs_review',
    );
    assert.equal(diverted.row.address, holder.toLowerCase());
    assert.equal(diverted.row.treasury_address, elsewhere.toLowerCase(), 'where the money went instead');
    // Not a sweep in the ledger; its gas, paid by the deposit address, is a fee.
    assert.deepEqual(diverted.kinds, ['fee']);
    const review = (await store.listForMode(false, { status: 'needs_review', limit: 10 })).find(
      (r) => r.tx_hash === diverted.hash,
    );
    assert.match(review?.review_reason ?? '', new RegExp(elsewhere.toLowerCase()));
    const html = await merchantPage();
    const spends = section(html, 'Deposit spends for review');
    assert.ok(spends.some((r) => r.includes(diverted.hash) && r.includes(elsewhere.toLowerCase())));
    // Nonce 2 (the coin) was never signed: still awaiting, until a new export replaces it.
    assert.equal(section(html, 'Sweeps exported, awaiting signature (1)').length, 1);
    await waitFor(
      () => sweepEventTypes().some((p) => p.type === 'sweep.needs_review'),
      15_000,
      'the sweep.needs_review webhook',
    );

    const second = await exportNow();
    assert.deepEqual(second.plan, [['ETH', 2]]);
    assert.deepEqual(
      (await store.exported(31337)).map((r) => [
        r.address,
        r.token_symbol,
        r.nonce,
        r.planned_atomic.toString(),
      ]),
      second.file.transactions.map((t) => [t.from.toLowerCase(), t.asset, t.tx.nonce, t.amount_atomic]),
      'only the newest export awaits signature',
    );

    // The wallet cancels it: a zero-value transaction to itself takes nonce 2. Nothing moved: dropped,
    // no webhook (the export never reached the chain), the gas a fee; the coin is exported again later.
    const sweepHooksBefore = sweepEventTypes().length;
    const cancel = await signAndBook(second.file.transactions[0]!, { to: holder, value: 0n }, 'dropped');
    assert.deepEqual([cancel.row.amount_atomic, cancel.kinds], [0n, ['fee']]);
    assert.equal(section(await merchantPage(), 'Sweeps exported, awaiting signature (0)').length, 0);
    // No event was stored for it (the outbox, not only what has been delivered so far).
    const { rows: events } = await db.query('SELECT 1 FROM webhook_events WHERE body LIKE $1', [
      `%${cancel.hash}%`,
    ]);
    assert.equal(events.length, 0);
    assert.equal(sweepEventTypes().length, sweepHooksBefore);
  });
});
