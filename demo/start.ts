/**
 * `npm run demo`: the whole thing on this machine, in one command — a real anvil chain, a test USDC,
 * the backend on PGlite, the element built with Vite, and a merchant page that embeds it.
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { build } from 'vite';
import { parseConfig } from '../packages/server/src/config.js';
import { startServer } from '../packages/server/src/server.js';
import { deployTestToken, freePort, startAnvil } from '../test/support/chain.js';
import { buildFrameworkBundles } from './framework-bundles.js';
import { startMerchantServer } from './merchant-server.js';
import { createWebhookHandler } from './webhook-handler.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.demo-data');

// A well-known test mnemonic, for the local chain only: the backend gets its xpub, never the words.
const DEMO_MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const DEMO_SECRET_KEY = 'sk_test_demo0000000000000000000000000000';

const portOr = async (preferred: number) => {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const probe = createServer();
    probe.once('error', () => freePort().then(resolve));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
};

console.log('• building the element (vite)…');
await build({ root, logLevel: 'warn', configFile: join(root, 'vite.config.ts') });
// The classic script (dist/crypto-checkout.classic.js), for script-tag.html; after the ES build, whose
// WalletConnect chunk it imports.
await build({ root, logLevel: 'warn', configFile: join(root, 'vite.classic.config.ts') });
// crypto-checkout/react (dist/react.js), for the React page.
await build({ root, logLevel: 'warn', configFile: join(root, 'vite.react.config.ts') });

console.log('• starting anvil (1 s blocks)…');
const anvil = await startAnvil({ port: await portOr(8545), blockTime: 1 });
const usdc = await deployTestToken(anvil.rpcUrl);

// Each run starts a fresh chain, so it also starts a fresh database.
await rm(dataDir, { recursive: true, force: true });
await mkdir(dataDir, { recursive: true });
await writeFile(join(dataDir, 'demo.json'), JSON.stringify({ rpcUrl: anvil.rpcUrl, usdc }, null, 2));

// The Dev wallet: a wallet in the page for this chain (test/support/dev-wallet.ts), never part of dist/.
console.log('• building the Dev wallet (vite)…');
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir: join(dataDir, 'dev-wallet'),
    lib: {
      entry: join(root, 'test', 'support', 'dev-wallet.ts'),
      formats: ['es'],
      fileName: () => 'dev-wallet.js',
    },
  },
});

// React, Vue and the compiled Svelte app for the framework pages (react.html, vue.html, svelte.html).
console.log('• bundling React, Vue and the Svelte app for the framework pages…');
await buildFrameworkBundles({ root, outDir: join(dataDir, 'vendor') });

const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC)).derive(
  "m/44'/60'/0'/0",
).publicExtendedKey;
const config = parseConfig({
  port: await portOr(8787),
  data_dir: join(dataDir, 'pglite'),
  secret_keys: [DEMO_SECRET_KEY],
  xpub,
  chains: [
    {
      key: 'anvil',
      id: 31337,
      name: 'Anvil (local)',
      rpc_url: anvil.rpcUrl,
      confirmations: 2,
      polling_interval_ms: 250,
      tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
    },
  ],
  rates: { ETH: '3000' },
  log_level: process.env.LOG_LEVEL ?? 'warn',
});
console.log('• starting the backend (PGlite in .demo-data/)…');
const backend = await startServer(config);
const webhooks = createWebhookHandler();
const merchant = await startMerchantServer({
  port: await portOr(5173),
  apiUrl: backend.url,
  secretKey: DEMO_SECRET_KEY,
  pageDir: join(root, 'demo'),
  distDir: join(root, 'dist'),
  devWallet: { dir: join(dataDir, 'dev-wallet'), rpcUrl: anvil.rpcUrl },
  webhooks,
  vendorDir: join(dataDir, 'vendor'),
});

// The shop registers its webhook endpoint with the backend and keeps the signing secret it gets.
const endpointResponse = await fetch(`${backend.url}/v1/webhook_endpoints`, {
  method: 'POST',
  headers: { authorization: `Bearer ${DEMO_SECRET_KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({ url: `${merchant.url}/webhooks`, description: 'demo shop' }),
});
const endpoint = (await endpointResponse.json()) as { id: string; secret: string; secret_prefix: string };
if (!endpointResponse.ok) throw new Error(`registering the webhook endpoint: ${JSON.stringify(endpoint)}`);
webhooks.useSecrets([endpoint.secret]);

console.log(`
  crypto-checkout demo is running

  Shop (open this):  ${merchant.url}
  Backend API:       ${backend.url}   (secret key ${DEMO_SECRET_KEY})
  Chain (anvil):     ${anvil.rpcUrl}   chain id 31337, test USDC at ${usdc}
  Webhooks:          ${endpoint.id} → ${merchant.url}/webhooks (secret ${endpoint.secret_prefix});
                     each one the shop receives is logged below with a ✓

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
  merchant.server.close();
  await backend.stop();
  await anvil.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
