/**
 * The composition root: the one place that builds the backend's parts and hands each the others it
 * needs — configuration → stores → services ({@link createServices}) and, for a running server, the
 * background workers: chain watchers, webhook delivery, the expiry sweep and the idempotency purge
 * ({@link startWorkers}). `app.ts` registers the route groups on the services; `server.ts` opens the
 * database, calls both, listens and shuts down. Nothing else constructs a service, so a new
 * dependency is wired here once instead of in every entry point.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { PublicClient } from 'viem';
import type { Authenticator } from './auth.js';
import { chainGasPriceReader, chainHeadReader } from './chain/evm/chain-head.js';
import type { LedChainWatcher } from './chain/chain-leadership.js';
import { chainRails, type ChainRail } from './chain/family.js';
import { buildMethodRegistry } from './chain/registry.js';
import { metricsEnabled, type Config } from './config.js';
import { Idempotency, type IdempotencyOptions } from './idempotency.js';
import { keyAuthenticator } from './keys/key-authenticator.js';
import { Metrics } from './metrics.js';
import { toAtomic } from './money.js';
import { publicBaseUrl } from './public-url.js';
import { Readiness } from './readiness.js';
import { buildPricing, type Pricing } from './rates/build-pricing.js';
import { RateEstimates } from './rates/rate-estimates.js';
import { SessionBus } from './sessions/session-bus.js';
import { SessionFeed } from './sessions/session-feed.js';
import { SessionSearch } from './sessions/session-search.js';
import { SessionService } from './sessions/session-service.js';
import { ApiKeyStore } from './store/api-key-store.js';
import { ConnectionLock } from './store/connection-lock.js';
import type { Database } from './store/database.js';
import { IdempotencyStore } from './store/idempotency-store.js';
import type { SecretBox } from './store/secret-box.js';
import { SessionStore } from './store/session-store.js';
import { Ledger } from './treasury/ledger.js';
import { ledgerWebhooks } from './webhooks/ledger-webhooks.js';
import { sweepWebhooks, type SweepHook } from './webhooks/sweep-webhooks.js';
import { PayoutExecutor } from './treasury/payout-execution.js';
import { Payouts } from './treasury/payouts.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookEndpoints } from './webhooks/webhook-endpoints.js';
import { WebhookEvents } from './webhooks/webhook-events.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';
import { WebhookStore } from './webhooks/webhook-store.js';
import { webhookUrlPolicy, type ResolveHost } from './webhooks/webhook-url-guard.js';

/** How often expired sessions are swept, in ms (also those nobody is watching). */
const EXPIRY_SWEEP_MS = 1_000;
/** How often submitted payouts are looked for on chain, in ms. */
const PAYOUT_CONFIRM_MS = 5_000;
/** How often idempotency keys past their 24 hours are deleted, in ms. */
const IDEMPOTENCY_PURGE_MS = 60 * 60 * 1000;

/** What {@link createServices} needs. */
export interface ServicesOptions {
  config: Config;
  /** An open, migrated database. */
  db: Database;
  /**
   * Seals client secrets and webhook signing secrets in the database (`store/secret-box.ts`); every
   * instance on one database needs the same key.
   */
  secrets: SecretBox;
  /** Defaults to the real clock. */
  clock?: (() => Date) | undefined;
  /** Prices and currencies; default: built from the configuration's `pricing` (`rates/build-pricing.ts`). */
  pricing?: Pricing | undefined;
  /** `Idempotency-Key` tuning (waits, retention); tests shorten it. */
  idempotency?: Omit<IdempotencyOptions, 'clock'> | undefined;
  /**
   * The address the HTTP server listens on, once it does (`null` before): without `public_url`, the
   * links the backend hands out are built on it, which for `port: 0` is known only then.
   */
  listeningAddress?: (() => AddressInfo | string | null) | undefined;
  /**
   * Resolves webhook hosts for the SSRF guard, at endpoint creation and at every attempt; default:
   * the system resolver. Tests pass a fake DNS here.
   */
  resolveHost?: ResolveHost | undefined;
}

/** The backend's services, built once and shared by the routes, the workers and the tests. */
export interface Services {
  /** Sessions, deposits, chain data and session events. */
  store: SessionStore;
  /** Tells this instance's webhook worker that a session changed here. */
  bus: SessionBus;
  /**
   * Wakes the event streams of a session when an event of it commits, on any instance (`NOTIFY`);
   * one read per change for all the session's streams in this process.
   */
  feed: SessionFeed;
  /** The session lifecycle, and the chain watchers' way to record what they saw. */
  sessions: SessionService;
  /** Listing and exporting sessions. */
  search: SessionSearch;
  /** Identifies callers by their bearer token (secret keys, client secrets). */
  auth: Authenticator;
  /** Secret keys kept (hashed) in the database. */
  apiKeys: ApiKeyStore;
  /** `Idempotency-Key` handling; the workers purge expired keys with it. */
  idempotency: Idempotency;
  /**
   * The backend's public base URL: `public_url`, else the address it listens on (known once it
   * listens, also for `port: 0`).
   */
  publicUrl: () => string;
  /** Webhook endpoints, the outbox (hooked into every status change) and the event log. */
  webhooks: {
    store: WebhookStore;
    /** How the SSRF guard resolves webhook hosts (the workers' attempts use it too). */
    resolveHost: ResolveHost | undefined;
    endpoints: WebhookEndpoints;
    outbox: WebhookOutbox;
    events: WebhookEvents;
  };
  /** What `GET /ready` checks; {@link startWorkers} hands it the chain watchers. */
  readiness: Readiness;
  /**
   * The Prometheus metrics, when configured (`metrics.port` or `metrics.token`), else `null`: then
   * nothing is counted. {@link startWorkers} hands it the chain watchers and the webhook worker.
   */
  metrics: Metrics | null;
  /** Rate sources, the pricer and currencies; `pricing.stats` is each source's health (for metrics). */
  pricing: Pricing;
  /** Conversions at the current rate for merchants (`GET /v1/rates/estimate`). */
  estimates: RateEstimates;
  /** Each configured chain's family rail, by chain key: addresses, payment URIs, the watcher. */
  rails: Map<string, ChainRail>;
  /** The treasury: the append-only ledger, payouts and their unsigned export and confirmation. */
  treasury: {
    ledger: Ledger;
    payouts: Payouts;
    executor: PayoutExecutor;
    onSweepChange: SweepHook;
  };
}

/**
 * Builds every store and service on an open database, and connects them: every status change
 * writes its webhook event in the change's own transaction (the outbox hook).
 * @example const services = createServices({ config, db }); await services.sessions.create({ amount: '5.00', currency: 'USD' });
 */
export function createServices(options: ServicesOptions): Services {
  const { config, db, clock } = options;
  const pricing = options.pricing ?? buildPricing(config, clock);
  const metrics = metricsEnabled(config) ? new Metrics({ db, clock, rates: pricing.stats }) : null;
  const store = new SessionStore(db, options.secrets);
  const bus = new SessionBus();
  const apiKeys = new ApiKeyStore(db);
  const publicUrl = () => publicBaseUrl(config, options.listeningAddress?.() ?? null);
  const methods = buildMethodRegistry(config, pricing.pricer);
  const rails = chainRails(config);
  // These readers speak Ethereum JSON-RPC; other families answer `null` (no head, no gas price).
  const evmChains = config.chains.filter((chain) => chain.family === 'evm');
  const sessions = new SessionService({
    store,
    config,
    methods,
    rails,
    bus,
    pricer: pricing.pricer,
    currencies: pricing.currencies,
    clock,
    publicUrl,
    chainHead: chainHeadReader(evmChains, undefined, metrics?.observeRpc),
  });
  const webhookStore = new WebhookStore(db, options.secrets);
  const webhooks = {
    store: webhookStore,
    resolveHost: options.resolveHost,
    endpoints: new WebhookEndpoints({
      store: webhookStore,
      secretOverlapSeconds: config.webhooks.secret_overlap,
      clock,
      urlPolicy: webhookUrlPolicy(config.webhooks),
      resolveHost: options.resolveHost,
    }),
    outbox: new WebhookOutbox({ store: webhookStore, clock }),
    events: new WebhookEvents({ store: webhookStore }),
  };
  sessions.onStatusChange(webhooks.outbox.statusHook);
  // Confirmed receipts (and their reversals after a reorganisation) enter the ledger in the
  // transaction that changed the session's state.
  const ledger = new Ledger({
    db,
    methods,
    onAppend: ledgerWebhooks({
      outbox: webhooks.outbox,
      store: webhookStore,
      decimalsOf: (asset) => methods.get(asset)?.decimals ?? 0,
    }),
  });
  sessions.onStateApplied(ledger.stateHook);
  const payouts = new Payouts({
    db,
    ledger,
    methods,
    pricer: pricing.pricer,
    outbox: webhooks.outbox,
    webhookStore,
    reviewThreshold: config.payouts.review_threshold,
    currency: config.payouts.currency,
    clock,
  });
  const treasury = {
    ledger,
    payouts,
    /** Writes the sweep webhooks in the transaction that changes a sweep (webhooks/sweep-webhooks.ts). */
    onSweepChange: sweepWebhooks({
      outbox: webhooks.outbox,
      store: webhookStore,
      methodOf: (chainId, token) => ledger.methodOf(chainId, token),
    }),
    executor: new PayoutExecutor({ payouts, ledger, chains: config.chains, clock }),
  };
  // Counted in the change's transaction: one that rolls back afterwards is counted all the same (rare:
  // the change's own writes have succeeded by then).
  if (metrics)
    sessions.onStatusChange(async (_tx, change) => {
      if (change.status_changed) metrics.observeStatusChange(change.session.status);
    });
  return {
    readiness: new Readiness({
      config,
      db,
      webhooks: webhookStore,
      clock: clock ?? (() => new Date()),
      rates: pricing.stats,
    }),
    pricing,
    estimates: new RateEstimates({
      pricer: pricing.pricer,
      currencies: pricing.currencies,
      methods,
      gasPrice: chainGasPriceReader(evmChains),
    }),
    store,
    bus,
    rails,
    feed: new SessionFeed({ store }),
    sessions,
    search: new SessionSearch({ store, sessions }),
    auth: keyAuthenticator({
      configured: config.secret_keys,
      store: apiKeys,
      clock,
      clientSecretOf: (sessionId) => store.clientSecretOf(sessionId),
    }),
    apiKeys,
    idempotency: new Idempotency({
      ...options.idempotency,
      store: new IdempotencyStore(db, options.secrets),
      clock,
    }),
    publicUrl,
    webhooks,
    metrics,
    treasury,
  };
}

/** What {@link startWorkers} needs. */
export interface WorkersOptions {
  config: Config;
  services: Services;
  logger: FastifyBaseLogger;
}

/** The background work of a running server. */
export interface Workers {
  /**
   * One per configured chain; each watches only while this instance leads the chain (always on
   * PGlite; on PostgreSQL while it holds the chain's lock, see `chain/chain-leadership.ts`).
   */
  watchers: LedChainWatcher[];
  /** The webhook delivery worker. */
  webhooks: WebhookDispatcher;
  /**
   * Stops starting new work at once, then waits — until `deadline` (a `Date.now()` value; default:
   * now) at the latest — for what is in flight: webhook attempts (those still unanswered at the
   * deadline are aborted and handed back, due again at once), an expiry sweep or key purge, and a
   * watcher tick (an unfinished one rolls back when the database closes, and the next start redoes
   * it). Resolves when all of it has ended or been given up; the database can close then.
   */
  stop(options?: { deadline?: number }): Promise<void>;
}

/**
 * Starts the background work: one watcher per chain (running while this instance leads the chain:
 * with several instances on one PostgreSQL database, one of them watches each), the webhook
 * delivery worker (woken whenever this instance changes a session or queues a delivery), the expiry
 * sweep and the purge of expired idempotency keys.
 * @example const workers = await startWorkers({ config, services, logger }); … await workers.stop({ deadline: Date.now() + 10_000 });
 */
export async function startWorkers(options: WorkersOptions): Promise<Workers> {
  const { config, services, logger: log } = options;
  // Loaded here, after the server listens: the watcher brings viem's clients, which start-up need not wait for.
  // Each family's watcher code, loaded once per chain (EVM's brings viem's clients).
  const starters = await Promise.all(
    config.chains.map((chain) => services.rails.get(chain.key)!.loadWatcher()),
  );
  const { startChainLeadership } = await import('./chain/chain-leadership.js');
  // The webhook worker too: it brings undici, which nothing before the first delivery needs.
  const { startWebhookDispatcher } = await import('./webhooks/webhook-dispatcher.js');
  // Several instances on one PostgreSQL database share the chains: one watches each (the one holding
  // its lock), the others follow. The name says which instance leads, in the logs and `/ready`.
  const instance = `${hostname()}:${process.pid}`;
  const db = services.store.db;
  const watchers = config.chains.map((chain, index) =>
    startChainLeadership({
      chain,
      lock: db.connect
        ? new ConnectionLock(
            db as typeof db & Required<Pick<typeof db, 'connect'>>,
            'chain_watcher',
            chain.id,
            instance,
          )
        : null,
      startWatcher: () =>
        starters[index]!({
          chain,
          sessions: services.sessions,
          logger: log,
          observeRpc: services.metrics?.observeRpc,
        }),
      instance,
      logger: log,
      retryMs: config.leadership_retry_ms,
    }),
  );
  // Forwarder-mode chains are swept by the relayer key, when one is configured, by the instance that
  // leads the chain. Without a key, `crypto-checkout-server sweep` shows what is there to sweep.
  const sweepers = [
    ...(await startSweepers(config, services, watchers, log)),
    ...(await startPayoutKey(config, services, watchers, log)),
    ...(await startUtxoSweepWatches(config, services, watchers, log)),
    ...(await startTronTreasuryWatches(config, services, watchers, log)),
    ...(await startXpubSweepWatches(config, services, watchers, log)),
  ];
  services.readiness.watch(watchers);
  services.metrics?.watch(watchers);
  const dispatcher = startWebhookDispatcher({
    store: services.webhooks.store,
    config: config.webhooks,
    logger: log,
    onAttempt: services.metrics?.observeWebhookAttempt,
    ...(services.webhooks.resolveHost ? { resolveHost: services.webhooks.resolveHost } : {}),
  });
  // A status change may have queued deliveries: look now rather than at the next poll.
  const unsubscribeBus = services.bus.subscribeAll(() => dispatcher.wake());
  const unsubscribeOutbox = services.webhooks.outbox.onQueued(() => dispatcher.wake());

  // Each periodic job runs one at a time; the one in flight is awaited on stop.
  let sweeping: Promise<unknown> | null = null;
  const sweeper = setInterval(() => {
    sweeping ??= services.sessions
      .expireDue()
      .catch((error: unknown) => log.warn({ err: error }, 'expiry sweep failed'))
      .finally(() => (sweeping = null));
  }, EXPIRY_SWEEP_MS);
  let purging: Promise<unknown> | null = null;
  const purgeIdempotencyKeys = () => {
    purging ??= services.idempotency
      .purgeExpired()
      .catch((error: unknown) => log.warn({ err: error }, 'idempotency key purge failed'))
      .finally(() => (purging = null));
  };
  purgeIdempotencyKeys();
  const purger = setInterval(purgeIdempotencyKeys, IDEMPOTENCY_PURGE_MS);
  let confirming: Promise<unknown> | null = null;
  const payoutConfirmer = setInterval(() => {
    confirming ??= Promise.all(
      config.chains.map((chain) => services.treasury.executor.confirmSubmitted(chain.id)),
    )
      .catch((error: unknown) => log.warn({ err: error }, 'payout confirmation failed'))
      .finally(() => (confirming = null));
  }, PAYOUT_CONFIRM_MS);

  let stopping: Promise<void> | null = null;
  return {
    watchers,
    webhooks: dispatcher,
    stop({ deadline = Date.now() } = {}) {
      stopping ??= (async () => {
        clearInterval(sweeper);
        clearInterval(purger);
        clearInterval(payoutConfirmer);
        unsubscribeBus();
        unsubscribeOutbox();
        const left = () => Math.max(0, deadline - Date.now());
        await Promise.all([
          dispatcher.stop({ graceMs: left() }),
          untilDeadline(Promise.all(sweepers.map((s) => s.stop())), left()),
          untilDeadline(Promise.all([sweeping, purging, confirming]), left()),
          untilDeadline(Promise.all(watchers.map((w) => w.stop())), left()),
        ]);
      })();
      return stopping;
    },
  };
}

/**
 * Starts the forwarder sweeper of each chain in forwarder mode; each runs while this instance leads
 * the chain's watch. With `treasury.relayer_key` it sweeps; without, it only records the sweeps that
 * others send (the treasury's Safe executing a `sweep --export` file), so that the ledger follows
 * the money either way. Loaded lazily, like the watchers.
 */
async function startSweepers(
  config: Config,
  services: Services,
  watchers: LedChainWatcher[],
  log: FastifyBaseLogger,
): Promise<{ stop(): Promise<void> }[]> {
  const key = config.treasury.relayer_key;
  const chains = config.chains.filter((chain) => chain.deposit_mode === 'forwarder');
  if (!chains.length) return [];
  if (!key)
    log.warn(
      { chains: chains.map((c) => c.key) },
      'forwarder deposit mode without treasury.relayer_key: deposits are not swept automatically (sweeps sent from a sweep --export file are still recorded)',
    );
  const { createForwarderSweeper } = await import('./treasury/sweeper-clients.js');
  const { startForwarderSweeper } = await import('./treasury/forwarder-sweeper.js');
  return chains.map((chain) => {
    const sweeper = createForwarderSweeper({
      chain,
      db: services.store.db,
      ledger: services.treasury.ledger,
      onSweepChange: services.treasury.onSweepChange,
      relayerKey: key,
      logger: log,
    });
    const watcher = watchers[config.chains.indexOf(chain)];
    return startForwarderSweeper(sweeper, { leads: () => watcher?.status().role === 'leader', logger: log });
  });
}

/**
 * Starts the sweep watch of each Bitcoin-like chain (treasury/utxo-sweep-watch.ts): deposit coins
 * seen spent become sweeps in the ledger, or wait for review. Runs while this instance leads the
 * chain's watch, at the chain's polling interval.
 */
async function startUtxoSweepWatches(
  config: Config,
  services: Services,
  watchers: LedChainWatcher[],
  log: FastifyBaseLogger,
): Promise<{ stop(): Promise<void> }[]> {
  const chains = config.chains.filter((chain) => chain.family === 'utxo');
  if (!chains.length) return [];
  const { createUtxoSweepWatch, startUtxoSweepWatch } = await import('./treasury/utxo-sweep-watch.js');
  const { nodeRpc } = await import('./chain/utxo/node-rpc.js');
  return chains.map((chain) => {
    const watch = createUtxoSweepWatch({
      chain,
      db: services.store.db,
      ledger: services.treasury.ledger,
      payouts: services.treasury.payouts,
      onSweepChange: services.treasury.onSweepChange,
      rpc: nodeRpc(chain.rpc_url, { chain: chain.key, observe: services.metrics?.observeRpc }),
      logger: log,
    });
    const watcher = watchers[config.chains.indexOf(chain)];
    return startUtxoSweepWatch(watch, {
      tickMs: chain.polling_interval_ms,
      leads: () => watcher?.status().role === 'leader',
      logger: log,
    });
  });
}

/**
 * Starts the treasury watch of each TRON chain (treasury/tron-treasury-watch.ts): what leaves its
 * deposit addresses and treasury is booked from the chain (sweeps, top-ups, payouts), or waits for
 * review. Runs while this instance leads the chain's watch, at the chain's polling interval.
 */
async function startTronTreasuryWatches(
  config: Config,
  services: Services,
  watchers: LedChainWatcher[],
  log: FastifyBaseLogger,
): Promise<{ stop(): Promise<void> }[]> {
  const chains = config.chains.filter((chain) => chain.family === 'tron');
  if (!chains.length) return [];
  const { createTronTreasuryWatch, startTronTreasuryWatch } =
    await import('./treasury/tron-treasury-watch.js');
  const { tronSolidHead } = await import('./chain/tron/chain-watcher.js');
  const clientOf = await treasuryWatchClients(services);
  return chains.map((chain) => {
    const client = clientOf(chain);
    const watch = createTronTreasuryWatch({
      chain,
      db: services.store.db,
      ledger: services.treasury.ledger,
      payouts: services.treasury.payouts,
      client,
      solidHead: tronSolidHead(chain, client),
      logger: log,
      onSweepChange: services.treasury.onSweepChange,
    });
    const watcher = watchers[config.chains.indexOf(chain)];
    return startTronTreasuryWatch(watch, {
      tickMs: chain.polling_interval_ms,
      leads: () => watcher?.status().role === 'leader',
      logger: log,
    });
  });
}

/**
 * The JSON-RPC clients of the treasury watches (TRON, xpub): one retry, every call counted in the
 * RPC metrics under the chain's key. viem loaded lazily, like the watchers.
 */
async function treasuryWatchClients(
  services: Services,
): Promise<(chain: Config['chains'][number], options?: { cacheTime?: number }) => PublicClient> {
  const { observedTransport } = await import('./chain/evm/observed-transport.js');
  const { createPublicClient, http } = await import('viem');
  return (chain, options = {}) =>
    createPublicClient({
      ...options,
      transport: observedTransport(
        http(chain.rpc_url, { retryCount: 1 }),
        chain.key,
        services.metrics?.observeRpc,
      ),
    }) as PublicClient;
}

/**
 * Starts the xpub sweep watch of each EVM chain in xpub mode (treasury/xpub-sweep-watch.ts): the
 * transactions `sweep --export` wrote, once signed and mined, become sweeps in the ledger, or wait
 * for review. Runs while this instance leads the chain's watch, at the chain's polling interval.
 */
async function startXpubSweepWatches(
  config: Config,
  services: Services,
  watchers: LedChainWatcher[],
  log: FastifyBaseLogger,
): Promise<{ stop(): Promise<void> }[]> {
  const chains = config.chains.filter(
    (chain) => chain.family === 'evm' && chain.deposit_mode !== 'forwarder',
  );
  if (!chains.length) return [];
  const { createXpubSweepWatch, startXpubSweepWatch } = await import('./treasury/xpub-sweep-watch.js');
  const { SweepStore } = await import('./store/sweep-store.js');
  const clientOf = await treasuryWatchClients(services);
  return chains.map((chain) => {
    // No cached head: a pass counts confirmations from it.
    const client = clientOf(chain, { cacheTime: 0 });
    const watch = createXpubSweepWatch({
      chain,
      store: new SweepStore(services.store.db, { onChange: services.treasury.onSweepChange }),
      ledger: services.treasury.ledger,
      client,
      logger: log,
    });
    const watcher = watchers[config.chains.indexOf(chain)];
    return startXpubSweepWatch(watch, {
      tickMs: chain.polling_interval_ms,
      leads: () => watcher?.status().role === 'leader',
      logger: log,
    });
  });
}

/**
 * Starts the payout key's sender on each EVM chain when `payouts.key` is set (opt-in; docs/treasury.md):
 * each runs while this instance leads the chain's watch. Daily limits are turned into atomic units of
 * their asset here; a limit for an asset no method names is a configuration mistake and stops startup.
 */
async function startPayoutKey(
  config: Config,
  services: Services,
  watchers: LedChainWatcher[],
  log: FastifyBaseLogger,
): Promise<{ stop(): Promise<void> }[]> {
  const key = config.payouts.key;
  if (!key) return [];
  const { ledger, payouts, executor } = services.treasury;
  const limits = new Map<string, bigint>();
  for (const [asset, amount] of Object.entries(config.payouts.daily_limit)) {
    const method = ledger.method(asset);
    if (!method) throw new Error(`payouts.daily_limit names ${asset}, which is no configured asset`);
    limits.set(asset, toAtomic(amount, method.decimals));
  }
  const { createPublicClient, createWalletClient, http } = await import('viem');
  const { privateKeyToAccount } = await import('viem/accounts');
  const { HotPayoutSender, startHotPayouts } = await import('./treasury/hot-payouts.js');
  const account = privateKeyToAccount(key as `0x${string}`);
  log.warn(
    { address: account.address, limits: Object.fromEntries(Object.entries(config.payouts.daily_limit)) },
    'payout key set: approved payouts are sent from it within payouts.daily_limit',
  );
  return config.chains
    .filter((chain) => chain.family === 'evm')
    .map((chain) => {
      const transport = http(chain.rpc_url);
      const sender = new HotPayoutSender({
        chain,
        payouts,
        executor,
        ledger,
        client: createPublicClient({ transport }) as PublicClient,
        wallet: createWalletClient({ transport, account }),
        limits,
        logger: log,
      });
      const watcher = watchers[config.chains.indexOf(chain)];
      return startHotPayouts(sender, { leads: () => watcher?.status().role === 'leader', logger: log });
    });
}

/** Waits for `work`, but no longer than `ms`; never rejects (its errors were logged where they arose). */
async function untilDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
