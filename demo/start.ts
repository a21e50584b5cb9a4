/**
 * `npm run demo`: the whole thing on this machine, in one command — a real anvil chain, a test USDC,
 * the backend on PGlite, the element built with Vite, and a merchant shop whose landing page links
 * every way to embed the checkout. `npm run demo -- --help` lists the options (ports, merchant name).
 * @module
 */
import { join } from 'node:path';
import { DEMO_PAGES } from './pages.js';
import {
  assertDemoPortsFree,
  DEMO_USAGE,
  DemoOptionsError,
  parseDemoOptions,
  type DemoOptions,
} from './options.js';
import { ROOT, startDemo } from './demo.js';

let options: DemoOptions | 'help';
try {
  options = parseDemoOptions(process.argv.slice(2), process.env);
  if (options !== 'help') await assertDemoPortsFree(options);
} catch (error) {
  if (!(error instanceof DemoOptionsError)) throw error;
  console.error(`npm run demo: ${error.message}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(DEMO_USAGE);
  process.exit(0);
}

const demo = await startDemo({
  ...options,
  dataDir: join(ROOT, '.demo-data'),
  distDir: join(ROOT, 'dist'),
  say: (line) => console.log(`• ${line}`),
  logLevel: process.env.LOG_LEVEL ?? 'warn',
}).catch((error: unknown) => {
  // A port taken between the check and the start: the same clear message, no stack.
  if (!(error instanceof DemoOptionsError)) throw error;
  console.error(`npm run demo: ${error.message}`);
  process.exit(2);
});

const pageUrl = (path: string) => `${demo.shopUrl}${path === '/' ? '' : path}`;
const width = Math.max(...DEMO_PAGES.map((page) => page.title.length));
const urlWidth = Math.max(...DEMO_PAGES.map((page) => pageUrl(page.path).length));
const curl = [
  `curl -s ${demo.apiUrl}/v1/sessions \\`,
  `      -H 'authorization: Bearer ${demo.secretKey}' \\`,
  `      -H 'content-type: application/json' \\`,
  `      -d '{"amount": "24.00", "currency": "USD"}'`,
].join('\n');

console.log(`
  crypto-checkout demo is running

  Open the shop:  ${demo.shopUrl}   (its landing page links every demo page)
${DEMO_PAGES.map((page) => `    ${page.title.padEnd(width)}  ${pageUrl(page.path).padEnd(urlWidth)}  ${page.line}`).join('\n')}

  Backend API:    ${demo.apiUrl}   (OpenAPI: ${demo.apiUrl}/openapi.json)
  Secret key:     ${demo.secretKey}   (a test key of this demo; keep a real one on your server only)
  Merchant name:  ${options.merchantName}   (on the hosted checkout page)
  Chain (anvil):  ${demo.rpcUrl}   chain id 31337, test USDC at ${demo.usdc}
  Litecoin:       ${
    'missing' in demo.litecoin
      ? `not in this demo: ${demo.litecoin.missing}`
      : 'regtest node beside anvil (ltc@litecoin-regtest); pay with npm run demo:pay -- <address> <amount> ltc'
  }
  Webhooks:       ${demo.webhookEndpoint.id} → ${demo.shopUrl}/webhooks (secret ${demo.webhookEndpoint.secretPrefix});
                  each one the shop receives is logged below with a ✓

  Create a session as your server would, then open its checkout_url:
    ${curl}

  Pay with "Dev wallet" in the checkout (anvil's funded account, in the page), or from a second
  terminal with the address and amount the checkout shows:
    npm run demo:pay -- <address> <amount>          # USDC
    npm run demo:pay -- <address> <amount> eth      # native ETH

  Ctrl+C stops everything.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\n• stopping…');
  await demo.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
