/**
 * The aggregator: asks every source that lists a pair at once, each with its own timeout (a slow or
 * failing source is simply left out: that is the failover), drops quotes older than the staleness
 * limit, takes the median, drops outliers beyond the configured deviation from it, and answers the
 * median of the rest. Answers are cached for a short time and only one request per pair is in flight
 * (single-flight), so a burst of checkouts asks each source once. Each source's health — last
 * success, last error, latency — is kept for `/ready` and metrics.
 * @module
 */
import { RateUnavailableError } from '../errors.js';
import { deviatesBeyond, medianDecimal } from '../money.js';
import type { MarketSource, PairQuote, PairSource, SourcePrice } from './rate-source.js';

/** One source's health, as `/ready` lists it and metrics export it. */
export interface SourceHealth {
  source: string;
  /** When it last answered a usable price (ISO 8601), or `null`. */
  last_ok_at: string | null;
  /** When it last failed, or `null`. */
  last_error_at: string | null;
  /** Why it last failed (no secrets: a status, a timeout, a shape problem). */
  last_error: string | null;
  /** How long its last request took, in ms, or `null` before the first. */
  latency_ms: number | null;
  /** Requests answered with a usable price, and failed ones, since start. */
  ok_total: number;
  error_total: number;
}

/** What metrics read from the aggregator (h-metrics or the lead wires it to prom-client). */
export interface RateSourceStats {
  /** Every source's health. */
  health(): SourceHealth[];
}

/** Tuning of the aggregator; see `rates` in the configuration. */
export interface AggregatorOptions {
  sources: MarketSource[];
  /** How long one source may take, in ms. */
  timeoutMs: number;
  /** Quotes older than this, in ms, are refused. */
  maxAgeMs: number;
  /** Quotes further than this many percent from the median are dropped (a decimal string). */
  maxDeviationPercent: string;
  /** How long an aggregated price is reused, in ms. */
  cacheMs: number;
  /** Fewest sources that must agree; below it the pair is unavailable. */
  minSources: number;
  clock?: (() => Date) | undefined;
}

/** Median-of-sources prices with outlier and staleness checks, a cache and single-flight requests. */
export class RateAggregator implements PairSource, RateSourceStats {
  private readonly cache = new Map<string, { quote: PairQuote; fetchedAt: number }>();
  private readonly inFlight = new Map<string, Promise<PairQuote>>();
  private readonly states = new Map<string, SourceHealth>();
  private readonly clock: () => Date;

  constructor(private readonly options: AggregatorOptions) {
    this.clock = options.clock ?? (() => new Date());
    for (const source of options.sources) {
      this.states.set(source.name, {
        source: source.name,
        last_ok_at: null,
        last_error_at: null,
        last_error: null,
        latency_ms: null,
        ok_total: 0,
        error_total: 0,
      });
    }
  }

  supports(base: string, quote: string): boolean {
    return this.options.sources.some((s) => s.supports(base, quote));
  }

  peek(base: string, quote: string): PairQuote | null {
    const cached = this.cache.get(`${base}/${quote}`);
    if (!cached) return null;
    const age = this.clock().getTime() - cached.fetchedAt;
    // A clock that went back (a test's, or a corrected one) does not make an old answer fresh.
    return age >= 0 && age < this.options.cacheMs ? cached.quote : null;
  }

  quote(base: string, quote: string): Promise<PairQuote> {
    const key = `${base}/${quote}`;
    const cached = this.peek(base, quote);
    if (cached) return Promise.resolve(cached);
    const running = this.inFlight.get(key);
    if (running) return running;
    const request = this.aggregate(base, quote).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  health(): SourceHealth[] {
    return [...this.states.values()].map((h) => ({ ...h }));
  }

  private async aggregate(base: string, quote: string): Promise<PairQuote> {
    const sources = this.options.sources.filter((s) => s.supports(base, quote));
    if (!sources.length) throw new RateUnavailableError(`no rate source lists ${base}/${quote}`);
    const answers = await Promise.all(sources.map((source) => this.ask(source, base, quote)));
    const fresh = answers.filter((a): a is { source: string; price: SourcePrice } => a !== null);
    if (fresh.length < this.options.minSources) {
      throw new RateUnavailableError(
        `no ${base}/${quote} rate right now: ${fresh.length} of ${sources.length} source(s) answered (need ${this.options.minSources}); try again shortly`,
      );
    }
    const first = medianDecimal(fresh.map((a) => a.price.rate));
    const kept = fresh.filter((a) => {
      if (!deviatesBeyond(a.price.rate, first, this.options.maxDeviationPercent)) return true;
      this.failed(
        a.source,
        `outlier: ${a.price.rate} is more than ${this.options.maxDeviationPercent}% from the median ${first}`,
      );
      return false;
    });
    if (kept.length < this.options.minSources) {
      throw new RateUnavailableError(`the sources disagree on ${base}/${quote}; try again shortly`);
    }
    const at = new Date(Math.min(...kept.map((a) => a.price.at.getTime())));
    const result: PairQuote = {
      rate: medianDecimal(kept.map((a) => a.price.rate)),
      at,
      sources: kept.map((a) => ({
        source: `${a.source} ${base}/${quote}`,
        rate: a.price.rate,
        at: a.price.at.toISOString(),
      })),
    };
    this.cache.set(`${base}/${quote}`, {
      quote: result,
      fetchedAt: this.clock().getTime(),
    });
    return result;
  }

  /** One source's fresh price, or `null` (its failure recorded in its health). */
  private async ask(
    source: MarketSource,
    base: string,
    quote: string,
  ): Promise<{ source: string; price: SourcePrice } | null> {
    const started = performance.now();
    const state = this.states.get(source.name)!;
    try {
      const price = await source.fetchPrice(base, quote, AbortSignal.timeout(this.options.timeoutMs));
      state.latency_ms = Math.round(performance.now() - started);
      const age = this.clock().getTime() - price.at.getTime();
      if (age > this.options.maxAgeMs) {
        this.failed(source.name, `stale: its ${base}/${quote} price is ${Math.round(age / 1000)} s old`);
        return null;
      }
      state.last_ok_at = this.clock().toISOString();
      state.ok_total += 1;
      return { source: source.name, price };
    } catch (error) {
      state.latency_ms = Math.round(performance.now() - started);
      const reason =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
          ? `timed out after ${this.options.timeoutMs} ms`
          : error instanceof Error
            ? error.message.slice(0, 200)
            : 'failed';
      this.failed(source.name, reason);
      return null;
    }
  }

  private failed(name: string, reason: string): void {
    const state = this.states.get(name)!;
    state.last_error_at = this.clock().toISOString();
    state.last_error = reason;
    state.error_total += 1;
  }
}
