/**
 * Payouts of the chain's own coin (ETH on anvil) through NativePayouts: exported as unsigned
 * EIP-1559 transactions that the test key signs and sends, and paid in one batch transaction by the
 * payout key; a payout-key transaction that reverts books its gas as a fee and fails its payouts.
 * At every step the ledger, `GET /v1/balances`, `reconcile` and the chain agree to the wei.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createWalletClient,
  decodeFunctionData,
  formatEther,
  getAddress,
  http,
  parseEther,
  parseEventLogs,
  parseTransaction,
  type Address,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import type { LedgerEntry, Payout } from '@crypto-checkout/protocol';
import { HotPayoutSender } from '../../packages/server/src/treasury/hot-payouts.js';
import { nativePayoutsAbi } from '../../packages/server/src/treasury/forwarder-contracts.js';
import {
  NATIVE_PAYOUTS_ADDRESS,
  nativePayoutsDeployment,
} from '../../packages/server/src/treasury/native-payouts.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';
import { devClients } from '../support/chain.js';
import { recordSecrets } from '../support/logs.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { callApi, choose, view, waitFor } from '../support/wait.js';

/** Creation code of a contract whose every call reverts (runtime `PUSH0 PUSH0 REVERT`). */
const REVERTING_CONTRACT: Hex = '0x625f5ffd5f526003601df3';

describe('native-coin payouts through NativePayouts', () => {
  let stack: Stack;
  const merchant = testMerchantWallet();

  const pub = () => devClients(stack.rpcUrl).public;
  const newKey = () => {
    const key = generatePrivateKey();
    recordSecrets(key);
    return privateKeyToAccount(key);
  };
  /**
   * Moves coin to `address` the way a treasury is filled: a session paid in ETH (a receipt), then its
   * deposit address swept to `address` with the deposit key (a sweep, and its gas as a fee) — so the
   * ledger knows every wei. `usd` at the stack's 2,000 USD per ETH.
   */
  const float = async (address: Address, usd: string) => {
    const session = await stack.createSession({ amount: usd, currency: 'USD' });
    const buyer = await choose(stack.apiUrl, session, 'eth@anvil');
    await stack.pay(buyer.payment!.address, buyer.payment!.amount_due, 'eth');
    await stack.mine(2);
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'paid',
      15_000,
      'paid',
    );
    const index = Array.from({ length: 40 }, (_, i) => i).find(
      (i) => merchant.addressAt(i) === getAddress(buyer.payment!.address),
    );
    const owner = mnemonicToAccount(merchant.mnemonic, { addressIndex: index! });
    const held = await pub().getBalance({ address: owner.address });
    const gasPrice = (await pub().getGasPrice()) * 2n;
    const deposit = createWalletClient({ account: owner, transport: http(stack.rpcUrl) });
    const hash = await deposit.sendTransaction({
      chain: null,
      to: address,
      value: held - 21_000n * gasPrice,
      gas: 21_000n,
      gasPrice,
    });
    const mined = await pub().waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const { ledger } = stack.server.app.treasury;
    await ledger.transaction(async (tx) => {
      await ledger.recordSweep(tx, {
        livemode: false,
        asset: 'eth@anvil',
        from: owner.address,
        to: address,
        amount_atomic: held - 21_000n * gasPrice,
        tx_hash: hash,
        log_index: -1,
        at: new Date(),
      });
      await ledger.recordFee(tx, {
        livemode: false,
        chain_id: 31337,
        address: owner.address,
        tx_hash: hash,
        amount_atomic: mined.gasUsed * mined.effectiveGasPrice,
        at: new Date(),
      });
    });
    return held - 21_000n * gasPrice;
  };
  const ask = async (payouts: { destination: string; amount: string }[]) =>
    (
      await callApi<{ data: Payout[] }>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts', {
        payouts: payouts.map((p) => ({ ...p, asset: 'eth@anvil' })),
      })
    ).data;
  const get = (id: string) => callApi<Payout>(stack.apiUrl, stack.secretKey, 'GET', `/v1/payouts/${id}`);
  const ethBalance = async () =>
    (
      await callApi<{ data: { asset: string; in_treasury: string; pending_payouts: string }[] }>(
        stack.apiUrl,
        stack.secretKey,
        'GET',
        '/v1/balances',
      )
    ).data.find((b) => b.asset === 'eth@anvil')!;
  const entries = async () => {
    const all: LedgerEntry[] = [];
    for (let cursor: string | null = null; ;) {
      const page: { data: LedgerEntry[]; next_cursor: string | null } = await callApi(
        stack.apiUrl,
        stack.secretKey,
        'GET',
        `/v1/ledger?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      all.push(...page.data);
      if (!page.next_cursor) return all;
      cursor = page.next_cursor;
    }
  };
  /** reconcile finds nothing, and in_treasury is what the ledger's paying addresses hold on chain. */
  const agrees = async (holders: Address[]) => {
    const report = await reconcile({ ledger: stack.server.app.treasury.ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference');
    let onChain = 0n;
    for (const a of holders) onChain += await pub().getBalance({ address: a });
    assert.equal(parseEther((await ethBalance()).in_treasury), onChain, 'in_treasury equals the chain');
  };
  const sender = (account: ReturnType<typeof newKey>) => {
    const { payouts, executor, ledger } = stack.server.app.treasury;
    return new HotPayoutSender({
      chain: stack.config.chains[0]!,
      payouts,
      executor,
      ledger,
      client: pub(),
      wallet: createWalletClient({ transport: http(stack.rpcUrl), account }),
      limits: new Map([['eth@anvil', parseEther('1')]]),
    });
  };

  before(async () => {
    stack = await startStack({ config: { xpub: merchant.xpub } });
  });
  after(async () => {
    await stack?.stop();
  });

  const signer = privateKeyToAccount(generatePrivateKey());
  const hot = privateKeyToAccount(generatePrivateKey());

  test('coin payouts wait until NativePayouts exists, then export as EIP-1559 transactions that, signed, pay and confirm', async () => {
    await float(signer.address, '200');
    const destinations = [0, 1, 2].map(() => newKey().address);
    const amounts = ['0.01', '0.02', '0.005'];
    const created = await ask(destinations.map((destination, i) => ({ destination, amount: amounts[i]! })));
    assert.deepEqual(
      created.map((p) => p.status),
      ['approved', 'approved', 'approved'],
    );
    const exportNow = () =>
      callApi<{ transactions: { payout_id: string; nonce: number; unsigned: Hex }[] }>(
        stack.apiUrl,
        stack.secretKey,
        'POST',
        '/v1/payouts/export',
        { chain_id: 31337, format: 'eip1559', from: signer.address },
      );
    assert.equal((await exportNow()).transactions.length, 0, 'nothing exported before the contract exists');
    assert.match((await get(created[0]!.id)).waiting_reason ?? '', /NativePayouts is not deployed/);

    // Anyone may deploy it: here the development payer, whose coin the ledger does not follow.
    const { wallet } = devClients(stack.rpcUrl);
    const deployed = await wallet.sendTransaction({ ...nativePayoutsDeployment });
    await pub().waitForTransactionReceipt({ hash: deployed, pollingInterval: 50 });
    assert.notEqual(await pub().getCode({ address: NATIVE_PAYOUTS_ADDRESS }), undefined);

    const exported = await exportNow();
    assert.equal(exported.transactions.length, 3);
    for (const t of exported.transactions) {
      const i = created.findIndex((p) => p.id === t.payout_id);
      const parsed = parseTransaction(t.unsigned) as TransactionSerializableEIP1559;
      assert.equal(getAddress(parsed.to!), NATIVE_PAYOUTS_ADDRESS);
      assert.equal(parsed.value, parseEther(amounts[i]!));
      const call = decodeFunctionData({ abi: nativePayoutsAbi, data: parsed.data! });
      assert.deepEqual(call.args, [[destinations[i]], [parseEther(amounts[i]!)]]);
      const hash = await pub().sendRawTransaction({
        serializedTransaction: await signer.signTransaction(parsed),
      });
      await pub().waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
    await stack.mine(2);
    await stack.server.app.treasury.executor.confirmSubmitted(31337);
    await waitFor(
      async () => (await Promise.all(created.map((p) => get(p.id)))).every((p) => p.status === 'confirmed'),
      20_000,
      'every coin payout confirmed',
    );
    for (const [i, d] of destinations.entries())
      assert.equal(await pub().getBalance({ address: d }), parseEther(amounts[i]!));
    const fees = (await entries()).filter((e) => e.kind === 'fee' && e.address === signer.address);
    assert.equal(fees.length, 3, 'the gas of each signed transaction is a fee');
    assert.equal((await ethBalance()).pending_payouts, '0');
    await agrees([signer.address]);
  });

  test('a Safe export pays coin through NativePayouts, with the value on the entry', async () => {
    const destination = newKey().address;
    const [payout] = await ask([{ destination, amount: '0.003' }]);
    const file = await callApi<{
      transactions: { to: string; value: string; data: Hex; contractInputsValues: Record<string, string> }[];
    }>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts/export', {
      chain_id: 31337,
      format: 'safe',
      from: newKey().address,
    });
    assert.equal(file.transactions.length, 1);
    const [entry] = file.transactions;
    assert.equal(entry!.to, NATIVE_PAYOUTS_ADDRESS);
    assert.equal(entry!.value, parseEther('0.003').toString());
    const call = decodeFunctionData({ abi: nativePayoutsAbi, data: entry!.data });
    assert.deepEqual(call.args, [[destination], [parseEther('0.003')]]);
    assert.deepEqual(entry!.contractInputsValues, { to: `[${destination}]`, amounts: '[3000000000000000]' });
    // Never paid by this test: cancel is refused once submitted, so it stays out of the agreement below.
    assert.equal((await get(payout!.id)).status, 'submitted');
  });

  test('the payout key pays a batch of coin payouts in one transaction; ledger, balances and chain agree to the wei', async () => {
    await float(hot.address, '600');
    const destinations = [0, 1, 2, 3, 4].map(() => newKey().address);
    const created = await ask(destinations.map((destination) => ({ destination, amount: '0.04' })));
    const key = sender(hot);
    const hashes = await key.runOnce();
    assert.equal(hashes.length, 1, 'one transaction for the batch');
    const receipt = await pub().waitForTransactionReceipt({ hash: hashes[0]!, pollingInterval: 50 });
    assert.equal(receipt.status, 'success');
    const logs = parseEventLogs({ abi: nativePayoutsAbi, logs: receipt.logs, eventName: 'NativePayout' });
    const byAddress = (a: unknown[], b: unknown[]) => String(a[1]).localeCompare(String(b[1]));
    assert.deepEqual(
      logs.map((l) => [l.args.from, l.args.to, l.args.value]).sort(byAddress),
      destinations.map((d) => [hot.address, d, parseEther('0.04')]).sort(byAddress),
    );
    assert.equal(await key.runOnce().then((h) => h.length), 0, 'nothing is sent twice');
    await stack.mine(2);
    // The node's block number is cached by the client for a few seconds: look until it moves on.
    const after = await waitFor(
      async () => {
        await key.runOnce();
        const list = await Promise.all(created.map((p) => get(p.id)));
        return list.every((p) => p.status !== 'submitted') ? list : null;
      },
      20_000,
      'the batch settled',
    );
    assert.deepEqual(
      after.map((p) => [p.status, p.tx_hash]),
      created.map(() => ['confirmed', hashes[0]]),
    );
    for (const d of destinations) assert.equal(await pub().getBalance({ address: d }), parseEther('0.04'));
    const fees = (await entries()).filter(
      (e) => e.kind === 'fee' && e.address?.toLowerCase() === hot.address.toLowerCase(),
    );
    assert.deepEqual(
      fees.map((e) => [e.tx_hash, parseEther(e.amount)]),
      [[hashes[0], receipt.gasUsed * receipt.effectiveGasPrice]],
      'one fee for the batch, its exact gas',
    );
    await agrees([signer.address, hot.address]);
  });

  test('a payout-key transaction that reverts books its gas as a fee and fails its payouts, paying nothing', async () => {
    const { wallet } = devClients(stack.rpcUrl);
    const deploy = await wallet.deployContract({ abi: [], bytecode: REVERTING_CONTRACT });
    const refusing = getAddress(
      (await pub().waitForTransactionReceipt({ hash: deploy, pollingInterval: 50 })).contractAddress!,
    );
    const fine = newKey().address;
    const created = await ask([
      { destination: fine, amount: '0.01' },
      { destination: refusing, amount: '0.01' },
    ]);
    const key = sender(hot);
    const [hash] = await key.runOnce();
    const receipt = await pub().waitForTransactionReceipt({ hash: hash!, pollingInterval: 50 });
    assert.equal(receipt.status, 'reverted');
    await stack.mine(2);
    const after = await waitFor(
      async () => {
        await key.runOnce();
        const list = await Promise.all(created.map((p) => get(p.id)));
        return list.every((p) => p.status !== 'submitted') ? list : null;
      },
      20_000,
      'the reverted batch settled',
    );
    assert.deepEqual(
      after.map((p) => p.status),
      ['failed', 'failed'],
    );
    assert.match(after[0]!.failure_reason ?? '', /reverted/);
    assert.equal(await pub().getBalance({ address: fine }), 0n, 'nothing was paid');
    const ledger = await entries();
    assert.deepEqual(
      ledger.filter((e) => e.kind === 'fee' && e.tx_hash === hash).map((e) => parseEther(e.amount)),
      [receipt.gasUsed * receipt.effectiveGasPrice],
      'the reverted transaction’s gas is one fee',
    );
    assert.equal(
      ledger.filter((e) => e.kind === 'payout_release' && created.some((p) => p.id === e.payout_id)).length,
      2,
    );
    await agrees([signer.address, hot.address]);
  });

  test('a confirmed batch reorganised away goes back to submitted with compensating entries, is sent again and confirms once', async () => {
    const { test: anvil } = devClients(stack.rpcUrl);
    const { executor } = stack.server.app.treasury;
    const destinations = [0, 1].map(() => newKey().address);
    const created = await ask(destinations.map((destination) => ({ destination, amount: '0.01' })));
    const snapshot = await anvil.snapshot();
    const key = sender(hot);
    const [hash] = await key.runOnce();
    const receipt = await pub().waitForTransactionReceipt({ hash: hash!, pollingInterval: 50 });
    await stack.mine(2);
    const statuses = () => Promise.all(created.map((p) => get(p.id))).then((l) => l.map((p) => p.status));
    await waitFor(
      async () => (await key.runOnce(), (await statuses()).every((s) => s === 'confirmed')),
      20_000,
      'confirmed',
    );
    const before = await entries();

    await anvil.revert({ id: snapshot });
    await anvil.mine({ blocks: 3 });
    assert.equal(await pub().getBalance({ address: destinations[0]! }), 0n, 'the payment is gone');
    assert.equal(await executor.recheckConfirmed(stack.config.chains[0]!), 2);
    assert.deepEqual(await statuses(), ['submitted', 'submitted']);
    const byId = (list: LedgerEntry[]) => [...list].sort((a, b) => Number(a.id) - Number(b.id));
    const after = byId(await entries());
    assert.deepEqual(after.slice(0, before.length), byId(before), 'nothing before is changed');
    const added = after.slice(before.length);
    const gas = receipt.gasUsed * receipt.effectiveGasPrice;
    assert.deepEqual(
      added.map((e) => [e.kind, parseEther(e.amount)]).sort((a, b) => String(a).localeCompare(String(b))),
      [
        ['fee', -gas],
        ['payout_settle', -parseEther('0.01')],
        ['payout_settle', -parseEther('0.01')],
      ],
    );
    await agrees([signer.address, hot.address]);

    // The key broadcasts its recorded transaction again; mined again, the payouts confirm again, once.
    await waitFor(
      async () => {
        await key.runOnce();
        await stack.mine(1);
        return (await statuses()).every((s) => s === 'confirmed');
      },
      20_000,
      'confirmed again',
    );
    for (const d of destinations) assert.equal(await pub().getBalance({ address: d }), parseEther('0.01'));
    const final = await entries();
    const settles = final.filter(
      (e) => e.kind === 'payout_settle' && created.some((p) => p.id === e.payout_id),
    );
    assert.equal(
      settles.reduce((sum, e) => sum + parseEther(e.amount), 0n),
      parseEther('0.02'),
    );
    const fees = final.filter((e) => e.kind === 'fee' && e.tx_hash === hash);
    // Mined again in another block, at that block's gas price: the fee booked is the one paid.
    const again = await pub().getTransactionReceipt({ hash: hash! });
    assert.equal(
      fees.reduce((sum, e) => sum + parseEther(e.amount), 0n),
      again.gasUsed * again.effectiveGasPrice,
      'its gas once, net',
    );
    await agrees([signer.address, hot.address]);
  });

  test('a coin payout the key cannot cover with its gas waits with the reason', async () => {
    const poor = privateKeyToAccount(generatePrivateKey());
    const held = await float(poor.address, '100');
    const [payout] = await ask([{ destination: newKey().address, amount: formatEther(held) }]);
    assert.deepEqual(await sender(poor).runOnce(), []);
    const waiting = await get(payout!.id);
    assert.equal(waiting.status, 'approved');
    assert.match(waiting.waiting_reason ?? '', /holds 0\.0\d+; this payout with the batch and its gas/);
  });
});
