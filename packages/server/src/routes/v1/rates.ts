/**
 * `GET /v1/rates/estimate`, behind a secret key: what an amount costs in a token at the current
 * rate, per method, with the network fee a buyer would pay. An estimate, not a lock: sessions lock
 * their own rate when the buyer chooses a method.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { rateEstimateQuerySchema, rateEstimateSchema } from '@crypto-checkout/protocol';
import type { Authenticator } from '../../auth.js';
import { errors, json, security } from '../../openapi.js';
import type { RateEstimates } from '../../rates/rate-estimates.js';
import { secretKeyHook } from '../auth-hooks.js';

/** What the rate routes need. */
export interface RateRoutesOptions {
  auth: Authenticator;
  estimates: RateEstimates;
}

/** The rate routes; register with the prefix `/v1/rates`. */
export const rateRoutes: FastifyPluginAsyncZod<RateRoutesOptions> = async (app, options) => {
  const { auth, estimates } = options;
  app.addHook('onRequest', secretKeyHook(auth));

  app.get(
    '/estimate',
    {
      schema: {
        operationId: 'estimateRate',
        tags: ['Rates'],
        summary: 'Estimate a price in a token',
        description:
          'What `amount` of `from` (ISO 4217 or an accepted crypto asset) costs in the token `to` at ' +
          'the current rate, for each method that pays in it, with the network fee of a transfer at ' +
          "the chain's current gas price. Not a lock. `503 rate_unavailable` (with `Retry-After`) " +
          'when the rate sources cannot price it now.',
        security: security('secretKey'),
        querystring: rateEstimateQuerySchema,
        response: {
          200: json(rateEstimateSchema, 'The estimate.'),
          ...errors(400, 401, 403, 503),
        },
      },
    },
    async (request) => estimates.estimate(request.query),
  );
};
