/**
 * Prometheus metrics (docs/operations.md → Metrics and alerts), with prom-client: one registry per
 * app, so that two apps in one process (the tests) never mix their figures. What changes with each
 * event is counted as it happens — HTTP requests, RPC calls, webhook attempts, open event streams —
 * through small hooks handed to the parts that do the work; what is a state of the database or of a
 * chain watcher — live sessions by status, the webhook backlog, head lag, the pool — is read at scrape
 * time, the database parts cached for {@link DATABASE_GAUGES_CACHE_MS} so that any number of
 * scrapers costs one grouped query each few seconds.
 * Every family is prefixed `crypto_checkout_` and says its unit in its name; Node's default process
 * metrics keep their standard names (`process_*`, `nodejs_*`), which dashboards expect.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChainRole } from './chain/chain-leadership.js';
import type { DetectionMode } from './chain/family.js';
import type { RateSourceStats } from './rates/rate-aggregator.js';
import type { Database } from './store/database.js';

/**
 * The statuses the sessions gauge counts: those of checkouts still in play, whose number is bounded
 * by the traffic of the last hours. Paid, expired and canceled sessions pile up forever: counting
 * them would read every row at each scrape (a sequential scan, 0.4 s on 1M sessions), so they are
 * counted as they happen instead (`crypto_checkout_session_status_changes_total`).
 */
export const LIVE_STATUSES = ['open', 'processing', 'underpaid'] as const;

/** How long the figures read from the database (sessions by status, webhook backlog) are reused, in ms. */
export const DATABASE_GAUGES_CACHE_MS = 5_000;

/** The prefix of every family of this server. */
const PREFIX = 'crypto_checkout_';

/** Seconds buckets for HTTP answers and RPC calls: 5 ms to 10 s, enough resolution around 50 ms. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a chain watcher tells the metrics at scrape time (`ChainWatcher.status()` and its leadership). */
export interface ChainMetricsSource {
  status(): {
    chain: string;
    head: number | null;
    processed?: number | null;
    lastSuccessAt: Date | null;
    detection: DetectionMode | null;
    role?: ChainRole;
  };
}

/** How a webhook attempt ended, as counted by `crypto_checkout_webhook_attempts_total{outcome}`. */
export type WebhookAttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'canceled' | 'interrupted';

/**
 * Called once per JSON-RPC request a chain client sends: the chain's key, the RPC method
 * (`eth_getLogs`), its duration in seconds and whether it failed.
 */
export type RpcObserver = (chain: string, method: string, seconds: number, failed: boolean) => void;

/** What {@link Metrics} reads at scrape time. */
export interface MetricsOptions {
  db: Database;
  /** The market-data sources' health (pricing), read at scrape time. */
  rates?: RateSourceStats;
  clock?: () => Date;
  /** Default {@link DATABASE_GAUGES_CACHE_MS}; tests set 0. */
  cacheMs?: number;
}

/** The grouped counts read from the database, kept for {@link DATABASE_GAUGES_CACHE_MS}. */
interface DatabaseFigures {
  sessions: { livemode: boolean; status: string; n: number }[];
  webhooks: { pending: number; due: number; oldest_seconds: number | null };
}

/**
 * The server's metric families and the hooks that feed them. Built by the composition root only
 * when metrics are configured (`metrics.port` or `metrics.token`); without it nothing is counted and
 * no hook costs anything.
 * @example const metrics = new Metrics({ db }); reply.type(metrics.contentType).send(await metrics.render());
 */
export class Metrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** HTTP answers by route pattern (never the raw URL), method and status class. */
  readonly httpDuration: Histogram<'route' | 'method' | 'status_class'>;
  /** JSON-RPC requests to the chains' nodes. */
  readonly rpcRequests: Counter<'chain' | 'method'>;
  /** JSON-RPC requests that failed (no answer, an HTTP error, or a JSON-RPC error). */
  readonly rpcErrors: Counter<'chain' | 'method'>;
  /** JSON-RPC latency. */
  readonly rpcDuration: Histogram<'chain' | 'method'>;
  /** Webhook attempts by outcome. */
  readonly webhookAttempts: Counter<'outcome'>;
  /** Server-Sent Event streams open in this process. */
  readonly openStreams: Gauge;
  /** Status changes made by this instance, by the new status. */
  readonly statusChanges: Counter<'status'>;

  readonly #db: Database;
  readonly #clock: () => Date;
  readonly #cacheMs: number;
  #watchers: ChainMetricsSource[] = [];
  #figures: { at: number; value: Promise<DatabaseFigures> } | null = null;

  constructor(options: MetricsOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? (() => new Date());
    this.#cacheMs = options.cacheMs ?? DATABASE_GAUGES_CACHE_MS;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.httpDuration = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'HTTP answers by route pattern, method and status class (2xx, 4xx, 5xx …); event streams are not timed.',
      labelNames: ['route', 'method', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rpcRequests = new Counter({
      name: `${PREFIX}rpc_requests_total`,
      help: "JSON-RPC requests sent to a chain's node, by chain and method.",
      labelNames: ['chain', 'method'],
      registers,
    });
    this.rpcErrors = new Counter({
      name: `${PREFIX}rpc_errors_total`,
      help: "JSON-RPC requests to a chain's node that failed (no answer, HTTP error, JSON-RPC error).",
      labelNames: ['chain', 'method'],
      registers,
    });
    this.rpcDuration = new Histogram({
      name: `${PREFIX}rpc_request_duration_seconds`,
      help: "JSON-RPC latency to a chain's node, by chain and method.",
      labelNames: ['chain', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.webhookAttempts = new Counter({
      name: `${PREFIX}webhook_attempts_total`,
      help: 'Webhook attempts by outcome: succeeded, retrying (failed, retry scheduled), failed (retries used up), canceled (endpoint disabled), interrupted (shutdown).',
      labelNames: ['outcome'],
      registers,
    });
    this.openStreams = new Gauge({
      name: `${PREFIX}sse_streams_open`,
      help: 'Server-Sent Event streams (GET /v1/sessions/:id/events) open in this process.',
      registers,
    });

    this.statusChanges = new Counter({
      name: `${PREFIX}session_status_changes_total`,
      help: 'Session status changes made by this instance (payments seen, expiries, cancels), by the new status.',
      labelNames: ['status'],
      registers,
    });

    // Read at scrape time: the database's figures (cached), the watchers' state, the pool.
    const figures = () => this.#databaseFigures();
    new Gauge({
      name: `${PREFIX}sessions`,
      help: `Sessions in play (open, processing, underpaid) by status and mode; one grouped index-only query, reused for ${this.#cacheMs / 1000} s.`,
      labelNames: ['status', 'mode'],
      registers,
      async collect() {
        const { sessions } = await figures();
        this.reset();
        for (const row of sessions)
          this.set({ status: row.status, mode: row.livemode ? 'live' : 'test' }, row.n);
      },
    });
    new Gauge({
      name: `${PREFIX}webhook_deliveries_pending`,
      help: 'Webhook deliveries not delivered yet (pending: due now, or waiting for their retry).',
      registers,
      async collect() {
        this.set((await figures()).webhooks.pending);
      },
    });
    new Gauge({
      name: `${PREFIX}webhook_deliveries_due`,
      help: 'Webhook deliveries pending and due now: the backlog the workers have not reached.',
      registers,
      async collect() {
        this.set((await figures()).webhooks.due);
      },
    });
    new Gauge({
      name: `${PREFIX}webhook_oldest_pending_age_seconds`,
      help: 'Age of the oldest pending webhook delivery, since its event; 0 when none is pending.',
      registers,
      async collect() {
        this.set((await figures()).webhooks.oldest_seconds ?? 0);
      },
    });

    const watchers = () => this.#watchers.map((watcher) => watcher.status());
    /** A gauge with one series per chain, set from each watcher's status at scrape time. */
    const perChain = (
      name: string,
      help: string,
      value: (status: ReturnType<ChainMetricsSource['status']>) => number | null | undefined,
    ) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        labelNames: ['chain'],
        registers,
        collect() {
          this.reset();
          for (const status of watchers()) {
            const v = value(status);
            if (v !== null && v !== undefined) this.set({ chain: status.chain }, v);
          }
        },
      });
    perChain(
      'chain_head_block',
      "The chain's newest block height its node reported (only on the instance that watches the chain).",
      (s) => s.head,
    );
    perChain(
      'chain_processed_block',
      'The last block the watcher has recorded (its cursor).',
      (s) => s.processed,
    );
    perChain(
      'chain_head_lag_blocks',
      "Blocks between the chain's head and the last block recorded: how far detection is behind.",
      (s) =>
        s.head === null || s.processed === null || s.processed === undefined
          ? null
          : Math.max(0, s.head - s.processed),
    );
    perChain(
      'chain_last_success_timestamp_seconds',
      "When the watcher last reached the chain's node (Unix time).",
      (s) => (s.lastSuccessAt ? s.lastSuccessAt.getTime() / 1000 : null),
    );
    perChain(
      'chain_leader',
      '1 while this instance watches the chain (holds its lock), 0 while another instance does.',
      (s) => (s.role === 'follower' ? 0 : 1),
    );
    new Gauge({
      name: `${PREFIX}chain_detection_mode`,
      help: 'How the watcher notices new blocks: 1 for the mode in use (subscription or polling), 0 for the other.',
      labelNames: ['chain', 'mode'],
      registers,
      collect() {
        this.reset();
        for (const status of watchers()) {
          if (!status.detection) continue;
          for (const mode of ['subscription', 'polling'] as const)
            this.set({ chain: status.chain, mode }, status.detection === mode ? 1 : 0);
        }
      },
    });

    // Market-data sources (pricing): read from the aggregator's own health records at scrape time.
    const rates = () => options.rates?.health() ?? [];
    new Counter({
      name: `${PREFIX}rate_source_requests_total`,
      help: 'Requests to a market-data source (pricing) by outcome: ok (a usable price) or error (timeout, HTTP error, bad body, stale).',
      labelNames: ['source', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const h of rates()) {
          this.inc({ source: h.source, outcome: 'ok' }, h.ok_total);
          this.inc({ source: h.source, outcome: 'error' }, h.error_total);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}rate_source_last_success_timestamp_seconds`,
      help: 'When a market-data source last answered a usable price (Unix time); absent before its first.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const h of rates())
          if (h.last_ok_at) this.set({ source: h.source }, Date.parse(h.last_ok_at) / 1000);
      },
    });
    new Gauge({
      name: `${PREFIX}rate_source_latency_seconds`,
      help: "How long a market-data source's last request took.",
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const h of rates())
          if (h.latency_ms !== null) this.set({ source: h.source }, h.latency_ms / 1000);
      },
    });

    const db = this.#db;
    const pool = (field: 'total' | 'idle' | 'waiting') => () => db.poolStats?.()[field] ?? 0;
    for (const [field, help] of [
      ['total', 'Database connections open in the pool (PGlite: its one connection).'],
      ['idle', 'Database connections idle in the pool (PGlite: 1 when no query runs).'],
      ['waiting', 'Queries waiting for a database connection (PGlite: queued behind the running one).'],
    ] as const) {
      const read = pool(field);
      new Gauge({
        name: `${PREFIX}db_pool_connections_${field}`,
        help,
        labelNames: ['database'],
        registers,
        collect() {
          this.set({ database: db.kind }, read());
        },
      });
    }
  }

  /** The content type of {@link Metrics.render}'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The registry in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The chain watchers whose head, cursor, role and detection mode are read at scrape time. */
  watch(watchers: ChainMetricsSource[]): void {
    this.#watchers = watchers;
  }

  /** Records an HTTP answer; `route` is the route's pattern (`/v1/sessions/:id`), `null` when none matched. */
  observeRequest(route: string | null, method: string, status: number, seconds: number): void {
    this.httpDuration.observe(
      { route: route ?? 'unmatched', method, status_class: `${Math.floor(status / 100)}xx` },
      seconds,
    );
  }

  /** The {@link RpcObserver} the chain clients report to. */
  readonly observeRpc: RpcObserver = (chain, method, seconds, failed) => {
    const labels = { chain, method };
    this.rpcRequests.inc(labels);
    if (failed) this.rpcErrors.inc(labels);
    this.rpcDuration.observe(labels, seconds);
  };

  /** Counts a status change (a `StatusChangeHook` of the session service calls it). */
  observeStatusChange(status: string): void {
    this.statusChanges.inc({ status });
  }

  /** Counts a webhook attempt by how it ended. */
  readonly observeWebhookAttempt = (outcome: WebhookAttemptOutcome): void => {
    this.webhookAttempts.inc({ outcome });
  };

  /**
   * Sessions by status and the webhook backlog, read together and reused for the cache's time; one
   * read in flight is shared by every gauge (and scraper) that asks meanwhile.
   */
  #databaseFigures(): Promise<DatabaseFigures> {
    const now = Date.now();
    if (this.#figures && now - this.#figures.at < this.#cacheMs) return this.#figures.value;
    const value = this.#readFigures();
    this.#figures = { at: now, value };
    // A failed read is not kept: the next scrape tries again.
    value.catch(() => (this.#figures = null));
    return value;
  }

  async #readFigures(): Promise<DatabaseFigures> {
    const now = this.#clock();
    // Both columns as array keys of the (livemode, status, created_at, id) index: PostgreSQL reads
    // only the live sessions' index entries (an index-only scan), never the settled ones
    // (docs/operations.md → Metrics and alerts has the plan on 1M sessions).
    const sessions = await this.#db.query<{ livemode: boolean; status: string; n: number }>(
      `SELECT livemode, status, count(*)::int AS n FROM sessions
        WHERE livemode = ANY('{true,false}'::boolean[]) AND status = ANY($1::text[])
        GROUP BY livemode, status`,
      [[...LIVE_STATUSES]],
    );
    // Pending deliveries are few (the partial index webhook_deliveries_due holds only them).
    const webhooks = await this.#db.query<{ pending: number; due: number; oldest_seconds: number | null }>(
      `SELECT count(*)::int AS pending,
              (count(*) FILTER (WHERE next_attempt_at <= $1))::int AS due,
              extract(epoch FROM $1::timestamptz - min(created_at))::float8 AS oldest_seconds
         FROM webhook_deliveries WHERE status = 'pending'`,
      [now],
    );
    return { sessions: sessions.rows, webhooks: webhooks.rows[0]! };
  }
}
