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
import { readFileSync } from 'node:fs';
import { parseEther, type Address, type Hex } from 'viem';
import { compileTexts } from '../scripts/build-contracts.js';
import { privateKeyToAccount } from 'viem/accounts';
import { testTokenAbi } from '../test/support/contracts/test-token.js';
import { deployTestToken, devClients, startAnvil } from '../test/support/chain.js';
import { deployNoReturnToken, mintTo, sendCoinTo, tokenBalance } from '../test/support/forwarders.js';
import { forwarderAddress } from '../packages/server/src/treasury/forwarder-address.js';
import { encodeSweep, ensureForwarderFactory } from '../packages/server/src/treasury/forwarder-factory.js';
import { DEFAULT_FORWARDER_FACTORY } from '../packages/server/src/treasury/forwarder-address.js';

const SIZES = (process.env.SIZES ?? '1,10,50').split(',').map(Number);
const TREASURY = privateKeyToAccount(`0x${'7e'.repeat(32)}`).address;

const anvil = await startAnvil();
try {
  const { public: pub, wallet } = devClients(anvil.rpcUrl);
  const factory = DEFAULT_FORWARDER_FACTORY;
  await ensureForwarderFactory(pub, wallet, factory);
  const usdc = await deployTestToken(anvil.rpcUrl);
  const usdt = await deployNoReturnToken(anvil.rpcUrl);
  // A live treasury already holds each asset: its balance slot is not created by the sweep.
  await mintTo(anvil.rpcUrl, usdc, [TREASURY], [1n]);
  await mintTo(anvil.rpcUrl, usdt, [TREASURY], [1n]);
  await sendCoinTo(anvil.rpcUrl, [TREASURY], [1n]);

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
      // A figure only counts if the money arrived: every address empty afterwards.
      for (const address of addresses) {
        const left = token
          ? await tokenBalance(anvil.rpcUrl, token as Address, address)
          : await pub.getBalance({ address });
        if (left !== 0n) throw new Error(`${address} still holds ${left} after the sweep`);
      }
      rows.push({ asset, batch: size, perDeposit: Number(receipt.gasUsed) / size, total: receipt.gasUsed });
    }
  }
  // The design not taken, measured for comparison: the same forwarder without SELFDESTRUCT (coin
  // sent by a call), so its account stays behind with nonce 1 after the sweep.
  const variant = await measureKeptAccountVariant(anvil.rpcUrl, usdc, TREASURY);
  rows.push(...variant.rows);

  console.log(`anchor: one plain ERC-20 transfer (holder to holder) = ${anchor} gas (incl. 21,000 base)`);
  console.log('| asset | deposits per sweep tx | gas per deposit | tx gas | ratio to anchor |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.asset} | ${r.batch} | ${Math.round(r.perDeposit).toLocaleString('en')} | ${r.total.toLocaleString('en')} | ${(r.perDeposit / Number(anchor)).toFixed(2)} |`,
    );
  }
  console.log(
    `variant without SELFDESTRUCT, an address paid again after its sweep: ${variant.resweep ? 'swept again' : 'cannot be swept again (CREATE2 refuses an address with nonce 1): the money is stuck'}`,
  );
  const target = rows.find((r) => r.asset.startsWith('USDC') && r.batch === 50);
  if (target)
    console.log(
      `target ≤ 35,000 gas per ERC-20 deposit in a batch of 50: ${Math.round(target.perDeposit)} ${target.perDeposit <= 35_000 ? 'met' : 'NOT met'}`,
    );
} finally {
  await anvil.stop();
}

/**
 * Compiles and measures the forwarder without SELFDESTRUCT (same factory code, native coin sent by a
 * call): gas per USDC deposit in batches of 10 and 50, and whether an address paid again after its
 * sweep can be swept again.
 */
async function measureKeptAccountVariant(rpcUrl: string, token: Address, treasury: Address) {
  const read = (name: string) =>
    readFileSync(new URL(`../packages/server/contracts/${name}`, import.meta.url), 'utf8');
  const forwarder = read('DepositForwarder.sol').replace(
    'selfdestruct(treasury);',
    'if (native != 0) { (bool ok, ) = treasury.call{value: native}(""); require(ok); }',
  );
  if (!forwarder.includes('treasury.call')) throw new Error('the variant did not apply');
  const { contracts } = compileTexts({
    'DepositForwarder.sol': forwarder,
    'ForwarderFactory.sol': read('ForwarderFactory.sol'),
  });
  const factoryOut = contracts['ForwarderFactory.sol']!.ForwarderFactory!;
  const { public: pub, wallet } = devClients(rpcUrl);
  const deployed = await pub.waitForTransactionReceipt({
    hash: await wallet.deployContract({
      chain: null,
      abi: factoryOut.abi,
      bytecode: `0x${factoryOut.evm.bytecode.object}` as Hex,
    }),
  });
  const factory = deployed.contractAddress!;
  const abi = [
    {
      type: 'function',
      name: 'forwarderAddress',
      stateMutability: 'view',
      inputs: [
        { name: 'treasury', type: 'address' },
        { name: 'index', type: 'uint256' },
      ],
      outputs: [{ name: '', type: 'address' }],
    },
  ] as const;
  const rows: { asset: string; batch: number; perDeposit: number; total: bigint }[] = [];
  let next = 1_000_000;
  const sweepOnce = async (indexes: number[]) => {
    const hash = await wallet.sendTransaction({
      chain: null,
      to: factory,
      data: encodeSweep({ factory, treasury, indexes, tokens: [token] }),
      gas: 30_000_000n,
    });
    return pub.waitForTransactionReceipt({ hash });
  };
  for (const size of [10, 50]) {
    const indexes = Array.from({ length: size }, () => next++);
    const addresses = await Promise.all(
      indexes.map((i) =>
        pub.readContract({
          address: factory,
          abi,
          functionName: 'forwarderAddress',
          args: [treasury, BigInt(i)],
        }),
      ),
    );
    await mintTo(
      rpcUrl,
      token,
      [...addresses],
      addresses.map(() => 12_345_678n),
    );
    const receipt = await sweepOnce(indexes);
    if (receipt.status !== 'success') throw new Error('variant sweep reverted');
    rows.push({
      asset: 'USDC, variant without SELFDESTRUCT',
      batch: size,
      perDeposit: Number(receipt.gasUsed) / size,
      total: receipt.gasUsed,
    });
  }
  // Pay the first swept address of the variant again, and try to sweep it.
  const again = next - 1;
  const address = await pub.readContract({
    address: factory,
    abi,
    functionName: 'forwarderAddress',
    args: [treasury, BigInt(again)],
  });
  await mintTo(rpcUrl, token, [address], [1_000_000n]);
  const resweep =
    (await sweepOnce([again])).status === 'success' && (await tokenBalance(rpcUrl, token, address)) === 0n;
  return { rows, resweep };
}
