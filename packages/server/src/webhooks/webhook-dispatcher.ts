import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { Agent, fetch, type Response } from 'undici';
import { signWebhook } from '@crypto-checkout/webhooks';
import type { WebhooksConfig } from '../config.js';
import type { WebhookAttemptOutcome } from '../metrics.js';
import { retryDelayMs } from './retry-schedule.js';
import { newWebhookId } from './webhook-ids.js';
import {
  addressProblem,
  guardedLookup,
  systemResolveHost,
  urlHost,
  webhookUrlPolicy,
  type ResolveHost,
} from './webhook-url-guard.js';
import type { AttemptOutcome, ClaimedDelivery, DeliveryUpdate, WebhookStore } from './webhook-store.js';

/**
 * Bytes of an answer's body kept in the attempt log, control characters then replaced by spaces:
 * enough to read a receiver's error, too little to make the attempt log a way to read other
 * servers' pages.
 */
export const RESPONSE_EXCERPT_BYTES = 256;

/** A running delivery worker. */
export interface WebhookDispatcher {
  /** Looks for due deliveries now instead of at the next poll. */
  wake(): void;
  /**
   * Stops claiming, lets the attempts in flight finish for up to `graceMs` (default 0) and records
   * them as usual; those still unanswered then are aborted and released (due again at once, for
   * this or another instance, without counting against the retry schedule). Resolves when every
   * attempt is recorded.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Options of {@link startWebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  store: WebhookStore;
  config: WebhooksConfig;
  logger: FastifyBaseLogger;
  clock?: () => Date;
  /** Source of retry jitter, in [0, 1). */
  random?: () => number;
  /** Resolves endpoint host names at each attempt; default: the system resolver (tests simulate DNS). */
  resolveHost?: ResolveHost;
  /** Told how each attempt ended (the metrics); optional. */
  onAttempt?: ((outcome: WebhookAttemptOutcome) => void) | undefined;
}

const SHUTDOWN = 'shutdown';

/** What went wrong when there was no HTTP answer, in a few words (no URL, no secret). */
function describeError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `timeout: no answer within ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code === 'WEBHOOK_ADDRESS_FORBIDDEN') return forbidden(e.cause!.message ?? '');
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    UND_ERR_SOCKET: 'connection closed',
    UND_ERR_HEADERS_TIMEOUT: 'timeout waiting for headers',
    CERT_HAS_EXPIRED: 'TLS certificate expired',
  };
  const text = code
    ? `${known[code] ?? e.cause?.message ?? 'request failed'} (${code})`
    : (e?.cause?.message ?? e?.message ?? String(error));
  return text.slice(0, 500);
}

/** The error of an attempt the SSRF guard refused. */
function forbidden(why: string): string {
  return `forbidden address: ${why}; webhooks go to public addresses only (see webhooks.allow_private_*_endpoints)`.slice(
    0,
    500,
  );
}

/** C0 and C1 control characters, DEL, and the invisible format characters (bidi overrides, zero widths). */
const CONTROL = /[\p{Cc}\p{Cf}]+/gu;

/**
 * Reads at most `limit` bytes of a body as UTF-8, drops the rest, and replaces control characters
 * by spaces (an excerpt is shown in terminals and dashboards; it must not drive them).
 */
async function readExcerpt(response: Response, limit: number): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  // A multi-byte character cut at the limit decodes to U+FFFD; the excerpt is for reading only.
  const text = bytes.toString('utf8').replace(CONTROL, ' ').trim();
  return text.length ? text : null;
}

/**
 * Starts the delivery worker: it claims due deliveries (a lease in the database, so several
 * instances share the work and a crashed one's deliveries come back), sends each as a signed POST,
 * logs the attempt and schedules a retry on anything but 2xx. Deliveries are independent: each is
 * claimed by its own due time, so one failing endpoint or event never holds back another; at most
 * `concurrency` are in flight per instance.
 * @example const dispatcher = startWebhookDispatcher({ store, config: config.webhooks, logger }); … await dispatcher.stop();
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? Math.random;
  const policy = webhookUrlPolicy(config);
  const resolve = options.resolveHost ?? systemResolveHost;
  // One connection pool per mode, each resolving through the guard: a socket only ever connects to
  // an address the guard has checked, and pooled connections were checked when they were opened.
  const agents = {
    live: new Agent({ connect: { lookup: guardedLookup({ livemode: true, policy, resolve }) } }),
    test: new Agent({ connect: { lookup: guardedLookup({ livemode: false, policy, resolve }) } }),
  };
  const shutdown = new AbortController();
  const inflight = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  let wakeRequested = false;

  const wake = () => {
    wakeRequested = true;
    wakeUp?.();
  };

  async function attempt(claim: ClaimedDelivery): Promise<void> {
    const log = {
      ...(claim.session_id ? { session_id: claim.session_id } : {}),
      event_id: claim.event_id,
      endpoint_id: claim.endpoint_id,
      attempt: claim.attempts,
    };
    if (!claim.active) {
      // Disabled or deleted after this delivery was queued: nothing is sent.
      await store.recordAttempt(claim, null, { status: 'canceled' });
      options.onAttempt?.('canceled');
      return;
    }
    const attemptedAt = clock();
    const secrets = [claim.secret];
    if (
      claim.previous_secret &&
      claim.previous_secret_expires_at &&
      claim.previous_secret_expires_at > attemptedAt
    ) {
      secrets.push(claim.previous_secret);
    }
    // Signed over the exact bytes sent: the stored body, never re-serialised.
    const headers = await signWebhook({
      id: claim.event_id,
      body: claim.body,
      secret: secrets,
      timestamp: attemptedAt,
    });
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let excerpt: string | null = null;
    // An IP literal is never looked up, so the socket's lookup cannot see it: it is checked here.
    const host = urlHost(new URL(claim.url));
    const literalProblem = isIP(host) ? addressProblem(host, { livemode: claim.livemode, policy }) : null;
    try {
      if (literalProblem) throw new Error(`${host} is ${literalProblem}`);
      const response = await fetch(claim.url, {
        dispatcher: claim.livemode ? agents.live : agents.test,
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'user-agent': 'crypto-checkout-webhooks/1',
        },
        body: claim.body,
        // A redirect is a failure (Standard Webhooks): update the endpoint's URL instead.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(config.timeout_ms), shutdown.signal]),
      });
      statusCode = response.status;
      excerpt = await readExcerpt(response, RESPONSE_EXCERPT_BYTES).catch(() => null);
    } catch (caught) {
      error = literalProblem
        ? forbidden((caught as Error).message)
        : shutdown.signal.aborted
          ? 'interrupted: the server stopped during the attempt'
          : describeError(caught, config.timeout_ms);
    }
    const latency = Math.round(performance.now() - started);
    const succeeded = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const outcome: AttemptOutcome = {
      id: newWebhookId('wha'),
      url: claim.url,
      attempted_at: attemptedAt,
      status_code: statusCode,
      succeeded,
      error,
      latency_ms: latency,
      response_excerpt: excerpt,
    };
    let update: DeliveryUpdate;
    if (succeeded) {
      update = { status: 'succeeded' };
      logger.info({ ...log, status: statusCode, ms: latency }, 'webhook delivered');
    } else if (shutdown.signal.aborted && statusCode === null) {
      update = { status: 'pending', next_attempt_at: clock(), uncount: true };
    } else {
      const delay = retryDelayMs(claim.attempts, config.retry_schedule, config.jitter, random);
      update =
        delay === null
          ? { status: 'failed' }
          : { status: 'pending', next_attempt_at: new Date(clock().getTime() + delay) };
      logger.warn(
        { ...log, status: statusCode, error, ms: latency, retry_in_ms: delay },
        delay === null
          ? 'webhook delivery failed; retry schedule used up'
          : 'webhook attempt failed; will retry',
      );
    }
    await store.recordAttempt(claim, outcome, update);
    options.onAttempt?.(
      succeeded
        ? 'succeeded'
        : update.status === 'failed'
          ? 'failed'
          : 'uncount' in update && update.uncount
            ? 'interrupted'
            : 'retrying',
    );
  }

  function start(claim: ClaimedDelivery): void {
    const running = attempt(claim)
      .catch((caught: unknown) =>
        // The lease brings the delivery back if its result could not be stored.
        logger.error(
          { err: caught, session_id: claim.session_id ?? undefined, event_id: claim.event_id },
          'webhook attempt not recorded',
        ),
      )
      .finally(() => {
        inflight.delete(running);
        wake();
      });
    inflight.add(running);
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      wakeRequested = false;
      const free = config.concurrency - inflight.size;
      let full = false;
      if (free > 0) {
        try {
          const now = clock();
          const token = randomBytes(12).toString('base64url');
          const claims = await store.claimDue(now, free, new Date(now.getTime() + config.lease_ms), token);
          if (stopped) {
            // Claimed while stopping: hand them back untouched.
            for (const claim of claims)
              await store.recordAttempt(claim, null, {
                status: 'pending',
                next_attempt_at: now,
                uncount: true,
              });
            return;
          }
          for (const claim of claims) start(claim);
          full = claims.length === free;
        } catch (caught) {
          logger.warn({ err: caught }, 'webhook worker could not claim deliveries');
        }
      }
      // Every slot filled: more may be due, look again as soon as one frees (or now).
      if (stopped || (full && inflight.size < config.concurrency) || wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.poll_interval_ms);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  }

  const running = loop();
  return {
    wake,
    async stop({ graceMs = 0 } = {}) {
      stopped = true;
      wakeUp?.();
      await running;
      if (graceMs > 0 && inflight.size) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([...inflight]),
          new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      shutdown.abort(SHUTDOWN);
      await Promise.all([...inflight]);
      await Promise.all([agents.live.destroy(), agents.test.destroy()]);
    },
  };
}
