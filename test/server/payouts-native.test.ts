/**
 * Payouts of the chain's own coin (ETH on anvil) exported for the merchant's own signer: they wait
 * until NativePayouts exists, then become unsigned EIP-1559 transactions that the test key signs and
 * sends (confirmed, ledger, balances, `reconcile` and the chain agreeing to the wei), or Safe entries
 * calling NativePayouts with the value. The payout key's side is in payouts-native-key.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  decodeFunctionData,
  getAddress,
  parseEther,
  parseTransaction,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { nativePayoutsAbi } from '../../packages/server/src/treasury/forwarder-contracts.js';
import {
  NATIVE_PAYOUTS_ADDRESS,
  nativePayoutsDeployment,
} from '../../packages/server/src/treasury/native-payouts.js';
import { devClients } from '../support/chain.js';
import { nativePayoutHelpers } from '../support/native-payouts.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { callApi, waitFor } from '../support/wait.js';

describe('native-coin payouts exported through NativePayouts', () => {
  let stack: Stack;
  const merchant = testMerchantWallet();
  const { pub, newKey, float, ask, get, ethBalance, entries, agrees } = nativePayoutHelpers(
    () => stack,
    merchant,
  );
  before(async () => {
    stack = await startStack({ config: { xpub: merchant.xpub } });
  });
  after(async () => {
    await stack?.stop();
  });

  const signer = privateKeyToAccount(generatePrivateKey());

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
      transactions: {
        to: string;
        value: string;
        data: Hex;
        contractInputsValues: Record<string, string> | null;
      }[];
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
    // Raw call data (the Transaction Builder sends it as given), no method form beside it.
    assert.equal(entry!.contractInputsValues, null);
    // Never paid by this test: cancel is refused once submitted, so it stays out of the agreement below.
    assert.equal((await get(payout!.id)).status, 'submitted');
  });
});
