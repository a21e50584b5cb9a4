import { randomBytes } from 'node:crypto';
import type { Session } from '@crypto-checkout/protocol';
import { buildApp, type App, type AppOptions } from '../../packages/server/src/app.js';
import { parseConfig, type Config, type ConfigInput } from '../../packages/server/src/config.js';
import { openPglite, type Database } from '../../packages/server/src/store/database.js';
import { migrate } from '../../packages/server/src/store/migrations.js';
import { SecretBox } from '../../packages/server/src/store/secret-box.js';
import { recordSecrets, testLogger, TEST_LOG_DIR } from './logs.js';
import { testMerchantWallet, testSecretKey } from './stack.js';

/** The token address the inject tests configure (no chain is contacted by them). */
export const FAKE_USDC = '0x5fbdb2315678afecb367f032d93f642f64180aa3';

/**
 * The key every test of a process seals secrets with (base64, as `CC_ENCRYPTION_KEY` takes it):
 * apps, stores and CLI runs that share a database must share it, as the instances of a deployment
 * share `CC_ENCRYPTION_KEY`.
 */
export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');
recordSecrets(TEST_ENCRYPTION_KEY);

/** Seals with {@link TEST_ENCRYPTION_KEY}. */
export const testSecretBox = new SecretBox([Buffer.from(TEST_ENCRYPTION_KEY, 'base64')]);

/** An app on in-memory PGlite, built without listening and without chain watchers. */
export interface TestApp extends App {
  config: Config;
  secretKey: string;
  wallet: ReturnType<typeof testMerchantWallet>;
  /** Creates a session through the API; fails the test unless it answers 201. */
  createSession(body?: Record<string, unknown>): Promise<Session>;
  close(): Promise<void>;
}

/** The configuration the inject tests use: one anvil chain with a fake USDC, never contacted. */
export function testConfig(overrides: Partial<ConfigInput> = {}): Config {
  return parseConfig({
    secret_keys: [testSecretKey()],
    xpub: testMerchantWallet().xpub,
    chains: [
      {
        key: 'anvil',
        id: 31337,
        name: 'Anvil (local)',
        rpc_url: 'http://127.0.0.1:1',
        confirmations: 2,
        tokens: [{ symbol: 'USDC', address: FAKE_USDC, decimals: 6, peg: 'USD' }],
      },
    ],
    rates: { ETH: '3000' },
    ...overrides,
    // The rate limits and load shedding are off unless a test turns them on (test/server/limits.test.ts):
    // a test sends hundreds of requests (and 401s) from one address in seconds, and the test process
    // runs the database and many apps in one event loop, whose stalls are not a server's overload.
    limits: {
      ...overrides.limits,
      rate_limits: { enabled: false, ...overrides.limits?.rate_limits },
      load_shedding: { enabled: false, ...overrides.limits?.load_shedding },
    },
  });
}

/** Secret-shaped strings in a response body: client secrets, signing secrets, secret keys. */
function secretsIn(body: string): string[] {
  return (
    body.match(/cs_[A-Za-z0-9]+_secret_[A-Za-z0-9]+|whsec_[A-Za-z0-9+/=]+|sk_(?:test|live)_[A-Za-z0-9]+/g) ??
    []
  );
}

/**
 * An in-memory PGlite with the current schema, as the server opens one (`openDatabase`): from the
 * build's template, initdb'd and migrated already, then migrated (a no-op, unless there is no template
 * for this schema and PGlite version, when it starts from initdb). Starting from the template takes a
 * fraction of initdb and the migrations (≈ 3 s against 15 s on a loaded 2-core machine), which every
 * inject test used to pay. Tests of the migrations themselves open an empty PGlite instead.
 * @example const db = await migratedPglite();
 */
export async function migratedPglite(): Promise<Database> {
  const db = await openPglite('memory://', { fromTemplate: true });
  await migrate(db);
  return db;
}

/**
 * Builds the app for `inject()` tests. It logs nothing, unless the log scan runs (`npm run
 * test:server`): then it logs at `trace` to the scan's folder and records the secrets it answers.
 */
export async function buildTestApp(
  overrides: Partial<ConfigInput> = {},
  options: Pick<AppOptions, 'clock' | 'logger' | 'idempotency' | 'distDir' | 'resolveHost'> = {},
): Promise<TestApp> {
  const wallet = testMerchantWallet();
  const secretKey = testSecretKey();
  const config = testConfig({ secret_keys: [secretKey], xpub: wallet.xpub, ...overrides });
  const db = await migratedPglite();
  const app = await buildApp({
    config,
    db,
    secrets: testSecretBox,
    ...options,
    logger: options.logger ?? testLogger(),
    // Every answer of every inject test is held against the schema its route documents.
    checkResponses: true,
  });
  // For the log scan: every secret an answer hands out (client secrets, signing secrets, keys).
  if (TEST_LOG_DIR) {
    app.server.addHook('onSend', async (_request, _reply, payload) => {
      if (typeof payload === 'string') recordSecrets(...secretsIn(payload));
      return payload;
    });
  }
  return {
    ...app,
    config,
    secretKey,
    wallet,
    async createSession(body = {}) {
      const response = await app.server.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: `Bearer ${secretKey}` },
        payload: { amount: '49.99', currency: 'USD', ...body },
      });
      if (response.statusCode !== 201) throw new Error(`create: ${response.statusCode} ${response.body}`);
      return response.json() as Session;
    },
    async close() {
      await app.server.close();
      await db.close();
    },
  };
}
