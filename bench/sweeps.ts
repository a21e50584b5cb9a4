/**
 * `npm run bench:sweeps`: gas per swept deposit in forwarder mode on a local anvil node. For batches
 * of 1, 10 and 50 deposit addresses holding a standard ERC-20 ("USDC"), a USDT-shaped ERC-20 whose
 * transfer returns nothing, or only native coin, one `ForwarderFactory.sweep` transaction creates
 * each forwarder, flushes it to the treasury and removes it; the figure is the receipt's gasUsed ÷
 * deposits. Anchor, measured in the same run: one plain ERC-20 `transfer` between two addresses that
 * already hold the token (what a merchant pays per deposit when sweeping xpub addresses by hand,
 * without the 21,000 base of its own transaction counted separately). The treasury holds every asset
 * beforehand, as a live one does. Target (issue 17): ≤ 35,000 gas per ERC-20 deposit in a batch of 50.
 * `SIZES=1,10,50,200` to choose batch sizes. Not part of `npm test`: it prints figures.
 * @module
 */
import { parseEther, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { testTokenAbi } from '../test/support/contracts/test-token.js';
import { deployTestToken, devClients, startAnvil } from '../test/support/chain.js';
import { deployNoReturnToken, mintTo, sendCoinTo } from '../test/support/forwarders.js';
import { forwarderAddress } from '../packages/server/src/treasury/forwarder-address.js';
import { encodeSweep, ensureForwarderFactory } from '../packages/server/src/treasury/forwarder-factory.js';
import { DEFAULT_FORWARDER_FACTORY } from '../packages/server/src/treasury/forwarder-address.js';

const SIZES = (process.env.SIZES ?? '1,10,50').split(',').map(Number);
const TREASURY = privateKeyToAccount(`0x${'7e'.repeat(32)}`).address;

const anvil = await startAnvil();
try {
  const { account, public: pub, wallet } = devClients(anvil.rpcUrl);
  const factory = DEFAULT_FORWARDER_FACTORY;
  await ensureForwarderFactory(pub, wallet, factory);
  const usdc = await deployTestToken(anvil.rpcUrl);
  const usdt = await deployNoReturnToken(anvil.rpcUrl);
  // A live treasury already holds each asset: its balance slot is not created by the sweep.
  await mintTo(anvil.rpcUrl, usdc, [TREASURY], [1n]);
  await mintTo(anvil.rpcUrl, usdt, [TREASURY], [1n]);

  // Anchor: a plain ERC-20 transfer from one holder to another (both balance slots already set).
  const anchorHash = await wallet.writeContract({
    chain: null,
    address: usdc,
    abi: testTokenAbi,
    functionName: 'transfer',
    args: [TREASURY, 1_000n],
  });
  const anchor = (await pub.waitForTransactionReceipt({ hash: anchorHash })).gasUsed;

  let next = 0;
  const rows: { asset: string; batch: number; perDeposit: number; total: bigint }[] = [];
  for (const [asset, token] of [
    ['USDC (ERC-20)', usdc],
    ['USDT-shaped (no return value)', usdt],
    ['native coin', null],
  ] as const) {
    for (const size of SIZES) {
      const indexes = Array.from({ length: size }, () => next++);
      const addresses = indexes.map((i) => forwarderAddress(factory, TREASURY, i));
      if (token)
        await mintTo(
          anvil.rpcUrl,
          token,
          addresses,
          addresses.map(() => 12_345_678n),
        );
      else
        await sendCoinTo(
          anvil.rpcUrl,
          addresses,
          addresses.map(() => parseEther('0.01')),
        );
      const hash = await wallet.sendTransaction({
        chain: null,
        to: factory,
        data: encodeSweep({ factory, treasury: TREASURY, indexes, tokens: token ? [token as Address] : [] }),
      });
      const receipt = await pub.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`sweep of ${size} ${asset} reverted`);
      rows.push({ asset, batch: size, perDeposit: Number(receipt.gasUsed) / size, total: receipt.gasUsed });
    }
  }
  void account;
  console.log(`anchor: one plain ERC-20 transfer (holder to holder) = ${anchor} gas (incl. 21,000 base)`);
  console.log('| asset | deposits per sweep tx | gas per deposit | tx gas | ratio to anchor |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.asset} | ${r.batch} | ${Math.round(r.perDeposit).toLocaleString('en')} | ${r.total.toLocaleString('en')} | ${(r.perDeposit / Number(anchor)).toFixed(2)} |`,
    );
  }
  const target = rows.find((r) => r.asset.startsWith('USDC') && r.batch === 50);
  if (target)
    console.log(
      `target ≤ 35,000 gas per ERC-20 deposit in a batch of 50: ${Math.round(target.perDeposit)} ${target.perDeposit <= 35_000 ? 'met' : 'NOT met'}`,
    );
} finally {
  await anvil.stop();
}
