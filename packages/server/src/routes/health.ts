/**
 * `GET /health`, public: answers once the database answers, for load balancers and orchestrators.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { json, nameSchema, security } from '../openapi.js';
import type { Database } from '../store/database.js';

/** The answer of `GET /health`. */
const healthSchema = nameSchema(
  z.object({
    ok: z.literal(true),
    /** Which database the server uses. */
    database: z.enum(['pglite', 'postgres']),
  }),
  'Health',
);

/** The health check; register without a prefix. */
export const healthRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'health',
        tags: ['Meta'],
        summary: 'Health check',
        description: 'Answers once the database answers.',
        security: security(),
        response: { 200: json(healthSchema, 'The server and its database are up.') },
      },
    },
    async () => {
      await db.query('SELECT 1');
      return { ok: true as const, database: db.kind };
    },
  );
};
