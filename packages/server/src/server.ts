import type { FastifyBaseLogger } from 'fastify';
import { buildApp, type App } from './app.js';
import type { ChainWatcher } from './chain/family.js';
import { startWorkers } from './composition.js';
import type { EarlyListener } from './early-listener.js';
import { ShuttingDownError } from './errors.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import type { Config } from './config.js';
import { deferredDatabase } from './store/deferred-database.js';
import { isFreshFromTemplate, openDatabase, type Database } from './store/database.js';
import { migrate } from './store/migrations.js';
import { loadSecretBox } from './store/secret-box.js';
import { prepareSecretsAtRest } from './store/secrets-at-rest.js';
import { markStartup } from './startup-marks.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

/** A running backend: HTTP server, chain watchers, webhook delivery and the expiry sweep. */
export interface RunningServer {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8787`. */
  url: string;
  app: App;
  db: Database;
  watchers: ChainWatcher[];
  /** The webhook delivery worker. */
  webhooks: WebhookDispatcher;
  /** Base URL of the metrics port (`metrics.port`), when configured. */
  metricsUrl: string | null;
  /**
   * Shuts down gracefully, within `shutdown_timeout_ms` of the configuration (or `timeoutMs`):
   * - stops accepting connections at once (new ones are refused; a new request on a kept-alive
   *   connection answers 503), and stops the workers from starting anything new;
   * - ends every event stream with a `retry:` hint, so that `EventSource` reconnects (to this
   *   server once restarted, or to another instance) instead of giving up;
   * - lets requests in flight finish, and answers them with `Connection: close`;
   * - lets webhook attempts, an expiry sweep and a watcher tick in flight finish;
   * - at the deadline cuts off what is left (connections closed; webhook attempts aborted and handed
   *   back, due again at once), then closes the database, unless it was passed in.
   * Calling it again returns the same promise.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Opens the database, applies migrations (unless it was just filled from the build's migrated
 * template), builds the app and its services meanwhile, starts the workers
 * (one watcher per chain, webhook delivery, expiry sweep) and listens: the composition root a
 * running backend goes through. Used by `main.ts`, the demo and the tests, so all three run the
 * same code.
 * @example const server = await startServer(loadConfig()); console.log(server.url);
 */
export async function startServer(
  config: Config,
  options: {
    logger?: FastifyBaseLogger | false;
    db?: Database;
    /**
     * The configured database, already being opened (main.ts starts opening it while the rest of
     * the server's modules load); unlike `db`, the server owns it and closes it when it stops.
     */
    opening?: Promise<Database>;
    heartbeatMs?: number;
    /** Where the hosted checkout page's built scripts are; default: the package's `dist/`. */
    distDir?: string;
    /**
     * The API port, already open and holding the connections made meanwhile (main.ts opens it first
     * thing, see `early-listener.ts`): the app takes over its socket instead of opening the port,
     * then answers the held connections. It is closed if the start fails.
     */
    listener?: EarlyListener;
  } = {},
): Promise<RunningServer> {
  const ownsDb = !options.db;
  try {
    return await start(config, options, ownsDb);
  } catch (error) {
    await options.listener?.close();
    throw error;
  }
}

/** {@link startServer}, without closing its early listener when it fails. */
async function start(
  config: Config,
  options: Parameters<typeof startServer>[1] & object,
  ownsDb: boolean,
): Promise<RunningServer> {
  const opening =
    options.db ??
    options.opening ??
    openDatabase({ databaseUrl: config.database_url, dataDir: config.data_dir });
  // The key first: it needs no database (the configuration, or the key file).
  const loaded = await loadSecretBox(config).catch(async (error: unknown) => {
    if (ownsDb)
      await Promise.resolve(opening).then(
        (db) => db.close(),
        () => undefined,
      );
    throw error;
  });
  // The database is usable once opened, migrated and its secrets checked against the key. The app
  // is built meanwhile (store/deferred-database.ts): it queries nothing while it is built, and every
  // query it makes later waits for this.
  const checking = (async () => {
    const db = await opening;
    markStartup('database_ready');
    // A database filled from this build's template as it opened holds every migration and no secret.
    const fresh = isFreshFromTemplate(db);
    try {
      if (!fresh) await migrate(db);
      markStartup('migrations_checked');
      // Before anything reads a secret: the wrong key stops start-up here, with a message saying so.
      const sealed = fresh ? 0 : await prepareSecretsAtRest(db, loaded.box);
      // A new key file is written only now: a start that failed the check leaves no wrong key behind.
      await loaded.save();
      markStartup('secrets_checked');
      return { db, sealed };
    } catch (error) {
      if (ownsDb) await db.close();
      throw error;
    }
  })();
  const building = buildApp({
    config,
    db: deferredDatabase(
      options.db?.kind ?? (config.database_url ? 'postgres' : 'pglite'),
      checking.then((c) => c.db),
    ),
    secrets: loaded.box,
    logger: options.logger,
    heartbeatMs: options.heartbeatMs,
    distDir: options.distDir,
  });
  const [checked, built] = await Promise.allSettled([checking, building]);
  if (checked.status === 'rejected' || built.status === 'rejected') {
    if (built.status === 'fulfilled') await built.value.server.close().catch(() => undefined);
    else if (checked.status === 'fulfilled' && ownsDb) await checked.value.db.close();
    throw checked.status === 'rejected' ? checked.reason : (built as PromiseRejectedResult).reason;
  }
  const { db, sealed } = checked.value;
  const app = built.value;
  const { source, keyFile } = loaded;
  markStartup('app_built');
  const log = app.server.log;
  if (source === 'new-key-file' || source === 'key-file')
    log.warn(
      { key_file: keyFile },
      `secrets in the database are encrypted with the key in ${keyFile}${source === 'new-key-file' ? ' (made now)' : ''}: ` +
        'set CC_ENCRYPTION_KEY in production, and back the key up apart from the database',
    );
  if (sealed)
    log.info({ sealed }, 'secrets stored in clear or with an older key were sealed with the current key');
  if (!config.secret_keys.length && !(await app.apiKeys.countActive())) {
    log.warn(
      'no secret key: every merchant call will answer 401. Set CC_SECRET_KEYS or run `crypto-checkout-server keys create --mode test`',
    );
  }
  // While draining, answers tell keep-alive clients to go: the connection closes after the answer
  // instead of lingering idle, which would hold the shutdown until the deadline.
  let draining = false;
  app.server.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  // A new request on a kept-alive connection during the drain: refused, to be sent again elsewhere.
  app.server.addHook('onRequest', async (_request, reply) => {
    if (!draining) return;
    reply.header('retry-after', '5');
    throw new ShuttingDownError('the server is shutting down; send the request again in a few seconds');
  });
  // Listen first, then start the workers: their first database work (the watchers' address books,
  // the first delivery poll) would otherwise queue ahead of start-up on PGlite's one connection, and a
  // port already taken fails before anything has started. Work that arrives in between waits for
  // the workers' first tick, as it would for any tick.
  const { listener } = options;
  const address = await app.server.listen({
    host: config.host,
    port: listener?.address.port ?? config.port,
    // Node's `listen({ handle })`: the socket main.ts opened, taken over without closing the port.
    ...(listener && ({ handle: listener.handle } as object)),
  });
  listener?.handOver(app.server.server);
  markStartup('listening');
  let metricsServer: MetricsServer | null = null;
  if (app.metrics && config.metrics.port !== undefined) {
    try {
      metricsServer = await startMetricsServer({ config: config.metrics, metrics: app.metrics, logger: log });
    } catch (error) {
      // A taken metrics port fails the start as a taken API port would, with nothing left running.
      await app.server.close();
      if (ownsDb) await db.close();
      throw error;
    }
    log.info({ url: metricsServer.url }, 'metrics are served on their own port');
  }
  const workers = await startWorkers({ config, services: app, logger: log });
  markStartup('workers_started');

  let stopping: Promise<void> | null = null;
  return {
    url: address.replace('[::1]', '127.0.0.1'),
    app,
    db,
    watchers: workers.watchers,
    webhooks: workers.webhooks,
    metricsUrl: metricsServer?.url ?? null,
    stop({ timeoutMs = config.shutdown_timeout_ms } = {}) {
      stopping ??= (async () => {
        const started = Date.now();
        const deadline = started + timeoutMs;
        draining = true;
        // Fastify's close: the event streams end with a retry hint (its preClose hook, in
        // routes/events.ts), the listening socket closes, idle connections close, and it resolves
        // once the requests in flight have been answered — or when the deadline cuts them off.
        const http = app.server.close();
        const cutOff = setTimeout(() => {
          log.warn(
            { timeout_ms: timeoutMs },
            'shutdown deadline reached: closing the connections still open',
          );
          app.server.server.closeAllConnections();
        }, timeoutMs);
        try {
          await Promise.all([http, workers.stop({ deadline }), metricsServer?.close()]);
        } finally {
          clearTimeout(cutOff);
        }
        if (ownsDb) await db.close();
        log.info({ ms: Date.now() - started }, 'shut down');
      })();
      return stopping;
    },
  };
}
