/**
 * `npm run demo:pay -- <address> <amount> [usdc|eth|ltc]`: pays from anvil's funded development
 * account on the chain that `npm run demo` started, or (`ltc`) from its Litecoin regtest node's buyer wallet.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAddress, type Address } from 'viem';
import { nodeRpc } from '../packages/server/src/chain/utxo/node-rpc.js';
import { sendDevPayment } from '../test/support/chain.js';

const [address, amount, token = 'usdc'] = process.argv.slice(2);
const usage =
  'usage: npm run demo:pay -- <address> <amount> [usdc|eth|ltc]   e.g. npm run demo:pay -- 0xAbC… 24.00';
if (
  !address ||
  !(token === 'ltc' || isAddress(address)) ||
  !amount ||
  !/^\d+(\.\d+)?$/.test(amount) ||
  !['usdc', 'eth', 'ltc'].includes(token)
) {
  console.error(usage);
  process.exit(2);
}
const file = join(dirname(fileURLToPath(import.meta.url)), '..', '.demo-data', 'demo.json');
let demo: { rpcUrl: string; usdc: Address; litecoinRpcUrl?: string | null };
try {
  demo = JSON.parse(await readFile(file, 'utf8')) as typeof demo;
} catch {
  console.error('no running demo found: start it first with `npm run demo`');
  process.exit(1);
}
if (token === 'ltc') {
  if (!demo.litecoinRpcUrl) {
    console.error(
      'this demo runs no Litecoin node: install litecoind (apt-get install litecoind) and restart it',
    );
    process.exit(1);
  }
  // From the regtest node's funded "buyer" wallet (test/support/litecoind.ts), then one block.
  const rpc = nodeRpc(demo.litecoinRpcUrl);
  const txid = await rpc<string>('sendtoaddress', [address, amount], 'buyer');
  await rpc('generatetoaddress', [1, await rpc<string>('getnewaddress', [], 'buyer')]);
  console.log(`sent ${amount} LTC to ${address}\ntx ${txid}`);
  process.exit(0);
}
const hash = await sendDevPayment(
  demo.rpcUrl,
  address as Address,
  amount,
  token === 'usdc' ? { address: demo.usdc, decimals: 6 } : null,
);
console.log(`sent ${amount} ${token.toUpperCase()} to ${address}\ntx ${hash}`);
