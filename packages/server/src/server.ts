import type { FastifyBaseLogger } from 'fastify';
import { buildApp, type App } from './app.js';
import { startChainWatcher, type ChainWatcher } from './chain/chain-watcher.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './store/database.js';
import { migrate } from './store/migrations.js';
import { startWebhookDispatcher, type WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

/** How often expired sessions are swept, in ms (also those nobody is watching). */
const EXPIRY_SWEEP_MS = 1_000;
/** How often idempotency keys past their 24 hours are deleted, in ms. */
const IDEMPOTENCY_PURGE_MS = 60 * 60 * 1000;

/** A running backend: HTTP server, chain watchers and the expiry sweeper. */
export interface RunningServer {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8787`. */
  url: string;
  app: App;
  db: Database;
  watchers: ChainWatcher[];
  /** The webhook delivery worker. */
  webhooks: WebhookDispatcher;
  /** Stops accepting requests, stops the watchers and closes the database, in that order. */
  stop(): Promise<void>;
}

/**
 * Opens the database, applies migrations, starts one watcher per chain and the expiry sweeper, and
 * listens. Used by `main.ts`, the demo and the tests, so all three run the same code.
 * @example const server = await startServer(loadConfig()); console.log(server.url);
 */
export async function startServer(
  config: Config,
  options: {
    logger?: FastifyBaseLogger | false;
    db?: Database;
    heartbeatMs?: number;
    /** Where the hosted checkout page's built scripts are; default: the package's `dist/`. */
    distDir?: string;
  } = {},
): Promise<RunningServer> {
  const db =
    options.db ?? (await openDatabase({ databaseUrl: config.database_url, dataDir: config.data_dir }));
  await migrate(db);
  const app = await buildApp({
    config,
    db,
    logger: options.logger,
    heartbeatMs: options.heartbeatMs,
    distDir: options.distDir,
  });
  const log = app.server.log;
  if (!config.secret_keys.length && !(await app.apiKeys.countActive())) {
    log.warn(
      'no secret key: every merchant call will answer 401. Set CC_SECRET_KEYS or run `npm run cli -- keys create --mode test`',
    );
  }
  const watchers = config.chains.map((chain) =>
    startChainWatcher({ chain, store: app.store, sessions: app.sessions, logger: log }),
  );
  const dispatcher = startWebhookDispatcher({
    store: app.webhooks.store,
    config: config.webhooks,
    logger: log,
  });
  // A status change may have queued deliveries: look now rather than at the next poll.
  const unsubscribeBus = app.bus.subscribeAll(() => dispatcher.wake());
  const unsubscribeOutbox = app.webhooks.outbox.onQueued(() => dispatcher.wake());
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    app.sessions
      .expireDue()
      .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'expiry sweep failed'))
      .finally(() => (sweeping = false));
  }, EXPIRY_SWEEP_MS);
  const purgeIdempotencyKeys = () =>
    app.idempotency
      .purgeExpired()
      .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'idempotency key purge failed'));
  void purgeIdempotencyKeys();
  const purger = setInterval(purgeIdempotencyKeys, IDEMPOTENCY_PURGE_MS);
  const address = await app.server.listen({ host: config.host, port: config.port });
  let stopping: Promise<void> | null = null;
  return {
    url: address.replace('[::1]', '127.0.0.1'),
    app,
    db,
    watchers,
    webhooks: dispatcher,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweeper);
        clearInterval(purger);
        await Promise.all(watchers.map((w) => w.stop()));
        // Open event streams would hold close() forever: end them first.
        app.server.server.closeAllConnections?.();
        await app.server.close();
        unsubscribeBus();
        unsubscribeOutbox();
        // Attempts in flight are aborted and handed back (due again at once) before the database closes.
        await dispatcher.stop();
        if (!options.db) await db.close();
      })();
      return stopping;
    },
  };
}
