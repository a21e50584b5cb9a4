import type { FastifyInstance } from 'fastify';
import { choosePaymentRequestSchema, createSessionRequestSchema } from '@crypto-checkout/protocol';
import { bearerToken, requireMerchant, type Authenticator } from '../auth.js';
import { ApiError } from '../errors.js';
import type { Idempotency } from '../idempotency.js';
import type { SessionService } from '../sessions/session-service.js';
import { loadSessionFor } from './session-access.js';

/**
 * `POST /v1/sessions` (secret key), `GET /v1/sessions/:id` (secret key: merchant view; client
 * secret: buyer view), `POST /v1/sessions/:id/payment` (choose a method) and
 * `POST /v1/sessions/:id/cancel` (secret key). Both `POST`s by the merchant take an
 * `Idempotency-Key` (see {@link Idempotency}).
 */
export function registerSessionRoutes(
  server: FastifyInstance,
  deps: { auth: Authenticator; sessions: SessionService; idempotency: Idempotency },
): void {
  const { auth, sessions, idempotency } = deps;

  server.post('/v1/sessions', async (request, reply) => {
    const caller = await auth.identify(bearerToken(request.headers.authorization));
    if (caller.kind !== 'merchant') {
      throw new ApiError(401, 'unauthorized', 'creating a session needs a secret key, not a client secret');
    }
    const body = createSessionRequestSchema.parse(request.body ?? undefined);
    return idempotency.respond(request, reply, caller, async (commit) => {
      const session = await sessions.create(body, {
        livemode: caller.mode === 'live',
        within: (tx, view) => commit(tx, { status: 201, body: view }),
      });
      return { status: 201, body: session };
    });
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

  server.post<{ Params: { id: string } }>('/v1/sessions/:id/cancel', async (request, reply) => {
    // The buyer's client secret must not cancel: cancellation is the merchant's decision.
    const caller = await requireMerchant(auth, request.headers.authorization, 'canceling a session');
    // Canceling is safe to repeat, so its answer is stored after it rather than in its transaction.
    return idempotency.respond(request, reply, caller, async () => {
      const { bundle } = await loadSessionFor(
        sessions,
        request.params.id,
        bearerToken(request.headers.authorization),
        auth,
      );
      return { status: 200, body: await sessions.cancel(bundle.session.id) };
    });
  });
}
