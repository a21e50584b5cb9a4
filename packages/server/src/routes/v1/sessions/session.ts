/**
 * One session, for its buyer (the client secret) or its merchant (a secret key of its mode):
 * `GET /v1/sessions/:id` (secret key: merchant view; client secret: buyer view) and
 * `POST /v1/sessions/:id/payment` (choose the payment method).
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buyerSessionSchema, choosePaymentRequestSchema, sessionSchema } from '@crypto-checkout/protocol';
import type { Authenticator } from '../../../auth.js';
import { errors, json, security } from '../../../openapi.js';
import type { SessionService } from '../../../sessions/session-service.js';
import { sessionAccessHook, sessionAccessOf } from '../../auth-hooks.js';
import { sessionIdParams } from './index.js';

/** What the routes of one session need. */
export interface SessionAccessRoutesOptions {
  auth: Authenticator;
  sessions: SessionService;
}

/** The routes of one session; register with the prefix `/v1/sessions`. */
export const sessionAccessRoutes: FastifyPluginAsyncZod<SessionAccessRoutesOptions> = async (
  app,
  options,
) => {
  const { auth, sessions } = options;
  app.addHook('onRequest', sessionAccessHook(auth, sessions));

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getSession',
        tags: ['Sessions'],
        summary: 'Read a session',
        description:
          'With the secret key: the merchant view (`Session`). With the ' +
          "session's client secret: the buyer view (`BuyerSession`), without metadata and secrets.",
        security: security('secretKey', 'clientSecret'),
        params: sessionIdParams,
        response: {
          200: json(
            z.union([sessionSchema, buyerSessionSchema]),
            'The merchant view (secret key) or the buyer view (client secret).',
          ),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => {
      const { caller, bundle } = sessionAccessOf(request);
      return caller.kind === 'merchant' ? sessions.merchantView(bundle) : sessions.buyerView(bundle);
    },
  );

  app.post(
    '/:id/payment',
    {
      schema: {
        operationId: 'choosePaymentMethod',
        tags: ['Sessions'],
        summary: 'Choose the payment method',
        description:
          'Derives a fresh deposit address and locks the amount due. Choosing the same method again ' +
          'answers the same instructions; another method answers `409 method_already_chosen`.',
        security: security('clientSecret', 'secretKey'),
        params: sessionIdParams,
        body: choosePaymentRequestSchema,
        response: {
          200: json(buyerSessionSchema, 'The buyer view with `payment` set.'),
          ...errors(400, 401, 403, 404, 409, 413, 415, 422),
        },
      },
    },
    async (request) => {
      const { bundle } = sessionAccessOf(request);
      return sessions.choosePayment(bundle.session.id, request.body.method, { loaded: bundle });
    },
  );
};
