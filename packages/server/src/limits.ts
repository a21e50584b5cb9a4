/**
 * Limits against abuse, in one place (docs/operations.md → Limits): the HTTP server's timeouts and
 * body limits ({@link httpServerOptions}), and {@link registerLimits}, which sheds load while the event
 * loop is saturated (`@fastify/under-pressure`), rate-limits each caller (`@fastify/rate-limit`) and
 * counts failed authentications per IP address. Every refusal answers the API's error body with
 * `Retry-After`: 429 `rate_limited` or 503 `overloaded`. The counters live in this process's memory.
 * @module
 */
import type { ServerOptions } from 'node:http';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { LimitsConfig } from './config.js';
import { OverloadedError, RateLimitedError } from './errors.js';
import { errors } from './openapi.js';

/** Routes that neither the rate limits nor load shedding refuse: the probes of load balancers and orchestrators. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready']);

/**
 * The routes whose body may be large (`limits.body_limit_bytes`): a session carries `metadata`, line
 * items and texts. Every other route with a body (cancel, choose a method, webhook endpoints,
 * redelivery, …) takes `limits.small_body_limit_bytes`, so that a stream of large bodies costs the
 * server little.
 */
const LARGE_BODY_OPERATIONS: ReadonlySet<string> = new Set(['createSession']);

/** How often Node checks requests against `headers_timeout_ms` and `request_timeout_ms`, at most, in ms. */
const MAX_TIMEOUT_CHECK_MS = 1_000;

/**
 * The Fastify options that bound what one connection may cost: body size, the time for the headers
 * and the whole request to arrive, the idle time of a kept-alive connection, and which proxies'
 * `X-Forwarded-For` to believe. Node checks the two request timeouts only every
 * `connectionsCheckingInterval` (30 s by default), so a slow client would be held up to that long
 * past its deadline: it is narrowed to a tenth of the headers timeout, at most 1 s.
 * @example Fastify({ ...httpServerOptions(config.limits), logger: false })
 */
export function httpServerOptions(limits: LimitsConfig): Pick<
  FastifyServerOptions,
  'bodyLimit' | 'keepAliveTimeout' | 'requestTimeout' | 'trustProxy'
> & {
  http: ServerOptions;
} {
  return {
    bodyLimit: limits.body_limit_bytes,
    keepAliveTimeout: limits.keep_alive_timeout_ms,
    requestTimeout: limits.request_timeout_ms,
    // Fastify takes a hop count too, though its types leave numbers out.
    trustProxy: limits.trust_proxy as FastifyServerOptions['trustProxy'],
    http: {
      headersTimeout: limits.headers_timeout_ms,
      requestTimeout: limits.request_timeout_ms,
      connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_MS, Math.ceil(limits.headers_timeout_ms / 10)),
    },
  };
}

/** The kinds of caller the rate limits count separately, each with its own limit. */
type CallerKind = 'merchant' | 'client' | 'public';

/**
 * The rate-limit key of a request, once its route group's authentication hook has run: the secret
 * key's id (merchant), the session (buyer), else the client's address. Only authenticated callers
 * get their own counter, so a made-up key or client secret cannot open a fresh one: it answers 401
 * first, which {@link registerLimits} counts per address.
 */
function callerKey(request: FastifyRequest): `${CallerKind}:${string}` {
  if (request.merchant) return `merchant:${request.merchant.keyId}`;
  const access = request.sessionAccess;
  if (access?.caller.kind === 'merchant') return `merchant:${access.caller.keyId}`;
  if (access) return `client:${access.bundle.session.id}`;
  return `public:${normalizeIP(request.ip)}`;
}

/** The limit of a key made by {@link callerKey}; `0` means none. */
function limitOf(limits: LimitsConfig, key: string): number {
  const kind = key.slice(0, key.indexOf(':')) as CallerKind;
  return limits.rate_limits[kind];
}

/** A duration in whole seconds, at least 1, for `Retry-After`. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Registers load shedding, the per-caller rate limits and the per-address limit on failed
 * authentications, and gives small-bodied routes their smaller body limit. Call it before the route
 * groups: the rate limit attaches to each route as it is registered.
 */
export async function registerLimits(server: FastifyInstance, limits: LimitsConfig): Promise<void> {
  // Every route but the probes may answer 429 and 503 (rate limits, load shedding, shutdown): each
  // documents them, so that clients know to honour Retry-After. Before the OpenAPI document reads them.
  server.addHook('onRoute', (route) => {
    const schema = route.schema as { response?: Record<number, unknown> } | undefined;
    if (!schema?.response || PROBE_ROUTES.has(route.url)) return;
    schema.response[429] ??= errors(429)[429];
    schema.response[503] ??= errors(503)[503];
  });
  // Body limits by route: a route that states its own keeps it.
  server.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (route.bodyLimit !== undefined || !methods.some((m) => ['POST', 'PUT', 'PATCH'].includes(m))) return;
    const operation = (route.schema as { operationId?: string } | undefined)?.operationId ?? '';
    route.bodyLimit = LARGE_BODY_OPERATIONS.has(operation)
      ? limits.body_limit_bytes
      : limits.small_body_limit_bytes;
  });

  // Load shedding, before anything else of a request runs (authentication reads the database). The
  // liveness probe always answers, or an orchestrator would restart a process that is only busy;
  // readiness answers 503 itself while under pressure (routes/ready.ts), taking the instance out of
  // the load balancer instead.
  const shedding = limits.load_shedding;
  await server.register(underPressure, {
    maxEventLoopDelay: shedding.enabled ? shedding.max_event_loop_delay_ms : 0,
    maxEventLoopUtilization:
      shedding.enabled && shedding.max_event_loop_utilization < 1 ? shedding.max_event_loop_utilization : 0,
    eventLoopUtilizationMode: 'interval',
    sampleInterval: shedding.sample_interval_ms,
    pressureHandler: (request, _reply, type, value) => {
      if (PROBE_ROUTES.has(request.routeOptions.url ?? '')) return;
      request.log.warn({ type, value }, 'overloaded: request shed');
      throw new OverloadedError(
        'the server is overloaded; send the request again in a few seconds',
        shedding.retry_after_seconds,
      );
    },
  });

  const rates = limits.rate_limits;
  if (!rates.enabled) return;
  // Per caller. The hook goes on each route, after its group's authentication hook, so the caller
  // is known; the probes are left alone.
  await server.register(rateLimit, {
    hook: 'onRequest',
    timeWindow: rates.window_ms,
    keyGenerator: callerKey,
    max: (_request, key) => limitOf(limits, key),
    allowList: (request, key) =>
      PROBE_ROUTES.has(request.routeOptions.url ?? '') || limitOf(limits, key) === 0,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(
        `more than ${context.max} requests in ${seconds(rates.window_ms)} s; send again after ${context.after}`,
        seconds(context.ttl),
      ),
  });

  // Failed authentications per address: every 401 counts; past the limit, every request of that
  // address answers 429 until the window ends, before any key is looked up. Guessing keys or client
  // secrets, or opening counters with made-up ones, costs the attacker the window.
  if (rates.auth_failures === 0) return;
  const failures = server.createRateLimit({
    timeWindow: rates.window_ms,
    max: rates.auth_failures,
    keyGenerator: (request) => `auth:${normalizeIP(request.ip)}`,
  });
  server.addHook('onRequest', async (request) => {
    if (PROBE_ROUTES.has(request.routeOptions.url ?? '')) return;
    const count = await failures(request, { increment: false });
    if (!count.isAllowed && count.remaining === 0) {
      throw new RateLimitedError(
        `more than ${rates.auth_failures} failed authentications from this address; send again later`,
        seconds(count.ttl),
      );
    }
  });
  server.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401) await failures(request);
  });
}
