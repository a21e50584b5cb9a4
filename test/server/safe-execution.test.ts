/**
 * The Safe Transaction Builder files the server writes (`sweep --export` in forwarder mode, and
 * `POST /v1/payouts/export` with `format: safe`) executed by a real Safe on anvil — Safe 1.5.0 from
 * its published build artifacts, owned 1-of-1 by a test key — the way the Transaction Builder runs an
 * imported batch (MultiSendCallOnly, signed over the hash the Safe computes). The files are read
 * here with this test's own parsing (test/support/safe.ts), apart from the server's code; then the
 * ledger, `reconcile` and the chain must agree. Both kinds of payout entry are executed: ERC-20
 * `transfer`s, and coin payouts through NativePayouts with the value on the entry (paid from the ETH
 * the Safe swept in).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { BuyerSession, Payout } from '@crypto-checkout/protocol';
import { formatAtomic } from '../../packages/server/src/money.js';
import {
  NATIVE_PAYOUTS_ADDRESS,
  nativePayoutsDeployment,
} from '../../packages/server/src/treasury/native-payouts.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';
import { createForwarderSweeper } from '../../packages/server/src/treasury/sweeper-clients.js';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import { devClients } from '../support/chain.js';
import { mintTo, sendCoinTo, tokenBalance } from '../support/forwarders.js';
import {
  encodeBuilderMethod,
  exportSweepFile,
  testSafe,
  txBuilderChecksum,
  type SafeCall,
} from '../support/safe.js';
import { startStack, type Stack } from '../support/stack.js';
import { callApi, waitFor, waitForPaid } from '../support/wait.js';

/** A Transaction Builder file as the app reads it: either raw `data` or a method and its inputs. */
interface BuilderFile {
  version: string;
  chainId: string;
  meta: Record<string, unknown> & { checksum: string; createdFromSafeAddress: string };
  transactions: {
    to: Address;
    value: string;
    data: Hex | null;
    contractMethod: { name: string; inputs: { name: string; type: string }[] } | null;
    contractInputsValues: Record<string, string> | null;
  }[];
}

/** The calls of a file, as the Transaction Builder encodes them. */
function callsOf(file: BuilderFile): SafeCall[] {
  return file.transactions.map((t) => ({
    to: t.to,
    value: BigInt(t.value),
    data:
      t.data ??
      (t.contractMethod && t.contractInputsValues
        ? encodeBuilderMethod(t.contractMethod, t.contractInputsValues)
        : '0x'),
  }));
}

describe('Safe Transaction Builder exports, executed by a real Safe on anvil', () => {
  const safe = testSafe();
  let stack: Stack;
  const paid: { session: BuyerSession; method: string; atomic: bigint }[] = [];
  let miner: NodeJS.Timeout | undefined;
  const keepMining = () => (miner ??= setInterval(() => void stack.mine(1).catch(() => undefined), 100));

  before(async () => {
    stack = await startStack({ chain: { deposit_mode: 'forwarder', treasury_address: safe.address } });
    await safe.deploy(stack.rpcUrl);
  });
  after(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  test('sessions paid into forwarders are swept by the Safe executing the sweep --export file', async () => {
    for (const [method, count] of [
      ['usdc', 3],
      ['eth', 2],
    ] as const) {
      for (let k = 0; k < count; k++) {
        const session = await stack.createSession({ amount: `${5 + k}.25` });
        const chosen = await stack.server.app.sessions.choosePayment(session.id, `${method}@anvil`);
        paid.push({ session: chosen, method, atomic: BigInt(chosen.payment!.amount_due_atomic) });
      }
    }
    const of = (method: string) => paid.filter((p) => p.method === method);
    const addresses = (method: string) => of(method).map((p) => p.session.payment!.address as Address);
    const total = (method: string) => of(method).reduce((a, p) => a + p.atomic, 0n);
    await mintTo(
      stack.rpcUrl,
      stack.usdc,
      addresses('usdc'),
      of('usdc').map((p) => p.atomic),
    );
    await sendCoinTo(
      stack.rpcUrl,
      addresses('eth'),
      of('eth').map((p) => p.atomic),
    );
    await stack.mine(2);
    await waitForPaid(stack.server.app.store.db, paid.length, 30_000);

    const pub = devClients(stack.rpcUrl).public;
    const file = (await exportSweepFile(stack)) as BuilderFile;
    assert.equal(file.chainId, '31337');
    assert.equal(file.meta.createdFromSafeAddress.toLowerCase(), safe.address.toLowerCase());
    assert.equal(file.meta.checksum, txBuilderChecksum(file), 'the Transaction Builder accepts the checksum');

    const usdcBefore = await tokenBalance(stack.rpcUrl, stack.usdc, safe.address);
    const ethBefore = await pub.getBalance({ address: safe.address });
    const executed = await safe.execute(stack.rpcUrl, callsOf(file));
    const executor = devClients(stack.rpcUrl).account.address;
    assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, safe.address), usdcBefore + total('usdc'));
    assert.equal(await pub.getBalance({ address: safe.address }), ethBefore + total('eth'));
    for (const address of addresses('usdc'))
      assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, address), 0n);
    for (const address of addresses('eth')) assert.equal(await pub.getBalance({ address }), 0n);

    // The server did not send this sweep: it finds it from its logs once confirmed and records it as
    // its own are recorded (sweeps rows, the ledger's entries), once.
    // (A new sweeper for each look: viem caches the block number for a few seconds.)
    const sweeper = () =>
      createForwarderSweeper({
        chain: stack.config.chains[0]!,
        db: stack.server.app.store.db,
        ledger: stack.server.app.treasury.ledger,
        onSweepChange: stack.server.app.treasury.onSweepChange,
      });
    assert.equal(await sweeper().adoptExternal(), 0, 'nothing is recorded before its confirmations');
    await stack.mine(stack.config.chains[0]!.confirmations);
    assert.equal(await sweeper().adoptExternal(), 1);
    assert.equal(await sweeper().adoptExternal(), 0, 'a second look records nothing twice');
    const rows = await new SweepStore(stack.server.app.store.db).list(31337, executed);
    assert.deepEqual(
      rows.map((r) => [r.address, r.token_symbol, r.amount_atomic, r.status, r.relayer_address]).sort(),
      paid
        .map((p) => [
          p.session.payment!.address.toLowerCase(),
          p.method.toUpperCase(),
          p.atomic,
          'confirmed',
          executor.toLowerCase(),
        ])
        .sort(),
    );
    // One sweep webhook for the adopted transaction, in the transaction that recorded it.
    const { rows: hooks } = await stack.server.app.store.db.query<{ type: string; body: string }>(
      `SELECT type, body FROM webhook_events WHERE type LIKE 'sweep.%'`,
    );
    assert.deepEqual(
      hooks.map((h) => {
        const { data } = JSON.parse(h.body) as {
          data: { rail: string; tx_hash: string; deposits: unknown[] };
        };
        return [h.type, data.rail, data.tx_hash, data.deposits.length];
      }),
      [['sweep.confirmed', 'adopted', executed, paid.length]],
    );
    const { ledger } = stack.server.app.treasury;
    const report = await reconcile({ ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'the ledger and the chain agree after the Safe swept');
    const balances = await callApi<{
      data: { asset: string; in_deposit_addresses: string; in_treasury: string }[];
    }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/balances');
    const row = (asset: string) => balances.data.find((b) => b.asset === asset)!;
    assert.deepEqual(
      [row('usdc@anvil').in_deposit_addresses, row('usdc@anvil').in_treasury],
      ['0', formatAtomic(total('usdc'), 6)],
    );
    assert.deepEqual(
      [row('eth@anvil').in_deposit_addresses, row('eth@anvil').in_treasury],
      ['0', formatAtomic(total('eth'), 18)],
    );
  });

  test('a payout export executed by the Safe pays each destination once, and the payouts confirm', async () => {
    const destinations = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()).address);
    await callApi(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts', {
      payouts: destinations.map((destination, k) => ({
        destination,
        asset: 'usdc@anvil',
        amount: `1.${k}5`,
        reference: `safe-${k}`,
      })),
    });
    const file = await callApi<BuilderFile>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts/export', {
      chain_id: 31337,
      format: 'safe',
      from: safe.address,
    });
    assert.equal(file.meta.checksum, txBuilderChecksum(file), 'the Transaction Builder accepts the checksum');
    assert.equal(file.transactions.length, 3);
    await safe.execute(stack.rpcUrl, callsOf(file));
    for (const [k, destination] of destinations.entries())
      assert.equal(
        await tokenBalance(stack.rpcUrl, stack.usdc, destination),
        1_050_000n + 100_000n * BigInt(k),
      );

    keepMining();
    await waitFor(
      async () => {
        await stack.server.app.treasury.executor.confirmSubmitted(31337);
        const page = await callApi<{ data: Payout[] }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/payouts');
        return page.data.length === 3 && page.data.every((p) => p.status === 'confirmed');
      },
      30_000,
      'the three payouts confirmed',
    );
    const report = await reconcile({ ledger: stack.server.app.treasury.ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference after the payouts');
  });

  test('a coin payout export executed by the Safe pays through NativePayouts, and the payouts confirm', async () => {
    const { wallet, public: pub } = devClients(stack.rpcUrl);
    // NativePayouts deployed once by any account (the same address on every chain).
    await pub.waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ ...nativePayoutsDeployment }),
    });
    const destinations = [0, 1].map(() => privateKeyToAccount(generatePrivateKey()).address);
    const amounts = [1_000_000_000_000_000n, 2_500_000_000_000_000n];
    const safeHeld = await pub.getBalance({ address: safe.address });
    assert.ok(safeHeld > amounts[0]! + amounts[1]!, 'the Safe holds the ETH it swept');
    const created = await callApi<{ data: Payout[] }>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts', {
      payouts: destinations.map((destination, k) => ({
        destination,
        asset: 'eth@anvil',
        amount: formatAtomic(amounts[k]!, 18),
        reference: `safe-eth-${k}`,
      })),
    });
    assert.deepEqual(
      created.data.map((p) => p.status),
      ['approved', 'approved'],
    );
    const file = await callApi<BuilderFile>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts/export', {
      chain_id: 31337,
      format: 'safe',
      from: safe.address,
    });
    assert.equal(file.meta.checksum, txBuilderChecksum(file), 'the Transaction Builder accepts the checksum');
    assert.deepEqual(
      file.transactions.map((t) => [t.to, t.value]).sort(),
      amounts.map((a) => [NATIVE_PAYOUTS_ADDRESS, a.toString()]).sort(),
    );
    const executed = await safe.execute(stack.rpcUrl, callsOf(file));
    for (const [k, destination] of destinations.entries())
      assert.equal(await pub.getBalance({ address: destination }), amounts[k]);
    // The executor paid the gas, not the Safe: the Safe gave exactly the payouts.
    assert.equal(await pub.getBalance({ address: safe.address }), safeHeld - amounts[0]! - amounts[1]!);

    keepMining();
    const ids = new Set(created.data.map((p) => p.id));
    await waitFor(
      async () => {
        await stack.server.app.treasury.executor.confirmSubmitted(31337);
        const page = await callApi<{ data: Payout[] }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/payouts');
        const mine = page.data.filter((p) => ids.has(p.id));
        return mine.length === 2 && mine.every((p) => p.status === 'confirmed' && p.tx_hash === executed);
      },
      30_000,
      'the two coin payouts confirmed',
    );
    // Each payout settled once in the ledger, with no fee (the Safe's executor paid the gas).
    const { rows } = await stack.server.app.store.db.query<{
      kind: string;
      payout_id: string;
      amount: string;
    }>(
      `SELECT kind, payout_id, sum(amount_atomic)::text AS amount FROM ledger_entries
        WHERE tx_hash = $1 GROUP BY kind, payout_id`,
      [executed.toLowerCase()],
    );
    assert.deepEqual(
      rows.map((r) => [r.kind, r.payout_id, r.amount]).sort((a, b) => (a[1]! < b[1]! ? -1 : 1)),
      created.data
        .map((p, k) => ['payout_settle', p.id, amounts[k]!.toString()])
        .sort((a, b) => (a[1]! < b[1]! ? -1 : 1)),
    );
    const balances = await callApi<{
      data: { asset: string; in_treasury: string; pending_payouts: string }[];
    }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/balances');
    const eth = balances.data.find((b) => b.asset === 'eth@anvil')!;
    assert.deepEqual(
      [eth.in_treasury, eth.pending_payouts],
      [formatAtomic(safeHeld - amounts[0]! - amounts[1]!, 18), '0'],
    );
    const report = await reconcile({ ledger: stack.server.app.treasury.ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference after the coin payouts');
  });
});
