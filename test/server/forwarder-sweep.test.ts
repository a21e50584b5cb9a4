import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createWalletClient,
  decodeFunctionData,
  erc20Abi,
  http,
  getContractAddress,
  parseEther,
  type Address,
  type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { BuyerSession, Payout } from '@crypto-checkout/protocol';
import { formatAtomic } from '../../packages/server/src/money.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';
import { forwarderFactoryAbi } from '../../packages/server/src/treasury/forwarder-contracts.js';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import {
  DEFAULT_FORWARDER_FACTORY,
  forwarderAddress,
} from '../../packages/server/src/treasury/forwarder-address.js';
import type { ForwarderSweeper } from '../../packages/server/src/treasury/forwarder-sweeper.js';
import { HotPayoutSender } from '../../packages/server/src/treasury/hot-payouts.js';
import { createForwarderSweeper } from '../../packages/server/src/treasury/sweeper-clients.js';
import { devClients } from '../support/chain.js';
import { deployNoReturnToken, mintTo, sendCoinTo, tokenBalance } from '../support/forwarders.js';
import { recordSecrets } from '../support/logs.js';
import { exportSweepFile, txBuilderChecksum } from '../support/safe.js';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, waitFor, waitForPaid } from '../support/wait.js';

const PAYER = privateKeyToAccount(
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
).address;
// The stack deploys USDC from the development payer at nonce 0 and mints at nonce 1; USDT comes next.
const USDC = getContractAddress({ from: PAYER, nonce: 0n });
const USDT = getContractAddress({ from: PAYER, nonce: 2n });
// 50 sessions in `npm test`; `CC_SWEEP_SESSIONS=200` runs the 200 (same proportions).
const SCALE = Number(process.env.CC_SWEEP_SESSIONS ?? 50) / 50;
const SESSIONS = { usdc: Math.round(20 * SCALE), usdt: Math.round(15 * SCALE), eth: Math.round(15 * SCALE) };

describe('forwarder deposit mode: sessions paid into CREATE2 addresses, swept by a relayer', () => {
  let stack: Stack;
  // The treasury's key is also the payout key of the last tests (what a merchant would do with a float).
  const treasuryKey = generatePrivateKey();
  recordSecrets(treasuryKey);
  const treasury = privateKeyToAccount(treasuryKey).address;
  const relayerKey = generatePrivateKey();
  recordSecrets(relayerKey);
  const paid: { session: BuyerSession; method: string; atomic: bigint }[] = [];
  let miner: NodeJS.Timeout | undefined;

  before(async () => {
    stack = await startStack({
      chain: {
        deposit_mode: 'forwarder',
        treasury_address: treasury,
        sweep_batch_size: 20,
        tokens: [
          { symbol: 'USDC', address: USDC, decimals: 6, peg: 'USD' },
          { symbol: 'USDT', address: USDT, decimals: 6, peg: 'USD' },
        ],
      },
    });
    assert.equal((await deployNoReturnToken(stack.rpcUrl)).toLowerCase(), USDT.toLowerCase());
    await sendCoinTo(stack.rpcUrl, [privateKeyToAccount(relayerKey).address], [parseEther('5')]);
  });
  after(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  const sweeper = () =>
    createForwarderSweeper({
      chain: stack.config.chains[0]!,
      db: stack.server.app.store.db,
      ledger: stack.server.app.treasury.ledger,
      relayerKey,
    });
  const batchCount = () => Object.values(SESSIONS).reduce((n, count) => n + Math.ceil(count / 20), 0);
  /** Mines a block every 100 ms while a sweep waits for its confirmations (anvil mines only on demand). */
  const keepMining = () => (miner ??= setInterval(() => void stack.mine(1).catch(() => undefined), 100));

  test('deposit addresses are the forwarder addresses of the treasury, and payments into them are detected', async () => {
    for (const [method, count] of Object.entries(SESSIONS)) {
      for (let k = 0; k < count; k++) {
        const session = await stack.createSession({ amount: `${10 + k}.${String(k).padStart(2, '0')}` });
        const chosen = await stack.server.app.sessions.choosePayment(session.id, `${method}@anvil`);
        paid.push({ session: chosen, method, atomic: BigInt(chosen.payment!.amount_due_atomic) });
      }
    }
    const indexes = await stack.server.app.store.db.query<{ address: string; derivation_index: string }>(
      'SELECT address, derivation_index FROM deposits',
    );
    for (const row of indexes.rows) {
      assert.equal(
        row.address.toLowerCase(),
        forwarderAddress(DEFAULT_FORWARDER_FACTORY, treasury, Number(row.derivation_index)).toLowerCase(),
      );
    }
    const of = (method: string) => paid.filter((p) => p.method === method);
    await mintTo(
      stack.rpcUrl,
      USDC,
      of('usdc').map((p) => p.session.payment!.address as Address),
      of('usdc').map((p) => p.atomic),
    );
    await mintTo(
      stack.rpcUrl,
      USDT,
      of('usdt').map((p) => p.session.payment!.address as Address),
      of('usdt').map((p) => p.atomic),
    );
    await sendCoinTo(
      stack.rpcUrl,
      of('eth').map((p) => p.session.payment!.address as Address),
      of('eth').map((p) => p.atomic),
    );
    await stack.mine(2);
    await waitForPaid(stack.server.app.store.db, paid.length, 30_000 * SCALE);
  });

  test('a dry run lists every paid address in batches with a gas estimate, before the factory exists', async () => {
    const plan = await sweeper().plan();
    assert.equal(plan.factoryDeployed, false);
    const perAsset = (symbol: string) =>
      plan.batches.filter((b) => b.token_symbol === symbol).reduce((n, b) => n + b.deposits.length, 0);
    assert.deepEqual(
      [perAsset('USDC'), perAsset('USDT'), perAsset('ETH')],
      [SESSIONS.usdc, SESSIONS.usdt, SESSIONS.eth],
    );
    assert.ok(plan.batches.every((b) => b.deposits.length <= 20));
    for (const batch of plan.batches)
      assert.ok(batch.gas && batch.gas > 30_000n * BigInt(batch.deposits.length));
    const usdcBatches = plan.batches.filter((b) => b.token_symbol === 'USDC');
    assert.equal(
      usdcBatches.reduce((a, b) => a + b.deposits.reduce((c, d) => c + d.balance, 0n), 0n),
      paid.filter((p) => p.method === 'usdc').reduce((a, p) => a + p.atomic, 0n),
    );
  });

  test('sweep --export writes a Safe Transaction Builder batch the treasury Safe can execute', async () => {
    const pub = devClients(stack.rpcUrl).public;
    const batch = await exportSweepFile(stack);
    assert.equal(batch.version, '1.0');
    assert.equal(batch.chainId, '31337');
    assert.equal(batch.meta.createdFromSafeAddress.toLowerCase(), treasury.toLowerCase());
    // The checksum as the Transaction Builder recomputes it on import (sorted keys, meta.name null).
    assert.equal(batch.meta.checksum, txBuilderChecksum(batch));
    assert.equal(batch.transactions.length, batchCount());
    let deposits = 0;
    for (const t of batch.transactions) {
      const call = decodeFunctionData({ abi: forwarderFactoryAbi, data: t.data! });
      assert.equal(call.functionName, 'sweep');
      assert.equal((call.args[0] as string).toLowerCase(), treasury.toLowerCase());
      deposits += (call.args[1] as readonly bigint[]).length;
      // As the Safe would send it: from the treasury, to the factory; it would succeed.
      await pub.call({ account: treasury, to: t.to, data: t.data!, value: BigInt(t.value) });
    }
    assert.equal(deposits, paid.length);
  });

  test('a sweep recorded but not broadcast when its instance died is broadcast by the next one, and counted once', async () => {
    keepMining();
    // The first instance records its first batch, then "dies" while broadcasting it.
    const dying = sweeper() as unknown as { client: PublicClient };
    const real = dying.client;
    dying.client = new Proxy(real, {
      get: (target, name, receiver) =>
        name === 'sendRawTransaction'
          ? () => new Promise(() => undefined)
          : Reflect.get(target, name, receiver),
    });
    void (dying as unknown as ForwarderSweeper).runOnce();
    const store = new SweepStore(stack.server.app.store.db);
    const pending = await waitFor(
      async () => {
        const rows = await store.pending(31337);
        return rows.length ? rows : null;
      },
      20_000,
      'a pending sweep',
    );
    assert.equal(
      await devClients(stack.rpcUrl)
        .public.getTransactionReceipt({ hash: pending[0]!.tx_hash })
        .catch(() => null),
      null,
    );

    // The next instance finds it in flight: it plans nothing new until that one is settled.
    const next = sweeper();
    await waitFor(
      async () => {
        await next.runOnce(new Set(['USDC', 'USDT', 'ETH']));
        return (await store.pending(31337)).length === 0;
      },
      30_000,
      'the pending sweep settled',
    );
    const afterRestart = await store.list(31337, pending[0]!.tx_hash);
    assert.ok(afterRestart.every((r) => r.status === 'confirmed'));
    // Then everything else, batch after batch.
    await next.runOnce(new Set(['USDC', 'USDT', 'ETH']));
    assert.equal((await store.pending(31337)).length, 0);
  });

  test('the treasury holds exactly what was paid, and every sweep row agrees with the chain to the unit', async () => {
    const store = new SweepStore(stack.server.app.store.db);
    const rows = (await store.list(31337)).filter((r) => r.status === 'confirmed' && r.amount_atomic! > 0n);
    const sumOf = (method: string) =>
      paid.filter((p) => p.method === method).reduce((a, p) => a + p.atomic, 0n);
    const sweptOf = (symbol: string) =>
      rows.filter((r) => r.token_symbol === symbol).reduce((a, r) => a + r.amount_atomic!, 0n);
    assert.equal(await tokenBalance(stack.rpcUrl, USDC, treasury), sumOf('usdc'));
    assert.equal(await tokenBalance(stack.rpcUrl, USDT, treasury), sumOf('usdt'));
    assert.equal(await devClients(stack.rpcUrl).public.getBalance({ address: treasury }), sumOf('eth'));
    assert.equal(sweptOf('USDC'), sumOf('usdc'));
    assert.equal(sweptOf('USDT'), sumOf('usdt'));
    assert.equal(sweptOf('ETH'), sumOf('eth'));
    // One row per paid address and asset: nothing counted twice.
    assert.equal(rows.length, paid.length);
    assert.equal(new Set(rows.map((r) => `${r.address}|${r.token_symbol}`)).size, paid.length);
    for (const p of paid)
      assert.equal(await tokenBalance(stack.rpcUrl, USDC, p.session.payment!.address as Address), 0n);
    // Gas: each transaction's gas is split over its rows without loss.
    for (const hash of new Set(rows.map((r) => r.tx_hash))) {
      const txRows = rows.filter((r) => r.tx_hash === hash);
      assert.equal(
        txRows.reduce((a, r) => a + r.gas_share!, 0n),
        txRows[0]!.tx_gas_used,
      );
    }
    // A new run finds nothing more to sweep.
    assert.deepEqual((await sweeper().plan()).batches, []);
  });

  test('confirmed sweeps are in the ledger once each: ledger, /v1/balances, reconcile and the chain agree to the unit', async () => {
    const { ledger } = stack.server.app.treasury;
    const db = stack.server.app.store.db;
    const store = new SweepStore(db);
    const rows = (await store.list(31337)).filter((r) => r.status === 'confirmed' && r.amount_atomic! > 0n);
    const { rows: entries } = await db.query<{
      kind: string;
      asset: string;
      amount: string;
      address: string;
      counterparty: string | null;
      tx_hash: string;
    }>(
      `SELECT kind, asset, amount_atomic::text AS amount, address, counterparty, tx_hash FROM ledger_entries
        WHERE kind IN ('sweep', 'fee') ORDER BY id`,
    );
    const sweeps = entries.filter((e) => e.kind === 'sweep');
    // One entry per transfer into the treasury, though one transaction was settled by a second instance.
    assert.equal(sweeps.length, paid.length);
    assert.ok(sweeps.every((e) => e.counterparty === treasury.toLowerCase()));
    for (const r of rows) {
      const entry = sweeps.find((e) => e.address === r.address && e.tx_hash === r.tx_hash)!;
      assert.equal(BigInt(entry.amount), r.amount_atomic);
    }
    // The relayer's gas: one fee per sweep transaction, what its receipt says it paid.
    const fees = entries.filter((e) => e.kind === 'fee');
    const hashes = new Set(rows.map((r) => r.tx_hash));
    assert.equal(fees.length, hashes.size);
    const pub = devClients(stack.rpcUrl).public;
    for (const fee of fees) {
      const receipt = await pub.getTransactionReceipt({ hash: fee.tx_hash as `0x${string}` });
      assert.equal(fee.address, privateKeyToAccount(relayerKey).address.toLowerCase());
      assert.equal(BigInt(fee.amount), receipt.gasUsed * receipt.effectiveGasPrice);
    }

    // Settling the same transactions again writes nothing more.
    for (const hash of hashes) {
      await store.confirm(
        31337,
        hash,
        { gasUsed: 1n, effectiveGasPrice: 1n, blockNumber: 1 },
        [],
        new Date(),
        () => Promise.reject(new Error('a confirmed sweep is not recorded again')),
      );
    }
    assert.equal(
      (await db.query(`SELECT 1 FROM ledger_entries WHERE kind IN ('sweep', 'fee')`)).rows.length,
      entries.length,
    );

    const { data } = await callApi<{ data: { asset: string; [k: string]: unknown }[] }>(
      stack.apiUrl,
      stack.secretKey,
      'GET',
      '/v1/balances',
    );
    const onChain = {
      usdc: await tokenBalance(stack.rpcUrl, USDC, treasury),
      usdt: await tokenBalance(stack.rpcUrl, USDT, treasury),
      eth: await pub.getBalance({ address: treasury }),
    };
    for (const [method, decimals] of [
      ['usdc', 6],
      ['usdt', 6],
      ['eth', 18],
    ] as const) {
      const balance = data.find((b) => b.asset === `${method}@anvil`)!;
      const inDeposits = (
        await Promise.all(
          paid
            .filter((p) => p.method === method)
            .map((p) =>
              method === 'eth'
                ? pub.getBalance({ address: p.session.payment!.address as Address })
                : tokenBalance(
                    stack.rpcUrl,
                    method === 'usdc' ? USDC : USDT,
                    p.session.payment!.address as Address,
                  ),
            ),
        )
      ).reduce((a, b) => a + b, 0n);
      assert.equal(balance.in_treasury, formatAtomic(onChain[method], decimals), `${method} in_treasury`);
      assert.equal(balance.in_deposit_addresses, formatAtomic(inDeposits, decimals), `${method} in deposits`);
      assert.equal(inDeposits, 0n);
      assert.equal(balance.received, formatAtomic(onChain[method], decimals), `${method} received`);
    }
    const report = await reconcile({ ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference');
    // Treasury and deposit addresses of every asset were checked (the relayer, fees only, is not followed).
    assert.equal(report.checked, paid.length + 3);
  });

  test('the payout key sends approved payouts within its daily limit, once each across a restart, and they confirm', async () => {
    const { payouts, executor, ledger } = stack.server.app.treasury;
    const pub = devClients(stack.rpcUrl).public;
    const sender = (options: { client?: PublicClient; clock?: () => Date } = {}) =>
      new HotPayoutSender({
        chain: stack.config.chains[0]!,
        payouts,
        executor,
        client: options.client ?? pub,
        wallet: createWalletClient({
          transport: http(stack.rpcUrl),
          account: privateKeyToAccount(treasuryKey),
        }),
        limits: new Map([['usdc@anvil', 25_000_000n]]),
        ...(options.clock ? { clock: options.clock } : {}),
      });
    const destinations = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()).address);
    const { data: created } = await callApi<{ data: Payout[] }>(
      stack.apiUrl,
      stack.secretKey,
      'POST',
      '/v1/payouts',
      {
        payouts: destinations.map((destination, i) => ({
          destination,
          asset: 'usdc@anvil',
          amount: '10',
          reference: `hot-${i}`,
        })),
      },
    );
    assert.deepEqual(
      created.map((p) => p.status),
      ['approved', 'approved', 'approved'],
    );
    const get = (id: string) => callApi<Payout>(stack.apiUrl, stack.secretKey, 'GET', `/v1/payouts/${id}`);

    // The first instance records two payouts (20 of the 25 USDC limit), then dies before broadcasting.
    const dying = sender({
      client: new Proxy(pub, {
        get: (target, name, receiver) =>
          name === 'sendRawTransaction'
            ? () => new Promise(() => undefined)
            : Reflect.get(target, name, receiver),
      }),
    });
    void dying.runOnce();
    const recorded = await waitFor(
      async () => {
        const list = await Promise.all(created.map((p) => get(p.id)));
        return list.filter((p) => p.status === 'submitted').length === 2 ? list : null;
      },
      20_000,
      'two payouts recorded',
    );
    // Payouts of one batch go in no particular order: two were sent, one waits.
    const [first, second] = recorded.filter((p) => p.status === 'submitted');
    const third = recorded.find((p) => p.status === 'approved');
    assert.match(third!.waiting_reason ?? '', /^daily limit: 20 of 25 sent in the last 24 h/);
    assert.equal(await pub.getTransaction({ hash: first!.tx_hash as `0x${string}` }).catch(() => null), null);

    // The next instance broadcasts the recorded transactions (the same bytes) and sends nothing new.
    const next = sender();
    await waitFor(
      async () => {
        await next.runOnce();
        const list = await Promise.all([first!, second!].map((p) => get(p.id)));
        return list.every((p) => p.status === 'confirmed');
      },
      30_000,
      'the two payouts confirmed',
    );
    for (const p of recorded)
      assert.equal(
        await tokenBalance(stack.rpcUrl, USDC, p.destination as Address),
        p.id === third!.id ? 0n : 10_000_000n,
      );
    assert.equal(
      await pub.getTransactionCount({ address: treasury }),
      2,
      'two transactions, nothing sent twice',
    );
    assert.equal((await get(third!.id)).status, 'approved', 'over the limit: it waits');

    // A day later the limit has room again: the third is sent.
    const later = sender({ clock: () => new Date(Date.now() + 25 * 3_600_000) });
    await waitFor(
      async () => {
        await later.runOnce();
        return (await get(third!.id)).status === 'confirmed';
      },
      30_000,
      'the third payout confirmed',
    );
    assert.equal((await get(third!.id)).waiting_reason, null);
    assert.equal(await tokenBalance(stack.rpcUrl, USDC, third!.destination as Address), 10_000_000n);
    const logs = await pub.getContractEvents({
      address: USDC,
      abi: erc20Abi,
      eventName: 'Transfer',
      args: { from: treasury },
      fromBlock: 0n,
    });
    assert.equal(logs.length, 3, 'one transfer per payout');
    assert.deepEqual(
      logs.map((l) => l.args.value),
      [10_000_000n, 10_000_000n, 10_000_000n],
    );
    // The ledger settled them with the treasury's gas, and still agrees with the chain.
    const report = await reconcile({ ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference');
  });
});
