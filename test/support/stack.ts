import { randomBytes } from 'node:crypto';
import { HDKey } from '@scure/bip32';
import type { Address } from 'viem';
import { english, generateMnemonic, mnemonicToAccount } from 'viem/accounts';
import { mnemonicToSeedSync } from '@scure/bip39';
import type { CreateSessionRequest, Session } from '@crypto-checkout/protocol';
import { parseConfig, type Config, type ConfigInput } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/server.js';
import { recordSecrets, testLogger } from './logs.js';
import { deployTestToken, devClients, sendDevPayment, startAnvil, type Anvil } from '../support/chain.js';

/** One key for every stack of this process, so that a restarted stack opens what the last one sealed. */
const STACK_ENCRYPTION_KEY = randomBytes(32).toString('base64');
recordSecrets(STACK_ENCRYPTION_KEY);

/** A merchant wallet made up for one test run: its xpub goes to the server, its keys stay here. */
export function testMerchantWallet() {
  const mnemonic = generateMnemonic(english);
  const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic)).derive("m/44'/60'/0'/0").publicExtendedKey;
  return {
    mnemonic,
    xpub,
    addressAt: (index: number) => mnemonicToAccount(mnemonic, { addressIndex: index }).address,
  };
}

/** A fresh secret key in the server's format. */
export function testSecretKey(): string {
  const key = `sk_test_${randomBytes(24).toString('hex')}`;
  recordSecrets(key);
  return key;
}

/** Everything real, started for a test: anvil, a deployed test USDC, the backend on PGlite. */
export interface Stack {
  apiUrl: string;
  rpcUrl: string;
  secretKey: string;
  usdc: Address;
  config: Config;
  anvil: Anvil;
  server: RunningServer;
  /** Creates a session with the secret key; default `{ amount: '10.00', currency: 'USD' }`. */
  createSession(body?: Partial<CreateSessionRequest>): Promise<Session>;
  /** Sends a real transfer of `amount` whole tokens (`usdc` default, or `eth`) and waits until mined. */
  pay(address: string, amount: string, token?: 'usdc' | 'eth'): Promise<string>;
  /** Mines `blocks` empty blocks. */
  mine(blocks: number): Promise<void>;
  /** Moves a session's expiry to now and runs the expiry sweep. */
  expire(sessionId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts anvil, deploys USDC, starts the backend (PGlite in memory unless `databaseUrl`) with 2
 * confirmations and a 100 ms polling interval.
 */
export async function startStack(
  options: {
    databaseUrl?: string;
    confirmations?: number;
    config?: Partial<ConfigInput>;
    /** A block explorer for the anvil chain (links to transactions); default none. */
    explorerUrl?: string;
    /** The built element and hosted page the backend serves; default: the package's `dist/`. */
    distDir?: string;
    /** Settings of the anvil chain that replace the defaults (e.g. `polling_interval_ms`, `ws_url`). */
    chain?: Partial<NonNullable<ConfigInput['chains']>[number]>;
  } = {},
): Promise<Stack> {
  const anvil = await startAnvil();
  const usdc = await deployTestToken(anvil.rpcUrl);
  const secretKey = testSecretKey();
  const config = parseConfig({
    port: 0,
    data_dir: 'memory://',
    ...(options.databaseUrl ? { database_url: options.databaseUrl } : {}),
    // On PostgreSQL an in-memory data_dir would put the default key file in the working directory.
    encryption_key: STACK_ENCRYPTION_KEY,
    secret_keys: [secretKey],
    xpub: testMerchantWallet().xpub,
    chains: [
      {
        key: 'anvil',
        id: 31337,
        name: 'Anvil (local)',
        rpc_url: anvil.rpcUrl,
        confirmations: options.confirmations ?? 2,
        polling_interval_ms: 100,
        tokens: [{ symbol: 'USDC', address: usdc, decimals: 6, peg: 'USD' }],
        ...(options.explorerUrl ? { explorer_url: options.explorerUrl } : {}),
        ...options.chain,
      },
    ],
    rates: { ETH: '2000' },
    log_level: 'warn',
    ...options.config,
    // Off unless a test turns them on, as in test/support/app.ts: tests poll the API every 25 ms and
    // the backend shares the test process's event loop with anvil's clients and PGlite.
    limits: {
      ...options.config?.limits,
      rate_limits: { enabled: false, ...options.config?.limits?.rate_limits },
      load_shedding: { enabled: false, ...options.config?.limits?.load_shedding },
    },
  });
  const server = await startServer(config, { logger: testLogger(), distDir: options.distDir });
  const { test } = devClients(anvil.rpcUrl);
  return {
    apiUrl: server.url,
    rpcUrl: anvil.rpcUrl,
    secretKey,
    usdc,
    config,
    anvil,
    server,
    async createSession(body = {}) {
      const response = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: '10.00', currency: 'USD', ...body }),
      });
      if (response.status !== 201)
        throw new Error(`create session: ${response.status} ${await response.text()}`);
      const session = (await response.json()) as Session;
      recordSecrets(session.client_secret);
      return session;
    },
    pay: (address, amount, token = 'usdc') =>
      sendDevPayment(
        anvil.rpcUrl,
        address as Address,
        amount,
        token === 'usdc' ? { address: usdc, decimals: 6 } : null,
      ),
    async mine(blocks) {
      await test.mine({ blocks });
    },
    async expire(sessionId) {
      await server.app.store.setExpiresAt(sessionId, new Date());
      await server.app.sessions.expireDue();
    },
    async stop() {
      await server.stop();
      await anvil.stop();
    },
  };
}
