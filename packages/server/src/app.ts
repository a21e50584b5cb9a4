import cors from '@fastify/cors';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import { ZodError } from 'zod';
import { redactUrl } from './auth.js';
import { createServices, type Services, type ServicesOptions } from './composition.js';
import { ApiError } from './errors.js';
import { registerOpenApiRoute } from './openapi.js';
import { registerCheckoutPageRoutes } from './routes/checkout-page.js';
import { registerEventRoutes } from './routes/events.js';
import { registerSessionListRoutes } from './routes/session-list.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

/** What `buildApp` needs. */
export interface AppOptions extends Omit<ServicesOptions, 'listeningAddress'> {
  /** A logger to use instead of the built-in one (tests pass a capturing one). */
  logger?: FastifyBaseLogger | false;
  /** How often an event stream sends a heartbeat comment, in ms. */
  heartbeatMs?: number;
  /** Where the hosted checkout page's built scripts are; default: the package's `dist/`. */
  distDir?: string;
}

/** The HTTP app and the services (see `composition.ts`) its routes, the workers and the tests share. */
export interface App extends Services {
  server: FastifyInstance;
}

/**
 * Builds the HTTP app without listening (tests call `server.inject()`; `main.ts` listens).
 * Every route validates its input with zod; every error answers `{"error":{"code","message"}}`.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { config, db } = options;
  const services = createServices({
    config,
    db,
    clock: options.clock,
    rates: options.rates,
    idempotency: options.idempotency, // Without public_url, links are built on the address the server listens on, known only then.
    listeningAddress: () => (server.server.listening ? server.server.address() : null),
  });
  const { store, bus, sessions, search, auth, idempotency, webhooks, publicUrl } = services;

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
  registerSessionListRoutes(server, { auth, search });
  registerEventRoutes(server, { auth, sessions, store, bus, heartbeatMs: options.heartbeatMs ?? 15_000 });
  registerWebhookRoutes(server, { auth, ...webhooks });
  registerCheckoutPageRoutes(server, { config, sessions, publicUrl, distDir: options.distDir });

  return { ...services, server };
}
