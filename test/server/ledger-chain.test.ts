/**
 * The treasury on a real anvil chain: paid sessions become ledger receipts (reversed, never deleted,
 * when a reorganisation takes their block away), sweeps move them to the treasury, payouts exported
 * unsigned are parsed with viem, signed with the test key, sent and confirmed — and at every step the
 * ledger, `GET /v1/balances`, `reconcile` and the chain agree to the unit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createWalletClient,
  erc20Abi,
  getAddress,
  http,
  parseTransaction,
  parseUnits,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import type { LedgerEntry, Payout, Session } from '@crypto-checkout/protocol';
import { testSecretBox } from '../support/app.js';
import { runReconcile } from '../../packages/server/src/cli/treasury-commands.js';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';
import { devClients } from '../support/chain.js';
import { txBuilderChecksum } from '../support/safe.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { callApi, choose, view, waitFor } from '../support/wait.js';

/** Anvil's second development account: the merchant's treasury in this test (its key signs payouts). */
const TREASURY_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as const;
const treasury = privateKeyToAccount(TREASURY_KEY);

describe('ledger, sweeps and payouts on anvil', () => {
  let stack: Stack;
  const wallet = testMerchantWallet();
  const paid: Session[] = [];

  const balances = async () =>
    (
      await callApi<{ data: { asset: string; [k: string]: unknown }[] }>(
        stack.apiUrl,
        stack.secretKey,
        'GET',
        '/v1/balances',
      )
    ).data.find((b) => b.asset === 'usdc@anvil')!;
  const ledger = async () => {
    const entries: LedgerEntry[] = [];
    for (let cursor: string | null = null; ;) {
      const page: { data: LedgerEntry[]; next_cursor: string | null } = await callApi(
        stack.apiUrl,
        stack.secretKey,
        'GET',
        `/v1/ledger?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      entries.push(...page.data);
      if (!page.next_cursor) return entries;
      cursor = page.next_cursor;
    }
  };
  const usdcOf = (address: string) =>
    devClients(stack.rpcUrl).public.readContract({
      address: stack.usdc,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [getAddress(address)],
    });
  const ledgerAgreesWithChain = async () => {
    const report = await reconcile({ ledger: stack.server.app.treasury.ledger, chains: stack.config.chains });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference');
    return report;
  };

  before(async () => {
    stack = await startStack({ config: { xpub: wallet.xpub, payouts: { review_threshold: '10' } } });
  });
  after(async () => {
    await stack?.stop();
  });

  test('confirmed receipts enter the ledger, and /v1/balances equals the deposit addresses on chain to the unit', async () => {
    for (const amount of ['10.00', '12.34', '5', '7.65']) {
      const session = await stack.createSession({ amount, currency: 'USD' });
      const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
      await stack.pay(buyer.payment!.address, buyer.payment!.amount_due);
      paid.push(session);
    }
    await stack.mine(1);
    for (const session of paid) {
      await waitFor(
        async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'paid',
        15_000,
        'paid',
      );
    }
    const balance = await balances();
    assert.equal(balance.received, '34.99');
    assert.equal(balance.in_deposit_addresses, '34.99');
    assert.equal(balance.in_treasury, '0');
    assert.equal(balance.available, '0');
    const receipts = (await ledger()).filter((e) => e.kind === 'receipt');
    assert.deepEqual(receipts.map((e) => e.session_id).sort(), paid.map((s) => s.id).sort());
    let onChain = 0n;
    for (const e of receipts) onChain += await usdcOf(e.address!);
    assert.equal(onChain, 34_990_000n);
    const report = await ledgerAgreesWithChain();
    assert.equal(report.checked, 4);
  });

  test('a receipt whose block is reorganised away gets a reversing entry, and nothing is deleted', async () => {
    const { test: anvil } = devClients(stack.rpcUrl);
    const before = await ledger();
    const session = await stack.createSession({ amount: '3.00', currency: 'USD' });
    const buyer = await choose(stack.apiUrl, session, 'usdc@anvil');
    const snapshot = await anvil.snapshot();
    await stack.pay(buyer.payment!.address, buyer.payment!.amount_due);
    await stack.mine(1);
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'paid',
      15_000,
      'paid',
    );
    await waitFor(
      async () => (await ledger()).some((e) => e.session_id === session.id),
      10_000,
      'the receipt',
    );
    assert.equal((await balances()).received, '37.99');

    await anvil.revert({ id: snapshot });
    await anvil.mine({ blocks: 4 });
    await waitFor(
      async () => (await view(stack.apiUrl, stack.secretKey, session.id)).status === 'open',
      15_000,
      'open again',
    );
    const after = await ledger();
    const ofSession = after.filter((e) => e.session_id === session.id);
    assert.deepEqual(
      ofSession.map((e) => [e.kind, e.amount]),
      [
        ['receipt', '3'],
        ['receipt_reversal', '-3'],
      ],
    );
    // Every entry there was before is still there, unchanged.
    assert.deepEqual(after.slice(0, before.length), before);
    assert.equal((await balances()).received, '34.99');
    // The database itself refuses to rewrite history.
    await assert.rejects(
      stack.server.app.store.db.query('DELETE FROM ledger_entries WHERE session_id = $1', [session.id]),
      /append-only/,
    );
    await ledgerAgreesWithChain();
  });

  test('sweeps move the receipts to the treasury; the ledger, /v1/balances and the chain agree', async () => {
    const { wallet: payer, public: pub } = devClients(stack.rpcUrl);
    const { ledger: book } = stack.server.app.treasury;
    const receipts = (await ledger()).filter(
      (e) => e.kind === 'receipt' && paid.some((s) => s.id === e.session_id),
    );
    for (const receipt of receipts) {
      // The merchant sweeps each deposit address with its own key (xpub mode): gas first, then the tokens.
      const index = Array.from({ length: 40 }, (_, i) => i).find(
        (i) => wallet.addressAt(i) === getAddress(receipt.address!),
      );
      assert.notEqual(index, undefined, 'the deposit address is one of the wallet');
      const owner = mnemonicToAccount(wallet.mnemonic, { addressIndex: index! });
      const gas = await payer.sendTransaction({
        chain: null,
        to: owner.address,
        value: parseUnits('0.01', 18),
      });
      await pub.waitForTransactionReceipt({ hash: gas, pollingInterval: 50 });
      const deposit = createWalletClient({ account: owner, chain: foundry, transport: http(stack.rpcUrl) });
      const amount = await usdcOf(owner.address);
      const hash = await deposit.writeContract({
        address: stack.usdc,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [treasury.address, amount],
      });
      const mined = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      const sweep = {
        livemode: false,
        asset: 'usdc@anvil',
        from: owner.address,
        to: treasury.address,
        amount_atomic: amount,
        tx_hash: hash,
        log_index: mined.logs[0]!.logIndex,
        at: new Date(),
      };
      assert.equal(await book.transaction((tx) => book.recordSweep(tx, sweep)), true);
      // The gas the deposit address paid (its ETH for gas arrived as a receipt) is a fee.
      await book.transaction((tx) =>
        book.recordFee(tx, {
          livemode: false,
          chain_id: 31337,
          address: owner.address,
          tx_hash: hash,
          amount_atomic: mined.gasUsed * mined.effectiveGasPrice,
          at: new Date(),
        }),
      );
      // Reported twice (a retry, a second reporter): recorded once.
      assert.equal(await book.transaction((tx) => book.recordSweep(tx, sweep)), false);
    }
    const balance = await balances();
    assert.equal(balance.in_deposit_addresses, '0');
    assert.equal(balance.in_treasury, '34.99');
    assert.equal(balance.available, '34.99');
    assert.equal(await usdcOf(treasury.address), 34_990_000n);
    await ledgerAgreesWithChain();
  });

  test('payouts below the threshold are approved at once, above it only by another key with the approve scope, and never beyond the available balance', async () => {
    const destinations = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()).address);
    const tooMuch = await fetch(`${stack.apiUrl}/v1/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        payouts: [
          { destination: destinations[0], asset: 'usdc@anvil', amount: '30' },
          { destination: destinations[1], asset: 'usdc@anvil', amount: '5' },
        ],
      }),
    });
    assert.equal(tooMuch.status, 409);
    assert.equal(((await tooMuch.json()) as { error: { code: string } }).error.code, 'insufficient_balance');
    assert.equal((await balances()).pending_payouts, '0', 'a refused batch reserves nothing');

    const body = {
      payouts: [
        { destination: destinations[0], asset: 'usdc@anvil', amount: '2.5', reference: 'w-1' },
        { destination: destinations[1], asset: 'usdc@anvil', amount: '3' },
        { destination: destinations[2], asset: 'usdc@anvil', amount: '10' },
      ],
    };
    const ask = () =>
      fetch(`${stack.apiUrl}/v1/payouts`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.secretKey}`,
          'content-type': 'application/json',
          'idempotency-key': 'payout-batch-1',
        },
        body: JSON.stringify(body),
      });
    const first = await ask();
    assert.equal(first.status, 201, await first.clone().text());
    const created = ((await first.json()) as { data: Payout[] }).data;
    assert.deepEqual(
      created.map((p) => [p.amount, p.status, p.fiat_value]),
      [
        ['2.5', 'approved', '2.5'],
        ['3', 'approved', '3'],
        ['10', 'needs_approval', '10'],
      ],
    );
    const retry = await ask();
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(
      ((await retry.json()) as { data: Payout[] }).data.map((p) => p.id),
      created.map((p) => p.id),
    );
    const balance = await balances();
    assert.equal(balance.pending_payouts, '15.5');
    assert.equal(balance.available, '19.49');

    const big = created[2]!;
    const approve = (key: string) =>
      fetch(`${stack.apiUrl}/v1/payouts/${big.id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });
    const own = await approve(stack.secretKey);
    assert.equal(own.status, 403, 'the key that asked cannot approve');
    const { key: reader } = await createApiKey(stack.server.app.apiKeys, { mode: 'test', scopes: ['read'] });
    assert.equal((await approve(reader)).status, 403, 'a key without the approve scope cannot approve');
    const { key: approver } = await createApiKey(stack.server.app.apiKeys, {
      mode: 'test',
      scopes: ['approve'],
    });
    const refused = await fetch(`${stack.apiUrl}/v1/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(refused.status, 403, 'an approve-only key cannot ask for payouts');
    const approved = await approve(approver);
    assert.equal(approved.status, 200, await approved.clone().text());
    assert.equal(((await approved.json()) as Payout).status, 'approved');
    assert.equal((await approve(approver)).status, 409, 'approving twice: payout_not_pending');
  });

  test('an unsigned EIP-1559 export parses with viem, signs with the treasury key, executes on anvil, and the payouts confirm', async () => {
    const { public: pub } = devClients(stack.rpcUrl);
    const exported = await callApi<{
      from: string;
      transactions: { payout_id: string; nonce: number; unsigned: Hex }[];
    }>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts/export', {
      chain_id: 31337,
      format: 'eip1559',
      from: treasury.address,
    });
    assert.equal(exported.transactions.length, 3);
    assert.equal(exported.from, treasury.address);
    const again = await callApi<{ transactions: unknown[] }>(
      stack.apiUrl,
      stack.secretKey,
      'POST',
      '/v1/payouts/export',
      {
        chain_id: 31337,
        format: 'eip1559',
        from: treasury.address,
      },
    );
    assert.equal(again.transactions.length, 0, 'an exported payout is never exported (and paid) twice');
    for (const t of exported.transactions) {
      const parsed = parseTransaction(t.unsigned) as TransactionSerializableEIP1559;
      assert.equal(parsed.type, 'eip1559');
      assert.equal(parsed.chainId, 31337);
      assert.equal(parsed.to?.toLowerCase(), stack.usdc.toLowerCase());
      const signed = await treasury.signTransaction(parsed);
      const hash = await pub.sendRawTransaction({ serializedTransaction: signed });
      await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
    await stack.mine(2);
    // The server's worker looks every 5 s; asking now is the same code, sooner.
    await stack.server.app.treasury.executor.confirmSubmitted(31337);
    const payouts = () =>
      callApi<{ data: Payout[] }>(stack.apiUrl, stack.secretKey, 'GET', '/v1/payouts?limit=10').then(
        (r) => r.data,
      );
    await waitFor(
      async () => (await payouts()).every((p) => p.status === 'confirmed'),
      20_000,
      'every payout confirmed',
    );
    for (const p of await payouts()) {
      assert.equal(await usdcOf(p.destination), parseUnits(p.amount, 6));
      assert.match(p.tx_hash ?? '', /^0x[0-9a-f]{64}$/);
    }
    const balance = await balances();
    assert.equal(balance.pending_payouts, '0');
    assert.equal(balance.in_treasury, '19.49');
    assert.equal(balance.available, '19.49');
    assert.equal(await usdcOf(treasury.address), 19_490_000n);
    const fees = (await ledger()).filter((e) => e.kind === 'fee');
    assert.equal(
      fees.filter((e) => e.address === treasury.address).length,
      3,
      'the gas of each transaction the treasury sent is a fee entry',
    );
    await ledgerAgreesWithChain();
  });

  test('reconcile reports a transfer the ledger does not know, and exits non-zero', async () => {
    const lines: string[] = [];
    const context = {
      config: stack.config,
      db: stack.server.app.store.db,
      secrets: testSecretBox,
      print: (line: string) => lines.push(line),
    };
    assert.equal(await runReconcile(context, {}), 0, lines.join('\n'));
    assert.match(lines.at(-1)!, /the ledger and the chain agree/);
    await stack.pay(treasury.address, '1.25');
    lines.length = 0;
    assert.equal(await runReconcile(context, {}), 1);
    assert.deepEqual(lines.slice(0, -1), [
      `DIFFERENCE usdc@anvil at ${treasury.address}: ledger 19.49, chain 20.74 (chain +1.25)`,
    ]);
  });

  test('a Safe Transaction Builder export lists each approved payout as a token transfer, with its checksum', async () => {
    const destination = privateKeyToAccount(generatePrivateKey()).address;
    const safe = privateKeyToAccount(generatePrivateKey()).address;
    await callApi(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts', {
      payouts: [{ destination, asset: 'usdc@anvil', amount: '1.5' }],
    });
    const file = await callApi<{
      version: string;
      chainId: string;
      meta: Record<string, unknown> & { checksum: string; createdFromSafeAddress: string };
      transactions: { to: string; value: string; contractInputsValues: Record<string, string> }[];
    }>(stack.apiUrl, stack.secretKey, 'POST', '/v1/payouts/export', {
      chain_id: 31337,
      format: 'safe',
      from: safe,
    });
    assert.equal(file.version, '1.0');
    assert.equal(file.chainId, '31337');
    assert.equal(file.meta.createdFromSafeAddress, safe);
    assert.deepEqual(
      file.transactions.map((t) => [t.to, t.value, t.contractInputsValues]),
      [[getAddress(stack.usdc), '0', { to: destination, value: '1500000' }]],
    );
    assert.equal(file.meta.checksum, txBuilderChecksum(file), 'the Transaction Builder accepts the checksum');
    const payouts = await callApi<{ data: Payout[] }>(
      stack.apiUrl,
      stack.secretKey,
      'GET',
      '/v1/payouts?status=submitted',
    );
    assert.deepEqual(
      payouts.data.map((p) => p.destination),
      [destination],
    );
  });
});
