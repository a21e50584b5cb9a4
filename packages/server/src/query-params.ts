/**
 * One value per query parameter. A parameter given twice (`?limit=1&limit=2`,
 * `?client_secret=a&client_secret=b`) arrives from the query-string parser as an array, which code
 * expecting a string would misread (the authentication once threw on it: an unauthenticated 500).
 * Checked once for every route, before authentication, it answers 400 `invalid_request` naming the
 * parameter — unless the route's schema marks that parameter repeatable (`repeatableParameters` of
 * the protocol, e.g. `status`).
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isRepeatableParameter } from '@crypto-checkout/protocol';
import { InvalidRequestError } from './errors.js';

/** The shape of a route's query schema (a zod object), or `null` when the route documents no query. */
function queryShape(request: FastifyRequest): Record<string, z.ZodType> | null {
  const schema = request.routeOptions.schema?.querystring as
    { shape?: Record<string, z.ZodType> } | undefined;
  return schema?.shape ?? null;
}

/**
 * The first parameter of `query` given more than once where the route takes one value, or `null`.
 * @example repeatedParameter({ limit: ['1', '2'] }, { limit: limitSchema }) // 'limit'
 */
export function repeatedParameter(query: unknown, shape: Record<string, z.ZodType> | null): string | null {
  if (query === null || typeof query !== 'object') return null;
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value) && !isRepeatableParameter(shape?.[name])) return name;
  }
  return null;
}

/** Adds the check to every route, as an `onRequest` hook: before authentication reads the query. */
export function refuseRepeatedQuery(server: FastifyInstance): void {
  server.addHook('onRequest', async (request) => {
    const name = repeatedParameter(request.query, queryShape(request));
    if (name !== null) {
      throw InvalidRequestError.field(name, 'given more than once; send it once');
    }
  });
}
