/**
 * Outbound HTTP for market-data sources, through the same SSRF guard as webhooks: a source URL comes
 * from the configuration, but a mistyped or hostile one must not turn the server against its own
 * network (the metadata service, the database). Loopback and private addresses are refused unless
 * `rates.allow_private_sources` is set, which the tests do to reach their local fixture server.
 * @module
 */
import { isIP } from 'node:net';
import type { Agent, fetch as undiciFetch } from 'undici';
import {
  addressProblem,
  guardedLookup,
  systemResolveHost,
  urlHost,
  type WebhookUrlPolicy,
} from '../webhooks/webhook-url-guard.js';

/** The most bytes a source's answer may have: a ticker is a few hundred, the ECB file about 2 KB. */
const MAX_BODY_BYTES = 256 * 1024;

/** A source answered, but not with a price: a status, a size or a body it should not have. */
export class SourceResponseError extends Error {
  override readonly name = 'SourceResponseError';
}

/** What a GET answered: its body as text and the server's `Date`, if it sent one. */
export interface SourceResponse {
  text: string;
  date: Date | null;
}

/** Fetches source URLs over a guarded connection pool. */
export class RateHttp {
  /**
   * undici and the pool, loaded at the first request: a start-up (and a configuration with only
   * static rates) need not load undici at all.
   */
  private client: Promise<{ agent: Agent; fetch: typeof undiciFetch }> | null = null;
  private readonly policy: WebhookUrlPolicy;

  constructor(options: { allowPrivate: boolean }) {
    const allow = options.allowPrivate;
    this.policy = { allowPrivateTest: allow, allowPrivateLive: allow };
  }

  /** undici's `fetch` and the guarded pool, made once. */
  private pool() {
    this.client ??= import('undici').then(({ Agent, fetch }) => ({
      agent: new Agent({
        connect: {
          lookup: guardedLookup({ livemode: true, policy: this.policy, resolve: systemResolveHost }),
        },
        keepAliveTimeout: 30_000,
      }),
      fetch,
    }));
    return this.client;
  }

  /** GETs `url`; throws {@link SourceResponseError} on a non-2xx answer or an oversized body. */
  async get(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<SourceResponse> {
    // An IP literal is never looked up, so the socket's lookup cannot see it: it is checked here.
    const host = urlHost(new URL(url));
    const problem = isIP(host) ? addressProblem(host, { livemode: true, policy: this.policy }) : null;
    if (problem) throw new SourceResponseError(`${host} is ${problem}`);
    const { agent, fetch } = await this.pool();
    const response = await fetch(url, {
      dispatcher: agent,
      signal,
      headers: { accept: 'application/json, application/xml;q=0.9', ...headers },
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceResponseError(`answered HTTP ${response.status}`);
    }
    const text = await response.text();
    if (text.length > MAX_BODY_BYTES) throw new SourceResponseError('answered an oversized body');
    const date = response.headers.get('date');
    const parsed = date ? new Date(date) : null;
    return { text, date: parsed && !Number.isNaN(parsed.getTime()) ? parsed : null };
  }

  /** Closes the pool's connections. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await (await client).agent.close();
  }
}
