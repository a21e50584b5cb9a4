/**
 * The whole demo, started from one function: the element built with Vite, a real anvil chain with a
 * test USDC, the backend on PGlite, and the merchant's shop that embeds the checkout. `npm run demo`
 * (demo/start.ts) calls it with the ports from its command line; test/e2e/demo.e2e.test.ts calls it
 * with ports the system chooses and folders of its own.
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import type { FastifyBaseLogger } from 'fastify';
import type { Address } from 'viem';
import { build } from 'vite';
import { parseConfig } from '../packages/server/src/config.js';
import { startServer } from '../packages/server/src/server.js';
import { deployTestToken, startAnvil } from '../test/support/chain.js';
import { litecoindMissing, startLitecoind } from '../test/support/litecoind.js';
import { buildFrameworkBundles } from './framework-bundles.js';
import { startMerchantServer } from './merchant-server.js';
import { DEMO_PORTS, portTakenError, type DemoOptions } from './options.js';
import { createWebhookHandler } from './webhook-handler.js';

/** The repository's root. */
export const ROOT = join(import.meta.dirname, '..');

// A well-known test mnemonic, for the local chain only: the backend gets its xpub, never the words.
const DEMO_MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
/** The demo merchant's secret key: a test key, printed on purpose, for this local demo only. */
export const DEMO_SECRET_KEY = 'sk_test_demo0000000000000000000000000000';

/** A running demo: its addresses, and how to stop it. */
export interface RunningDemo {
  /** The shop's base URL: the landing page. */
  shopUrl: string;
  /** The backend's base URL. */
  apiUrl: string;
  /** anvil's JSON-RPC URL. */
  rpcUrl: string;
  /** The test USDC's contract address. */
  usdc: Address;
  /** The merchant's secret key (a test key). */
  secretKey: string;
  /**
   * The Litecoin regtest node beside anvil (`ltc@litecoin-regtest`) when litecoind is installed,
   * else why not and how to add it.
   */
  litecoin: { rpcUrl: string } | { missing: string };
  /** The shop's webhook endpoint: its id and the shown prefix of its signing secret. */
  webhookEndpoint: { id: string; secretPrefix: string };
  /** Stops the shop, the backend and anvil. */
  stop(): Promise<void>;
}

/**
 * Builds and starts everything. `dataDir` is emptied first (a fresh chain needs a fresh database);
 * `distDir` receives the element's builds. `say` reports each step; `logger` is the backend's.
 * Throws a {@link DemoOptionsError} naming the port when one is taken at the moment it binds.
 */
export async function startDemo(
  options: DemoOptions & {
    dataDir: string;
    distDir: string;
    say?: (line: string) => void;
    logger?: FastifyBaseLogger | false;
    logLevel?: string;
  },
): Promise<RunningDemo> {
  const say = options.say ?? (() => {});
  const portError = (key: 'chainPort' | 'apiPort' | 'shopPort', error: unknown) => {
    const setting = DEMO_PORTS.find((s) => s.key === key)!;
    const text = `${(error as Error).message} ${(error as NodeJS.ErrnoException).code ?? ''}`;
    return /EADDRINUSE|address already in use/i.test(text)
      ? portTakenError(setting, options[setting.key], 'EADDRINUSE')
      : error;
  };
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
    say('building the element (vite)…');
    const outDir = { outDir: options.distDir, emptyOutDir: false };
    await build({ root: ROOT, logLevel: 'warn', configFile: join(ROOT, 'vite.config.ts'), build: outDir });
    // The classic script (crypto-checkout.classic.js), for script-tag.html; after the ES build, whose
    // WalletConnect chunk it imports.
    await build({
      root: ROOT,
      logLevel: 'warn',
      configFile: join(ROOT, 'vite.classic.config.ts'),
      build: outDir,
    });
    // crypto-checkout/react (react.js), for the React page.
    await build({
      root: ROOT,
      logLevel: 'warn',
      configFile: join(ROOT, 'vite.react.config.ts'),
      build: outDir,
    });

    // Each run starts a fresh chain, so it also starts a fresh database.
    await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });

    // The Dev wallet: a wallet in the page for this chain (test/support/dev-wallet.ts), never part of dist/.
    say('building the Dev wallet (vite)…');
    await build({
      root: ROOT,
      configFile: false,
      logLevel: 'warn',
      build: {
        outDir: join(options.dataDir, 'dev-wallet'),
        emptyOutDir: true,
        lib: {
          entry: join(ROOT, 'test', 'support', 'dev-wallet.ts'),
          formats: ['es'],
          fileName: () => 'dev-wallet.js',
        },
      },
    });
    // React, Vue and the compiled Svelte app for the framework pages (react.html, vue.html, svelte.html).
    say('bundling React, Vue and the Svelte app for the framework pages…');
    await buildFrameworkBundles({ root: ROOT, outDir: join(options.dataDir, 'vendor') });

    say('starting anvil (1 s blocks)…');
    const anvil = await startAnvil({ port: options.chainPort, blockTime: 1 }).catch((error: unknown) => {
      throw portError('chainPort', error);
    });
    stops.push(() => anvil.stop());
    const usdc = await deployTestToken(anvil.rpcUrl);
    // Litecoin is optional: with Debian's litecoind installed the demo runs it in regtest too.
    let litecoin: Awaited<ReturnType<typeof startLitecoind>> | null = null;
    if (!litecoindMissing) {
      say('starting litecoind (regtest)…');
      litecoin = await startLitecoind();
      const node = litecoin;
      stops.push(() => node.stop());
    }
    // For `npm run demo:pay`, which pays on these chains (the regtest node's password is this demo's).
    await writeFile(
      join(options.dataDir, 'demo.json'),
      JSON.stringify({ rpcUrl: anvil.rpcUrl, usdc, litecoinRpcUrl: litecoin?.rpcUrl ?? null }, null, 2),
    );

    const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC)).derive(
      "m/44'/60'/0'/0",
    ).publicExtendedKey;
    const config = parseConfig({
      port: options.apiPort,
      data_dir: join(options.dataDir, 'pglite'),
      secret_keys: [DEMO_SECRET_KEY],
      xpub,
      merchant_name: options.merchantName,
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
        ...(litecoin
          ? [
              {
                key: 'litecoin-regtest',
                rpc_url: litecoin.rpcUrl,
                xpub: HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC), {
                  public: 0x043587cf,
                  private: 0x04358394,
                }).derive("m/84'/1'/0'").publicExtendedKey,
                polling_interval_ms: 250,
              },
            ]
          : []),
      ],
      rates: { ETH: '3000', LTC: '80' },
      log_level: options.logLevel ?? 'warn',
    });
    say('starting the backend (PGlite)…');
    const backend = await startServer(config, {
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      distDir: options.distDir,
    }).catch((error: unknown) => {
      throw portError('apiPort', error);
    });
    stops.push(() => backend.stop());
    const webhooks = createWebhookHandler();
    const merchant = await startMerchantServer({
      port: options.shopPort,
      apiUrl: backend.url,
      secretKey: DEMO_SECRET_KEY,
      pageDir: join(ROOT, 'demo'),
      distDir: options.distDir,
      devWallet: { dir: join(options.dataDir, 'dev-wallet'), rpcUrl: anvil.rpcUrl },
      webhooks,
      vendorDir: join(options.dataDir, 'vendor'),
    }).catch((error: unknown) => {
      throw portError('shopPort', error);
    });
    stops.push(() => closeServer(merchant.server));

    // The shop registers its webhook endpoint with the backend and keeps the signing secret it gets.
    const endpointResponse = await fetch(`${backend.url}/v1/webhook_endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_SECRET_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${merchant.url}/webhooks`, description: 'demo shop' }),
    });
    const endpoint = (await endpointResponse.json()) as { id: string; secret: string; secret_prefix: string };
    if (!endpointResponse.ok)
      throw new Error(`registering the webhook endpoint: ${endpointResponse.status} ${endpoint.id ?? ''}`);
    webhooks.useSecrets([endpoint.secret]);

    return {
      shopUrl: merchant.url,
      apiUrl: backend.url,
      rpcUrl: anvil.rpcUrl,
      usdc,
      secretKey: DEMO_SECRET_KEY,
      litecoin: litecoin
        ? { rpcUrl: litecoin.rpcUrl }
        : { missing: litecoindMissing || 'litecoind did not start' },
      webhookEndpoint: { id: endpoint.id, secretPrefix: endpoint.secret_prefix },
      stop,
    };
  } catch (error) {
    // Whatever did start stops again, so that a failed start leaves no chain or server behind.
    await stop();
    throw error;
  }
}

/** Closes an HTTP server, its idle keep-alive connections too (a browser may hold some). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
