/**
 * `GET /openapi.json`, public: the OpenAPI 3.1 document, generated from the routes' own schemas by
 * `@fastify/swagger` (see `openapi.ts`).
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { json, nameSchema, security } from '../openapi.js';

const documentSchema = nameSchema(z.looseObject({ openapi: z.string() }), 'OpenApiDocument');

/** The document's route; register without a prefix, after `registerOpenApi`. */
export const openApiRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        tags: ['Meta'],
        summary: 'This OpenAPI document',
        security: security(),
        response: { 200: json(documentSchema, 'The OpenAPI 3.1 document.') },
      },
    },
    // Built once, on the first request: by then every route is registered.
    async () => app.swagger() as unknown as z.output<typeof documentSchema>,
  );
};
