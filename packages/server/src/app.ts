import cors from '@fastify/cors';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import { ZodError } from 'zod';
import { parseXpub } from './chain/derive-address.js';
import { redactUrl, type Authenticator } from './auth.js';
import { buildMethodRegistry } from './chain/registry.js';
import { StaticRateSource, type RateSource } from './rates/rate-source.js';
import type { Config } from './config.js';
import { ApiError } from './errors.js';
import { Idempotency, type IdempotencyOptions } from './idempotency.js';
import { keyAuthenticator } from './keys/key-authenticator.js';
import { registerOpenApiRoute } from './openapi.js';
import { publicBaseUrl } from './public-url.js';
import { registerCheckoutPageRoutes } from './routes/checkout-page.js';
import { registerEventRoutes } from './routes/events.js';
import { registerSessionListRoutes } from './routes/session-list.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { SessionBus } from './sessions/session-bus.js';
import { SessionSearch } from './sessions/session-search.js';
import { SessionService } from './sessions/session-service.js';
import { ApiKeyStore } from './store/api-key-store.js';
import type { Database } from './store/database.js';
import { IdempotencyStore } from './store/idempotency-store.js';
import { SessionStore } from './store/session-store.js';
import { WebhookEndpoints } from './webhooks/webhook-endpoints.js';
import { WebhookEvents } from './webhooks/webhook-events.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';
import { WebhookStore } from './webhooks/webhook-store.js';

/** What `buildApp` needs. */
export interface AppOptions {
  config: Config;
  db: Database;
  /** Defaults to the real clock. */
  clock?: () => Date;
  /** A logger to use instead of the built-in one (tests pass a capturing one). */
  logger?: FastifyBaseLogger | false;
  /** How often an event stream sends a heartbeat comment, in ms. */
  heartbeatMs?: number;
  /** Where native-coin prices come from; default: the static `rates` of the configuration. */
  rates?: RateSource;
  /** `Idempotency-Key` tuning (waits, retention); tests shorten it. */
  idempotency?: Omit<IdempotencyOptions, 'clock'>;
  /** Where the hosted checkout page's built scripts are; default: the package's `dist/`. */
  distDir?: string;
}

/** The app and the services the watcher and the CLI share with it. */
export interface App {
  server: FastifyInstance;
  sessions: SessionService;
  store: SessionStore;
  bus: SessionBus;
  /** Identifies callers by their bearer token (secret keys, client secrets). */
  auth: Authenticator;
  /** Secret keys kept (hashed) in the database. */
  apiKeys: ApiKeyStore;
  /** `Idempotency-Key` handling; the server purges expired keys with it. */
  idempotency: Idempotency;
  /**
   * The backend's public base URL: `public_url`, else the address it listens on (known once it
   * listens, also for `port: 0`).
   */
  publicUrl: () => string;
  /** Webhook endpoints, the outbox (hooked into every status change) and the event log. */
  webhooks: {
    store: WebhookStore;
    endpoints: WebhookEndpoints;
    outbox: WebhookOutbox;
    events: WebhookEvents;
  };
}

/**
 * Builds the HTTP app without listening (tests call `server.inject()`; `main.ts` listens).
 * Every route validates its input with zod; every error answers `{"error":{"code","message"}}`.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const store = new SessionStore(db);
  const bus = new SessionBus();
  const apiKeys = new ApiKeyStore(db);
  const auth = keyAuthenticator(config.secret_keys, apiKeys, options.clock);
  const idempotency = new Idempotency(new IdempotencyStore(db), {
    ...options.idempotency,
    clock: options.clock,
  });
  const rates = options.rates ?? new StaticRateSource(config.rates);
  const methods = buildMethodRegistry(config, rates);
  // Asked for each merchant view: without public_url, the port is known only once the server listens.
  const publicUrl = () => publicBaseUrl(config, server.server.listening ? server.server.address() : null);
  const sessions = new SessionService(
    store,
    config,
    methods,
    parseXpub(config.xpub),
    bus,
    rates,
    options.clock,
    publicUrl,
  );
  const webhookStore = new WebhookStore(db);
  const webhooks = {
    store: webhookStore,
    endpoints: new WebhookEndpoints(webhookStore, config.webhooks.secret_overlap, options.clock),
    outbox: new WebhookOutbox(webhookStore, options.clock),
    events: new WebhookEvents(webhookStore),
  };
  // Every status change writes its webhook event in the change's own transaction.
  sessions.onStatusChange(webhooks.outbox.statusHook);

  const server = Fastify({
    bodyLimit: 64 * 1024,
    // Requests are logged by the hook below, which redacts client secrets from URLs whatever logger
    // is in use; Fastify's own request log would print them.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger === undefined
      ? { logger: { level: config.log_level, redact: ['req.headers.authorization'] } }
      : options.logger === false
        ? { logger: false }
        : { loggerInstance: options.logger }),
  });
  server.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  await server.register(cors, {
    origin: config.cors_origins.includes('*') ? '*' : config.cors_origins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id', 'idempotency-key'],
    maxAge: 600,
  });

  server.setErrorHandler((error: FastifyError | ApiError | ZodError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.statusCode).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.issues ? { issues: error.issues } : {}),
        },
      });
    }
    if (error instanceof ZodError) {
      const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
      return reply.status(400).send({
        error: {
          code: 'invalid_request',
          message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
          issues,
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status === 415) {
      return reply
        .status(415)
        .send({ error: { code: 'unsupported_media_type', message: 'send the body as application/json' } });
    }
    if (status === 413) {
      return reply
        .status(413)
        .send({ error: { code: 'payload_too_large', message: 'the body is larger than 64 KB' } });
    }
    if (status >= 400 && status < 500) {
      const invalidJson =
        error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
        error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
        error instanceof SyntaxError;
      return reply.status(400).send({
        error: {
          code: invalidJson ? 'invalid_json' : 'invalid_request',
          message: invalidJson ? `the body is not valid JSON: ${error.message}` : error.message,
        },
      });
    }
    // A bug: log it in full, answer without internals.
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send({ error: { code: 'internal_error', message: 'internal error; it has been logged' } });
  });

  server.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'not_found', message: `no route ${request.method} ${redactUrl(request.url)}` },
    }),
  );

  // First: it records every route registered after it, to check that the document lists them all.
  registerOpenApiRoute(server);

  server.get('/health', async () => {
    await db.query('SELECT 1');
    return { ok: true, database: db.kind };
  });

  registerSessionRoutes(server, { auth, sessions, idempotency });
  registerSessionListRoutes(server, { auth, search: new SessionSearch(store, sessions) });
  registerEventRoutes(server, { auth, sessions, store, bus, heartbeatMs: options.heartbeatMs ?? 15_000 });
  registerWebhookRoutes(server, { auth, ...webhooks });
  registerCheckoutPageRoutes(server, { config, sessions, publicUrl, distDir: options.distDir });

  return { server, sessions, store, bus, auth, apiKeys, idempotency, webhooks, publicUrl };
}
