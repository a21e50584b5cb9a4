/**
 * Readiness: whether this instance can do its work now, for `GET /ready` (docs/operations.md →
 * Health and readiness). It is not, and says why, when the database does not answer, when a chain's
 * watcher has not reached its node for longer than the chain's bound, or when more webhook
 * deliveries are due than `ready.webhook_backlog_max`. `GET /health` stays the liveness probe.
 * @module
 */
import type { ChainRole, LedChainWatcherStatus } from './chain/chain-leadership.js';
import type { ChainWatcherStatus } from './chain/family.js';
import type { Config } from './config.js';
import type { RateSourceStats, SourceHealth } from './rates/rate-aggregator.js';
import type { Database } from './store/database.js';
import type { WebhookStore } from './webhooks/webhook-store.js';

/** How long the database gets to answer `SELECT 1`, in ms: a database that hangs is not ready either. */
const DATABASE_TIMEOUT_MS = 2_000;
/** A chain is stale, by default, after this many of its polling intervals without reaching its node… */
const STALE_POLLS = 10;
/** …and never sooner than this, in ms: the watcher backs off up to 30 s between tries. */
const MIN_STALE_MS = 60_000;

/** Why an instance is not ready: which check failed (and for `chain`, which chain), and a sentence. */
export interface ReadinessReason {
  check: 'database' | 'chain' | 'webhooks' | 'overloaded';
  /** The chain's key, for `chain`. */
  chain?: string;
  message: string;
}

/** One chain's part of a {@link ReadinessReport}. */
export interface ChainReadiness {
  key: string;
  ok: boolean;
  /** When its watcher last reached the node; `null` before the first time (or when no watcher runs here). */
  last_success_at: string | null;
  /** The newest block height seen. */
  head: number | null;
  /**
   * Whether this instance watches the chain (`leader`) or another instance on the same database
   * does (`follower`, never stale: it has nothing to keep up with); `null` when no watcher runs here.
   */
  role: ChainRole | null;
  /** Which instance watches the chain (host:pid), when known. */
  leader: string | null;
  /**
   * How its watcher notices new blocks now: `subscription` (a `newHeads` WebSocket subscription, with
   * polling as the safety net) or `polling`; `null` when no watcher runs here.
   */
  detection: 'subscription' | 'polling' | null;
}

/** What `GET /ready` answers. */
export interface ReadinessReport {
  ready: boolean;
  /** Empty when ready. */
  reasons: ReadinessReason[];
  database: { ok: boolean };
  chains: ChainReadiness[];
  /** `backlog`: deliveries due and not delivered, counted up to one past the bound; `null` when the database is down. */
  webhooks: { ok: boolean; backlog: number | null; max: number };
  /**
   * Each rate source's health. Informational: a source that is down does not make the instance
   * unready (the others, or the next try, price the session; all down answers `rate_unavailable`).
   */
  rates: { sources: SourceHealth[] };
}

/** What {@link Readiness} needs. */
export interface ReadinessOptions {
  config: Config;
  db: Database;
  webhooks: WebhookStore;
  clock: () => Date;
  /** The rate sources' health; none listed without it. */
  rates?: RateSourceStats | undefined;
}

/** The bound after which `chain` counts as stale, in ms. */
export function chainStaleMs(config: Config, chain: Config['chains'][number]): number {
  return config.ready.chain_stale_ms ?? Math.max(MIN_STALE_MS, STALE_POLLS * chain.polling_interval_ms);
}

/**
 * Checks readiness on demand. The chain watchers start after the server listens
 * (`composition.ts` → `startWorkers`), which hands them over with {@link Readiness.watch}; a chain
 * with no watcher in this process (an app built without workers) is listed and not held against it.
 * @example const report = await readiness.check(); reply.status(report.ready ? 200 : 503).send(report);
 */
export class Readiness {
  private watchers: { status(): ChainWatcherStatus | LedChainWatcherStatus }[] = [];

  constructor(private readonly options: ReadinessOptions) {}

  /** The running chain watchers, whose last contact with their nodes is checked (by real time). */
  watch(watchers: { status(): ChainWatcherStatus | LedChainWatcherStatus }[]): void {
    this.watchers = watchers;
  }

  /** Runs every check; `overloaded` adds the load shedder's verdict. */
  async check({ overloaded = false } = {}): Promise<ReadinessReport> {
    const { config, db, webhooks, clock } = this.options;
    const now = clock();
    const reasons: ReadinessReason[] = [];
    if (overloaded) {
      reasons.push({ check: 'overloaded', message: 'the event loop is saturated; requests are being shed' });
    }

    const database = await withTimeout(db.query('SELECT 1'), DATABASE_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
    if (!database) reasons.push({ check: 'database', message: 'the database does not answer' });

    // The watchers keep real time, whatever clock the services were given (tests freeze theirs).
    const realNow = Date.now();
    const statuses = new Map(this.watchers.map((w) => [w.status().chain, w.status()]));
    const chains = config.chains.map((chain): ChainReadiness => {
      const status = statuses.get(chain.key);
      if (!status)
        return {
          key: chain.key,
          ok: true,
          last_success_at: null,
          head: null,
          role: null,
          leader: null,
          detection: null,
        };
      const led =
        'role' in status ? { role: status.role, leader: status.leader } : { role: null, leader: null };
      if (led.role === 'follower')
        return { key: chain.key, ok: true, last_success_at: null, head: null, ...led, detection: null };
      const staleMs = chainStaleMs(config, chain);
      const since = status.lastSuccessAt ?? status.startedAt;
      let problem: string | null = null;
      if (realNow - since.getTime() > staleMs) {
        problem = status.lastSuccessAt
          ? `its node has not answered for ${seconds(realNow - since.getTime())} s (bound ${seconds(staleMs)} s)`
          : `its node has not answered since the watcher started ${seconds(realNow - since.getTime())} s ago`;
      } else if (
        config.ready.chain_head_max_age_ms !== undefined &&
        realNow - (status.lastNewHeadAt ?? status.startedAt).getTime() > config.ready.chain_head_max_age_ms
      ) {
        problem = `its head has not moved for more than ${seconds(config.ready.chain_head_max_age_ms)} s`;
      }
      if (problem)
        reasons.push({ check: 'chain', chain: chain.key, message: `chain ${chain.key}: ${problem}` });
      return {
        key: chain.key,
        ok: problem === null,
        last_success_at: status.lastSuccessAt?.toISOString() ?? null,
        head: status.head,
        ...led,
        detection: status.detection,
      };
    });

    const max = config.ready.webhook_backlog_max;
    let backlog: number | null = null;
    if (database) {
      backlog = await withTimeout(webhooks.countDue(now, max + 1), DATABASE_TIMEOUT_MS).catch(() => null);
      if (backlog !== null && backlog > max) {
        reasons.push({
          check: 'webhooks',
          message: `more than ${max} webhook deliveries are due and not delivered`,
        });
      }
    }
    return {
      ready: reasons.length === 0,
      reasons,
      database: { ok: database },
      chains,
      webhooks: { ok: backlog !== null && backlog <= max, backlog, max },
      rates: { sources: this.options.rates?.health() ?? [] },
    };
  }
}

/** A duration in whole seconds, for messages. */
const seconds = (ms: number) => Math.round(ms / 1000);

/** `work`, or a rejection once `ms` have passed. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
