/**
 * `GET /ready`, public: the readiness probe. 200 while this instance can do its work, 503 with
 * machine-readable reasons while it cannot (database down, a chain's node out of reach, a webhook
 * backlog, overload). `GET /health` stays the liveness probe. It says nothing secret: chain keys
 * are public (they name the payment methods), and the backlog is a count.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { json, nameSchema, security } from '../openapi.js';
import type { Readiness } from '../readiness.js';

/** The answer of `GET /ready`, 200 or 503 alike. */
const readinessSchema = nameSchema(
  z.object({
    ready: z.boolean(),
    /** Why the instance is not ready; empty when it is. */
    reasons: z.array(
      z.object({
        check: z.enum(['database', 'chain', 'webhooks', 'overloaded']),
        chain: z.string().optional().describe('The chain, for `chain`.'),
        message: z.string(),
      }),
    ),
    database: z.object({ ok: z.boolean() }),
    chains: z.array(
      z.object({
        key: z.string(),
        ok: z.boolean(),
        last_success_at: z
          .string()
          .nullable()
          .describe('When the watcher last reached the node; `null` before the first time.'),
        head: z.number().int().nullable().describe('The newest block height seen.'),
        role: z
          .enum(['leader', 'follower'])
          .nullable()
          .describe(
            'Whether this instance watches the chain (`leader`) or another instance on the same database does (`follower`: never stale here); `null` when no watcher runs in this process.',
          ),
        leader: z.string().nullable().describe('Which instance (host:pid) watches the chain, when known.'),
        detection: z
          .enum(['subscription', 'polling'])
          .nullable()
          .describe(
            'How the watcher notices new blocks now: `subscription` while a `newHeads` WebSocket ' +
              'subscription is up (polling goes on as the safety net), `polling` while it is not; ' +
              '`null` when no watcher runs in this instance.',
          ),
      }),
    ),
    webhooks: z.object({
      ok: z.boolean(),
      backlog: z
        .number()
        .int()
        .nullable()
        .describe(
          'Deliveries due and not delivered, counted up to `max` + 1; `null` while the database is down.',
        ),
      max: z.number().int(),
    }),
    rates: z
      .object({
        sources: z.array(
          z.object({
            source: z.string().describe('The source, e.g. `coinbase`, `frankfurter`, `static`.'),
            last_ok_at: z.string().nullable().describe('When it last answered a usable price.'),
            last_error_at: z.string().nullable().describe('When it last failed.'),
            last_error: z
              .string()
              .nullable()
              .describe('Why it last failed: a status, a timeout, a malformed or stale answer, an outlier.'),
            latency_ms: z.number().int().nullable().describe('How long its last request took.'),
            ok_total: z.number().int(),
            error_total: z.number().int(),
          }),
        ),
      })
      .describe(
        "Each rate source's health; informational (a source down does not make the instance unready).",
      ),
  }),
  'Readiness',
);

/** What the readiness probe needs. */
export interface ReadyRoutesOptions {
  readiness: Readiness;
  /** Whether the load shedder is refusing requests now. */
  overloaded: () => boolean;
}

/** The readiness probe; register without a prefix. */
export const readyRoutes: FastifyPluginAsyncZod<ReadyRoutesOptions> = async (
  app,
  { readiness, overloaded },
) => {
  app.get(
    '/ready',
    {
      schema: {
        operationId: 'ready',
        tags: ['Meta'],
        summary: 'Readiness check',
        description:
          'Answers 200 while this instance can take traffic, 503 with `reasons` while it cannot: the ' +
          'database does not answer (`database`), a chain watcher has not reached its node within the ' +
          "chain's bound (`chain`), too many webhook deliveries are due (`webhooks`), or the event loop " +
          'is saturated (`overloaded`). Never rate-limited or shed. `GET /health` is the liveness probe.',
        security: security(),
        response: {
          200: json(readinessSchema, 'Ready.'),
          503: json(readinessSchema, 'Not ready; `reasons` says why.'),
        },
      },
    },
    async (_request, reply) => {
      const report = await readiness.check({ overloaded: overloaded() });
      if (!report.ready) reply.header('retry-after', '5');
      return reply.status(report.ready ? 200 : 503).send(report);
    },
  );
};
