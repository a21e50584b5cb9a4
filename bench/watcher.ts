/**
 * `npm run bench:watcher` — per-block processing time of the chain watcher with 1k, 10k and 100k open
 * payments on a local anvil node and PGlite. Each measured block carries 10 USDC and 2 ETH payments
 * to watched addresses and 5 transfers to unwatched ones; the time is one `syncOnce()` for that block
 * (head, reorg check, block scan, log query, storing, recomputing the paid sessions).
 * Not part of `npm test`: it prints figures, it does not judge them.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { createPublicClient, custom, http, type Address, type EIP1193RequestFn } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { deployTestToken, devClients, startAnvil } from '../test/support/chain.js';
import { testTokenAbi } from '../test/support/contracts/test-token.js';
import { buildApp } from '../packages/server/src/app.js';
import { startChainWatcher } from '../packages/server/src/chain/evm/chain-watcher.js';
import { parseConfig } from '../packages/server/src/config.js';
import { openPglite } from '../packages/server/src/store/database.js';
import { migrate } from '../packages/server/src/store/migrations.js';
import { ChainCursorMovedError } from '../packages/server/src/store/session-store.js';
import { insertOpenPayments } from '../test/support/bulk.js';
import { testMerchantWallet, testSecretKey } from '../test/support/stack.js';
import { ephemeralSecretBox } from '../packages/server/src/store/secret-box.js';
import { reportFigures } from './support/standalone.js';

// `SIZES=1000,10000` and `BLOCKS=5` for a shorter run (`npm run bench -- --quick`).
const SIZES = (process.env.SIZES ?? '1000,10000,100000').split(',').map(Number);
const BLOCKS_PER_SIZE = Number(process.env.BLOCKS ?? 20);
const CHAIN_ID = 31337;

const anvil = await startAnvil();
const usdc = await deployTestToken(anvil.rpcUrl);
const config = parseConfig({
  secret_keys: [testSecretKey()],
  xpub: testMerchantWallet().xpub,
  chains: [
    {
      key: 'anvil',
      id: CHAIN_ID,
      name: 'Anvil (local)',
      rpc_url: anvil.rpcUrl,
      confirmations: 1,
      polling_interval_ms: 600_000,
      tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
    },
  ],
  rates: { ETH: '2000' },
  log_level: 'warn',
});
const db = await openPglite('memory://');
await migrate(db);
const app = await buildApp({ config, db, logger: false, secrets: ephemeralSecretBox() });

const calls = { n: 0 };
const inner = http(anvil.rpcUrl)({ retryCount: 0 });
const request = ((args: { method: string; params?: unknown }) => {
  calls.n += 1;
  return inner.request(args as never);
}) as EIP1193RequestFn;
const client = createPublicClient({ transport: custom({ request }) });
const watcher = startChainWatcher({
  chain: config.chains[0]!,
  sessions: app.sessions,
  logger: console,
  client: client as never,
});
const { test: anvilClient, wallet } = devClients(anvil.rpcUrl);
/**
 * The watcher's own first tick runs as it starts (later ones only every 10 minutes): the bench's first
 * `syncOnce()` may overlap it, and the cursor fence then abandons one of the two — again, then.
 */
async function firstSync() {
  for (;;) {
    try {
      return await watcher.syncOnce();
    } catch (error) {
      if (!(error instanceof ChainCursorMovedError)) throw error;
    }
  }
}
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

console.log(
  `watcher bench: ${BLOCKS_PER_SIZE} blocks per size, 12 watched + 5 unwatched transfers per block`,
);
console.log('open payments | address book load | per block p50 | p95 | max | RPC calls/block');
let total = 0;
const figures: { size: number; p50: number; p95: number; rpcPerBlock: number }[] = [];
for (const size of SIZES) {
  let started = performance.now();
  await insertOpenPayments(db, { count: size - total - 12, chainId: CHAIN_ID, tokenAddress: usdc });
  const payers = [];
  for (let i = 0; i < 12; i++) {
    const session = await app.sessions.create({ amount: '1000.00', currency: 'USD' });
    const method = i < 10 ? 'usdc@anvil' : 'eth@anvil';
    const buyer = await app.sessions.choosePayment(session.id, method);
    payers.push({ address: buyer.payment!.address as Address, method });
  }
  total = size;
  const insertMs = performance.now() - started;
  await anvilClient.mine({ blocks: 1 });
  started = performance.now();
  await firstSync(); // a new block: loads the new addresses into the address book
  const loadMs = performance.now() - started;

  const times: number[] = [];
  let rpc = 0;
  await anvilClient.setAutomine(false);
  for (let block = 0; block < BLOCKS_PER_SIZE; block++) {
    for (const payer of payers) {
      if (payer.method === 'usdc@anvil') {
        await wallet.writeContract({
          address: usdc,
          abi: testTokenAbi,
          functionName: 'transfer',
          args: [payer.address, 1_000n],
        });
      } else {
        await wallet.sendTransaction({ to: payer.address, value: 1_000n });
      }
    }
    for (let i = 0; i < 5; i++) {
      const stranger = privateKeyToAccount(generatePrivateKey()).address;
      await wallet.writeContract({
        address: usdc,
        abi: testTokenAbi,
        functionName: 'transfer',
        args: [stranger, 1n],
      });
    }
    await anvilClient.mine({ blocks: 1 });
    calls.n = 0;
    started = performance.now();
    await watcher.syncOnce();
    times.push(performance.now() - started);
    rpc += calls.n;
  }
  await anvilClient.setAutomine(true);
  figures.push({
    size,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    rpcPerBlock: rpc / BLOCKS_PER_SIZE,
  });
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `${String(size).padStart(13)} | ${fmt(loadMs).padStart(17)} | ${fmt(percentile(times, 50)).padStart(13)} | ${fmt(
      percentile(times, 95),
    ).padStart(8)} | ${fmt(Math.max(...times)).padStart(8)} | ${(rpc / BLOCKS_PER_SIZE).toFixed(1)}` +
      `   (bulk insert ${fmt(insertMs)})`,
  );
}
reportFigures({ blocks: BLOCKS_PER_SIZE, sizes: figures });
await watcher.stop();
await app.server.close();
await db.close();
await anvil.stop();
