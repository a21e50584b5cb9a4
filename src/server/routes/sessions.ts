import type { FastifyInstance } from 'fastify';
import { choosePaymentRequestSchema, createSessionRequestSchema } from '../../protocol/index.js';
import { bearerToken, identifyCaller } from '../auth.js';
import type { Config } from '../config.js';
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
  deps: { config: Config; sessions: SessionService },
): void {
  const { config, sessions } = deps;

  server.post('/v1/sessions', async (request, reply) => {
    const caller = identifyCaller(bearerToken(request.headers.authorization), config.secret_keys);
    if (caller.kind !== 'merchant') {
      throw new ApiError(401, 'unauthorized', 'creating a session needs a secret key, not a client secret');
    }
    const body = createSessionRequestSchema.parse(request.body ?? undefined);
    const session = await sessions.create(body);
    return reply.status(201).send(session);
  });

  server.get<{ Params: { id: string } }>('/v1/sessions/:id', async (request) => {
    const { caller, bundle } = await loadSessionFor(
      sessions,
      request.params.id,
      bearerToken(request.headers.authorization),
      config.secret_keys,
    );
    return caller.kind === 'merchant' ? sessions.merchantView(bundle) : sessions.buyerView(bundle);
  });

  server.post<{ Params: { id: string } }>('/v1/sessions/:id/payment', async (request) => {
    const { bundle } = await loadSessionFor(
      sessions,
      request.params.id,
      bearerToken(request.headers.authorization),
      config.secret_keys,
    );
    const body = choosePaymentRequestSchema.parse(request.body ?? undefined);
    return sessions.choosePayment(bundle.session.id, body.method);
  });

  server.post<{ Params: { id: string } }>('/v1/sessions/:id/cancel', async (request) => {
    const { caller, bundle } = await loadSessionFor(
      sessions,
      request.params.id,
      bearerToken(request.headers.authorization),
      config.secret_keys,
    );
    // The buyer's client secret must not cancel: cancellation is the merchant's decision.
    if (caller.kind !== 'merchant')
      throw new ApiError(403, 'forbidden', 'canceling a session needs a secret key');
    return sessions.cancel(bundle.session.id);
  });
}
