/**
 * Payouts of the chain's own coin (ETH on anvil) sent by the payout key through NativePayouts: it
 * deploys the contract itself, pays a batch in one transaction, books a reverted transaction's gas as
 * a fee and fails its payouts, takes a confirmed batch that a reorganisation removed back to
 * submitted with compensating entries and sends it again, and waits when it cannot cover the gas.
 * At every step the ledger, `GET /v1/balances`, `reconcile` and the chain agree to the wei.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getAddress, parseEther, parseEventLogs, formatEther, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { LedgerEntry } from '@crypto-checkout/protocol';
import { nativePayoutsAbi } from '../../packages/server/src/treasury/forwarder-contracts.js';
import {
  NATIVE_PAYOUTS_ADDRESS,
  nativePayoutsDeployment,
} from '../../packages/server/src/treasury/native-payouts.js';
import { devClients } from '../support/chain.js';
import { nativePayoutHelpers } from '../support/native-payouts.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/** Creation code of a contract whose every call reverts (runtime `PUSH0 PUSH0 REVERT`). */
const REVERTING_CONTRACT: Hex = '0x625f5ffd5f526003601df3';

describe('native-coin payouts sent by the payout key through NativePayouts', () => {
  let stack: Stack;
  const merchant = testMerchantWallet();
  const { pub, newKey, float, ask, get, entries, agrees, sender } = nativePayoutHelpers(
    () => stack,
    merchant,
  );
  before(async () => {
    stack = await startStack({ config: { xpub: merchant.xpub } });
  });
  after(async () => {
    await stack?.stop();
  });

  const hot = privateKeyToAccount(generatePrivateKey());

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
    // The key deployed NativePayouts first (no one had): that gas is a fee of the key too.
    assert.notEqual(await pub().getCode({ address: NATIVE_PAYOUTS_ADDRESS }), undefined);
    const deployment = fees.filter((e) => e.tx_hash !== hashes[0]);
    assert.equal(deployment.length, 1, 'the deployment is one fee');
    const deployed = await pub().getTransactionReceipt({ hash: deployment[0]!.tx_hash as Hex });
    assert.equal(deployed.to?.toLowerCase(), nativePayoutsDeployment.to.toLowerCase());
    assert.equal(parseEther(deployment[0]!.amount), deployed.gasUsed * deployed.effectiveGasPrice);
    assert.deepEqual(
      fees.filter((e) => e.tx_hash === hashes[0]).map((e) => parseEther(e.amount)),
      [receipt.gasUsed * receipt.effectiveGasPrice],
      'one fee for the batch, its exact gas',
    );
    await agrees([hot.address]);
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
    await agrees([hot.address]);
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
    await agrees([hot.address]);

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
    await agrees([hot.address]);
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
