import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { parseJsonBodies } from './json-body.js';
import { refuseRepeatedQuery } from './query-params.js';
import { refuseUnsafeText } from './unsafe-text.js';
import { httpServerOptions, registerLimits } from './limits.js';
import { createServices, type Services, type ServicesOptions } from './composition.js';
import { InvalidRequestError } from './errors.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandler } from './error-handler.js';
import { createLogger, pathOf } from './logger.js';
import { jsonSerializerCompiler, registerOpenApi, requireDocumentedRoutes } from './openapi.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { SESSION_ID_PATTERN } from '@crypto-checkout/protocol';
import { decorateCallers } from './routes/auth-hooks.js';
import { checkoutRoutes } from './routes/checkout/index.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { openApiRoutes } from './routes/openapi-json.js';
import { readyRoutes } from './routes/ready.js';
import { sessionEventRoutes } from './routes/v1/sessions/events.js';
import { sessionRoutes } from './routes/v1/sessions/index.js';
import { sessionAccessRoutes } from './routes/v1/sessions/session.js';
import { webhookEndpointRoutes } from './routes/v1/webhook-endpoints.js';
import { rateRoutes } from './routes/v1/rates.js';
import { webhookEventRoutes } from './routes/v1/webhook-events.js';
import { payoutRoutes } from './routes/v1/payouts.js';
import { treasuryRoutes } from './routes/v1/treasury.js';
import { merchantPageRoutes } from './routes/merchant/index.js';

/** What `buildApp` needs. */
export interface AppOptions extends Omit<ServicesOptions, 'listeningAddress'> {
  /** A logger to use instead of the built-in one (tests pass a capturing one). */
  logger?: FastifyBaseLogger | false;
  /** How often an event stream sends a heartbeat comment, in ms. */
  heartbeatMs?: number;
  /** Where the hosted checkout page's built scripts are; default: the package's `dist/`. */
  distDir?: string;
  /**
   * Check every JSON response against the schema its route documents, answering 500 when one strays
   * (the tests turn it on). Off by default: the check costs a parse per response.
   */
  checkResponses?: boolean;
}

/** The HTTP app and the services (see `composition.ts`) its routes, the workers and the tests share. */
export interface App extends Services {
  server: FastifyInstance;
}

/**
 * Builds the HTTP app without listening (tests call `server.inject()`; `main.ts` listens).
 * Every route declares its zod schemas, which validate its input and generate the OpenAPI document;
 * every error answers `{"error":{"code","message"}}` (`error-handler.ts`). Route groups are plugins
 * under `routes/`, each behind its authentication hook.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const services = createServices({
    config,
    db,
    secrets: options.secrets,
    clock: options.clock,
    pricing: options.pricing,
    idempotency: options.idempotency,
    resolveHost: options.resolveHost, // Without public_url, links are built on the address the server listens on, known only then.
    listeningAddress: () => listening,
  });
  const { store, sessions, search, auth, idempotency, webhooks, readiness, metrics } = services;

  const server = Fastify({
    // Body limit, request timeouts, keep-alive, trusted proxies (limits.ts).
    ...httpServerOptions(config.limits),
    // A request that arrives while the server closes is refused by server.ts's hook, with the API's
    // error body and a Retry-After, instead of Fastify's own 503 body.
    return503OnClosing: false,
    // Errors Fastify raises before routing, and requests Node refuses, answer the API's error body.
    frameworkErrors,
    clientErrorHandler,
    // Requests are logged by the hook below, by path and route without the query string (the event
    // stream's ?client_secret=), whatever logger is in use; Fastify's own request log prints the URL.
    // Every log line of a request carries its id as `request_id`: a sane incoming X-Request-Id, else
    // a new UUID (request-id.ts); the answer echoes it.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdOf,
    // The logger redacts credentials and serializes errors without their values (logger.ts).
    ...(options.logger === undefined
      ? { loggerInstance: createLogger(config.log_level) }
      : options.logger === false
        ? { logger: false }
        : { loggerInstance: options.logger }),
  });
  services.feed.logger = server.log;
  // The address is read once per listen, not per view: `server.address()` is a getsockname system
  // call, and every session view (each create's answer and event) builds its links on it.
  let listening: AddressInfo | string | null = null;
  server.server.on('listening', () => (listening = server.server.address()));
  server.server.on('close', () => (listening = null));
  // Beyond this many open connections Node closes new ones at once (0: no cap).
  if (config.limits.max_connections > 0) server.server.maxConnections = config.limits.max_connections;
  server.addHook('onRequest', async (request, reply) => {
    // Set now, so that every answer has it, event streams (which write their own head) included.
    reply.header(REQUEST_ID_HEADER, request.id);
    // A request about one session logs its id on every line (the session's own routes and the
    // hosted checkout page), for following one checkout through the logs.
    const id = (request.params as { id?: unknown } | undefined)?.id;
    const route = request.routeOptions.url;
    if (
      typeof id === 'string' &&
      (route?.startsWith('/v1/sessions/:id') || route?.startsWith('/checkout/:id')) &&
      SESSION_ID_PATTERN.test(id)
    ) {
      // The binding goes onto the request's own logger (Fastify makes one per request, a child
      // with its request id) rather than onto a second child: an open event stream keeps its logger
      // for as long as it lasts, and each pino logger holds its own bound level functions.
      const log = request.log as FastifyBaseLogger & { setBindings?: (bindings: object) => void };
      if (typeof log.setBindings === 'function') log.setBindings({ session_id: id });
      else request.log = request.log.child({ session_id: id });
    }
  });
  server.addHook('onResponse', async (request, reply) => {
    // Event streams are not timed: they last as long as the buyer watches (sse_streams_open counts them).
    if (metrics && !reply.raw.getHeader('content-type')?.toString().startsWith('text/event-stream'))
      metrics.observeRequest(
        request.routeOptions.url ?? null,
        request.method,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        path: pathOf(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  // Route schemas are zod: they validate requests, and responses are sent as the route made them.
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(jsonSerializerCompiler(options.checkResponses ?? false));
  registerErrorHandler(server);
  // Before every route's own hooks: NUL and lone surrogates answer 400, never a database error.
  refuseUnsafeText(server);
  // Also before them: a scalar query parameter given twice answers 400, never reaches a route as an array.
  refuseRepeatedQuery(server);
  // Bodies are JSON only: text/plain, which Fastify parses by default, answers 415 like any other type.
  server.removeContentTypeParser('text/plain');
  // JSON nested deeper than MAX_JSON_DEPTH answers 400 before it is parsed (json-body.ts).
  parseJsonBodies(server);

  // @fastify/cors answers an OPTIONS request that is not a preflight with a text/plain 400; this
  // answers it first, with the API's error body.
  server.addHook('onRequest', async (request) => {
    if (request.method !== 'OPTIONS') return;
    if (!request.headers.origin || !request.headers['access-control-request-method']) {
      throw new InvalidRequestError(
        'OPTIONS is for CORS preflight requests only: send Origin and Access-Control-Request-Method',
      );
    }
  });
  await server.register(cors, {
    origin: config.cors_origins.includes('*') ? '*' : config.cors_origins,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id', 'idempotency-key'],
    maxAge: 600,
  });

  // Behind its token on this port, when metrics are on and have no port of their own (server.ts
  // serves that one). Before the limits: never shed or rate-limited; before the OpenAPI document's
  // hooks: not an operation of the API.
  if (metrics && config.metrics.token !== undefined && config.metrics.port === undefined)
    await server.register(metricsRoutes, { metrics, token: config.metrics.token });

  // Load shedding, rate limits, per-route body limits: before the routes, and before the OpenAPI
  // document, which reads the 429 and 503 answers this adds to each route.
  await registerLimits(server, config.limits);
  // Before the routes: both record every route registered after them.
  requireDocumentedRoutes(server);
  await registerOpenApi(server);
  decorateCallers(server);

  const heartbeatMs = options.heartbeatMs ?? 15_000;
  // Public.
  await server.register(healthRoutes, { db });
  await server.register(readyRoutes, { readiness, overloaded: () => server.isUnderPressure() });
  await server.register(openApiRoutes);
  await server.register(checkoutRoutes, {
    prefix: '/checkout',
    config,
    sessions,
    distDir: options.distDir,
  });
  // Secret key.
  await server.register(sessionRoutes, { prefix: '/v1/sessions', auth, sessions, search, idempotency });
  await server.register(webhookEndpointRoutes, { prefix: '/v1/webhook_endpoints', auth, ...webhooks });
  await server.register(webhookEventRoutes, { prefix: '/v1/webhook_events', auth, ...webhooks });
  await server.register(rateRoutes, { prefix: '/v1/rates', auth, estimates: services.estimates });
  await server.register(payoutRoutes, { prefix: '/v1/payouts', auth, idempotency, ...services.treasury });
  await server.register(treasuryRoutes, { auth, ledger: services.treasury.ledger });
  await server.register(merchantPageRoutes, {
    prefix: '/merchant',
    config,
    auth,
    apiKeys: services.apiKeys,
    ledger: services.treasury.ledger,
    payouts: services.treasury.payouts,
    search,
    clock: options.clock,
  });
  // The session's client secret, or a secret key of its mode.
  await server.register(sessionAccessRoutes, { prefix: '/v1/sessions', auth, sessions });
  await server.register(sessionEventRoutes, {
    prefix: '/v1/sessions',
    auth,
    sessions,
    store,
    feed: services.feed,
    heartbeatMs,
    maxStreamsPerSession: config.limits.max_streams_per_session,
    maxStreams: config.limits.max_streams,
    streamsGauge: metrics?.openStreams,
  });

  // The rate sources' pooled connections close with the server; a derivation-pool refill in flight
  // finishes before the database closes.
  server.addHook('onClose', () => services.pricing.close());
  server.addHook('onClose', () => sessions.addresses.stop());
  return { ...services, server };
}
