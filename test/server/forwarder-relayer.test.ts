import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEther, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import { sendCoinTo, tokenBalance } from '../support/forwarders.js';
import { recordSecrets } from '../support/logs.js';
import { startStack, type Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: Stack;
const treasury = privateKeyToAccount(generatePrivateKey()).address;
const relayerKey = generatePrivateKey();
recordSecrets(relayerKey);

before(async () => {
  stack = await startStack({
    confirmations: 1,
    config: { treasury: { relayer_key: relayerKey } },
    chain: {
      deposit_mode: 'forwarder',
      treasury_address: treasury,
      sweep: { USDC: { threshold: '1', interval_s: 10 } },
    },
  });
  await sendCoinTo(stack.rpcUrl, [privateKeyToAccount(relayerKey).address], [parseEther('1')]);
});
after(() => stack?.stop());

test('a server with a relayer key sweeps paid forwarder addresses by itself, above the threshold only', async () => {
  const amounts = ['12.34', '0.50'];
  const addresses: Address[] = [];
  for (const amount of amounts) {
    const session = await stack.createSession({ amount });
    const chosen = await stack.server.app.sessions.choosePayment(session.id, 'usdc@anvil');
    addresses.push(chosen.payment!.address as Address);
    await stack.pay(chosen.payment!.address, chosen.payment!.amount_due);
  }
  // 12.34 USDC is above the 1 USDC threshold and is swept on the next tick (every 10 s); 0.50 stays.
  await waitFor(
    async () => (await tokenBalance(stack.rpcUrl, stack.usdc, treasury)) === 12_340_000n,
    40_000,
    'the sweep',
  );
  assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, addresses[0]!), 0n);
  assert.equal(await tokenBalance(stack.rpcUrl, stack.usdc, addresses[1]!), 500_000n);
  const rows = await waitFor(
    async () => {
      const all = await new SweepStore(stack.server.app.store.db).list(31337);
      return all.length && all.every((r) => r.status === 'confirmed') ? all : null;
    },
    20_000,
    'the sweep recorded',
  );
  assert.deepEqual(
    rows.map((r) => [r.address, r.token_symbol, r.amount_atomic]),
    [[addresses[0]!.toLowerCase(), 'USDC', 12_340_000n]],
  );
});
