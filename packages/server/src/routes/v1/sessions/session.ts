/**
 * One session, for its buyer (the client secret) or its merchant (a secret key of its mode):
 * `GET /v1/sessions/:id` (secret key: merchant view; client secret: buyer view),
 * `POST /v1/sessions/:id/payment` (choose the payment method) and `DELETE /v1/sessions/:id/payment`
 * (go back to the method list).
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
      const { caller, bundle: loaded } = sessionAccessOf(request);
      // A lock that ran out with nothing received is requoted on the next view; each offered method
      // gets its amount at the current rate (cached, one request per pair in flight).
      const bundle = await sessions.requoteIfDue(loaded);
      const quotes = await sessions.quotes(bundle);
      return caller.kind === 'merchant'
        ? sessions.merchantView(bundle, undefined, quotes)
        : sessions.buyerView(bundle, undefined, quotes);
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
          'Derives a fresh deposit address and locks the amount due at the current rate for the lock ' +
          'window (`rate_locked_until`). Choosing the same method again answers the same instructions ' +
          '(requoted if the lock ran out with nothing received); another method answers ' +
          '`409 method_already_chosen` (go back with `DELETE` first). No rate from the sources: ' +
          '`503 rate_unavailable` with `Retry-After`, and nothing is written.',
        security: security('clientSecret', 'secretKey'),
        params: sessionIdParams,
        body: choosePaymentRequestSchema,
        response: {
          200: json(buyerSessionSchema, 'The buyer view with `payment` set.'),
          ...errors(400, 401, 403, 404, 409, 413, 415, 503),
        },
      },
    },
    async (request) => {
      const { bundle } = sessionAccessOf(request);
      return sessions.choosePayment(bundle.session.id, request.body.method, { loaded: bundle });
    },
  );

  app.delete(
    '/:id/payment',
    {
      schema: {
        operationId: 'dropPaymentMethod',
        tags: ['Sessions'],
        summary: 'Go back to the method list',
        description:
          'Sets the chosen method, its deposit address and its rate lock aside, so the buyer can choose ' +
          'another (`can_change_method` says whether it is allowed); choosing again derives a new address. ' +
          'Refused with `409 payment_in_progress` once anything was received on the current address (a ' +
          'transfer still confirming included), and `409 session_not_open` when the session takes no ' +
          'payment. Without a chosen method it answers the session as it is. The event stream sends the ' +
          'change. The old address stays watched until `watch_until`: a transfer to it is recorded ' +
          '(`abandoned_address: true`), never counts, and flags the session `paid_to_abandoned_address`.',
        security: security('clientSecret', 'secretKey'),
        params: sessionIdParams,
        response: {
          200: json(buyerSessionSchema, 'The buyer view with `payment: null`.'),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { bundle } = sessionAccessOf(request);
      const after = await sessions.dropPayment(bundle.session.id);
      return sessions.buyerView(after, undefined, await sessions.quotes(after));
    },
  );
};
