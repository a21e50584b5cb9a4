import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseEther, parseTransaction, type Address, type Hex } from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import type { BuyerSession } from '@crypto-checkout/protocol';
import { sweepCommand } from '../../packages/server/src/cli/sweep-command.js';
import type { SweepExport } from '../../packages/server/src/treasury/xpub-sweep-export.js';
import { devClients } from '../support/chain.js';
import { mintTo, sendCoinTo, tokenBalance } from '../support/forwarders.js';
import { startStack, testMerchantWallet, type Stack } from '../support/stack.js';
import { testSecretBox } from '../support/app.js';
import { waitForPaid } from '../support/wait.js';

describe('sweep --export in xpub mode: unsigned transactions the merchant signs in their own wallet', () => {
  const wallet = testMerchantWallet();
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  let stack: Stack;
  let dir: string;
  const chosen: BuyerSession[] = [];

  before(async () => {
    stack = await startStack({ config: { xpub: wallet.xpub } });
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
});
