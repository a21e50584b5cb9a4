import type { FastifyInstance } from 'fastify';
import { choosePaymentRequestSchema, createSessionRequestSchema } from '../../protocol/index.js';
import { bearerToken, requireMerchant, type Authenticator } from '../auth.js';
import { ApiError } from '../errors.js';
import type { SessionService } from '../sessions/session-service.js';
import { loadSessionFor } from './session-access.js';

/**
 * `POST /v1/sessions` (secret key), `GET /v1/sessions/:id` (secret key: merchant view; client
 * secret: buyer view), `POST /v1/sessions/:id/payment` (choose a method) and
 * `POST /v1/sessions/:id/cancel` (secret key).
 */
export function registerSessionRoutes(
  server: FastifyInstance,
  deps: { auth: Authenticator; sessions: SessionService },
): void {
  const { auth, sessions } = deps;

  server.post('/v1/sessions', async (request, reply) => {
    const caller = await auth.identify(bearerToken(request.headers.authorization));
    if (caller.kind !== 'merchant') {
      throw new ApiError(401, 'unauthorized', 'creating a session needs a secret key, not a client secret');
    }
    const body = createSessionRequestSchema.parse(request.body ?? undefined);
    const session = await sessions.create(body, { livemode: caller.mode === 'live' });
    return reply.status(201).send(session);
  });

  server.get<{ Params: { id: string } }>('/v1/sessions/:id', async (request) => {
    const { caller, bundle } = await loadSessionFor(
      sessions,
      request.params.id,
      bearerToken(request.headers.authorization),
      auth,
    );
    return caller.kind === 'merchant' ? sessions.merchantView(bundle) : sessions.buyerView(bundle);
  });

  server.post<{ Params: { id: string } }>('/v1/sessions/:id/payment', async (request) => {
    const { bundle } = await loadSessionFor(
      sessions,
      request.params.id,
      bearerToken(request.headers.authorization),
      auth,
    );
    const body = choosePaymentRequestSchema.parse(request.body ?? undefined);
    return sessions.choosePayment(bundle.session.id, body.method);
  });

  server.post<{ Params: { id: string } }>('/v1/sessions/:id/cancel', async (request) => {
    // The buyer's client secret must not cancel: cancellation is the merchant's decision.
    await requireMerchant(auth, request.headers.authorization, 'canceling a session');
    const { bundle } = await loadSessionFor(
      sessions,
      request.params.id,
      bearerToken(request.headers.authorization),
      auth,
    );
    return sessions.cancel(bundle.session.id);
  });
}
