/**
 * `npm run demo:pay -- <address> <amount> [usdc|eth]`: pays from anvil's funded development account
 * on the chain that `npm run demo` started.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAddress, type Address } from 'viem';
import { sendDevPayment } from '../test/support/chain.js';

const [address, amount, token = 'usdc'] = process.argv.slice(2);
const usage =
  'usage: npm run demo:pay -- <address> <amount> [usdc|eth]   e.g. npm run demo:pay -- 0xAbC… 24.00';
if (
  !address ||
  !isAddress(address) ||
  !amount ||
  !/^\d+(\.\d+)?$/.test(amount) ||
  !['usdc', 'eth'].includes(token)
) {
  console.error(usage);
  process.exit(2);
}
const file = join(dirname(fileURLToPath(import.meta.url)), '..', '.demo-data', 'demo.json');
let demo: { rpcUrl: string; usdc: Address };
try {
  demo = JSON.parse(await readFile(file, 'utf8')) as typeof demo;
} catch {
  console.error('no running demo found: start it first with `npm run demo`');
  process.exit(1);
}
const hash = await sendDevPayment(
  demo.rpcUrl,
  address,
  amount,
  token === 'usdc' ? { address: demo.usdc, decimals: 6 } : null,
);
console.log(`sent ${amount} ${token.toUpperCase()} to ${address}\ntx ${hash}`);
