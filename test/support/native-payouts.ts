/**
 * Helpers of the native-coin payout tests (payouts-native*.test.ts): a treasury float the ledger
 * knows to the wei (a session paid in ETH, swept by its deposit key), payouts asked through the API,
 * the ledger and balances read back, `reconcile` held to the chain, and a payout-key sender.
 */
import assert from 'node:assert/strict';
import { createWalletClient, getAddress, http, parseEther, type Address } from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import type { LedgerEntry, Payout } from '@crypto-checkout/protocol';
import { HotPayoutSender } from '../../packages/server/src/treasury/hot-payouts.js';
import { reconcile } from '../../packages/server/src/treasury/reconcile.js';
import { devClients } from './chain.js';
import { recordSecrets } from './logs.js';
import type { Stack, testMerchantWallet } from './stack.js';
import { callApi, choose, view, waitFor } from './wait.js';

/**
 * The helpers bound to a running stack (`stack()` is read at each call) and the merchant wallet whose
 * xpub the stack was started with.
 * @example const { float, ask, agrees } = nativePayoutHelpers(() => stack, merchant);
 */
export function nativePayoutHelpers(stack: () => Stack, merchant: ReturnType<typeof testMerchantWallet>) {
  const pub = () => devClients(stack().rpcUrl).public;
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
    const session = await stack().createSession({ amount: usd, currency: 'USD' });
    const buyer = await choose(stack().apiUrl, session, 'eth@anvil');
    await stack().pay(buyer.payment!.address, buyer.payment!.amount_due, 'eth');
    await stack().mine(2);
    await waitFor(
      async () => (await view(stack().apiUrl, stack().secretKey, session.id)).status === 'paid',
      15_000,
      'paid',
    );
    const index = Array.from({ length: 40 }, (_, i) => i).find(
      (i) => merchant.addressAt(i) === getAddress(buyer.payment!.address),
    );
    const owner = mnemonicToAccount(merchant.mnemonic, { addressIndex: index! });
    const held = await pub().getBalance({ address: owner.address });
    const gasPrice = (await pub().getGasPrice()) * 2n;
    const deposit = createWalletClient({ account: owner, transport: http(stack().rpcUrl) });
    const hash = await deposit.sendTransaction({
      chain: null,
      to: address,
      value: held - 21_000n * gasPrice,
      gas: 21_000n,
      gasPrice,
    });
    const mined = await pub().waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const { ledger } = stack().server.app.treasury;
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
      await callApi<{ data: Payout[] }>(stack().apiUrl, stack().secretKey, 'POST', '/v1/payouts', {
        payouts: payouts.map((p) => ({ ...p, asset: 'eth@anvil' })),
      })
    ).data;
  const get = (id: string) => callApi<Payout>(stack().apiUrl, stack().secretKey, 'GET', `/v1/payouts/${id}`);
  const ethBalance = async () =>
    (
      await callApi<{ data: { asset: string; in_treasury: string; pending_payouts: string }[] }>(
        stack().apiUrl,
        stack().secretKey,
        'GET',
        '/v1/balances',
      )
    ).data.find((b) => b.asset === 'eth@anvil')!;
  const entries = async () => {
    const all: LedgerEntry[] = [];
    for (let cursor: string | null = null; ;) {
      const page: { data: LedgerEntry[]; next_cursor: string | null } = await callApi(
        stack().apiUrl,
        stack().secretKey,
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
    const report = await reconcile({
      ledger: stack().server.app.treasury.ledger,
      chains: stack().config.chains,
    });
    assert.deepEqual(report.differences, [], 'reconcile reports no difference');
    let onChain = 0n;
    for (const a of holders) onChain += await pub().getBalance({ address: a });
    assert.equal(parseEther((await ethBalance()).in_treasury), onChain, 'in_treasury equals the chain');
  };
  const sender = (account: ReturnType<typeof newKey>) => {
    const { payouts, executor, ledger } = stack().server.app.treasury;
    return new HotPayoutSender({
      chain: stack().config.chains[0]!,
      payouts,
      executor,
      ledger,
      client: pub(),
      wallet: createWalletClient({ transport: http(stack().rpcUrl), account }),
      limits: new Map([['eth@anvil', parseEther('1')]]),
    });
  };

  return { pub, newKey, float, ask, get, ethBalance, entries, agrees, sender };
}
