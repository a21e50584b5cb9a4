/**
 * `/v1/webhook_events…`, behind a secret key: the event log, each event's delivery attempts, and
 * redelivery. A key sees only its mode's events.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  listWebhookAttemptsQuerySchema,
  listWebhookEventsQuerySchema,
  redeliverWebhookEventRequestSchema,
  webhookAttemptListSchema,
  webhookEventIdSchema,
  webhookEventListSchema,
  webhookEventSchema,
} from '@crypto-checkout/protocol';
import type { Authenticator } from '../../auth.js';
import { errors, json, optionalBody, security } from '../../openapi.js';
import type { WebhookEvents } from '../../webhooks/webhook-events.js';
import type { WebhookOutbox } from '../../webhooks/webhook-outbox.js';
import { merchantOf, secretKeyHook } from '../auth-hooks.js';

/** What the event log routes need. */
export interface WebhookEventRoutesOptions {
  auth: Authenticator;
  events: WebhookEvents;
  outbox: WebhookOutbox;
}

const params = z.object({
  id: webhookEventIdSchema.describe('The event id (`msg_…`), also its `webhook-id` header.'),
});

/** The webhook event routes; register with the prefix `/v1/webhook_events`. */
export const webhookEventRoutes: FastifyPluginAsyncZod<WebhookEventRoutesOptions> = async (app, options) => {
  const { auth, events, outbox } = options;
  app.addHook('onRequest', secretKeyHook(auth));
  const live = (request: Parameters<typeof merchantOf>[0]) => merchantOf(request).mode === 'live';

  app.get(
    '',
    {
      schema: {
        operationId: 'listWebhookEvents',
        tags: ['Webhooks'],
        summary: 'List webhook events',
        description:
          "Events of the key's mode, newest first, with each delivery's state. Follow `next_cursor`.",
        security: security('secretKey'),
        querystring: listWebhookEventsQuerySchema,
        response: { 200: json(webhookEventListSchema, 'One page of events.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => events.list(request.query, live(request)),
  );

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getWebhookEvent',
        tags: ['Webhooks'],
        summary: 'Read a webhook event',
        security: security('secretKey'),
        params,
        response: {
          200: json(webhookEventSchema, 'The event, its payload and deliveries.'),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => events.get(request.params.id, live(request)),
  );

  app.get(
    '/:id/attempts',
    {
      schema: {
        operationId: 'listWebhookAttempts',
        tags: ['Webhooks'],
        summary: "List an event's delivery attempts",
        description:
          'Every attempt to every endpoint, newest first: time, status code or error, latency, answer excerpt.',
        security: security('secretKey'),
        params,
        querystring: listWebhookAttemptsQuerySchema,
        response: {
          200: json(webhookAttemptListSchema, 'One page of attempts.'),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => events.attempts(request.params.id, live(request), request.query),
  );

  app.post(
    '/:id/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhookEvent',
        tags: ['Webhooks'],
        summary: 'Redeliver a webhook event',
        description:
          'Sends the event again with the same `webhook-id` and body, on a fresh retry schedule: to ' +
          '`endpoint_id`, or to every enabled endpoint whose filter takes it. The body may be left out.',
        security: security('secretKey'),
        params,
        body: optionalBody(redeliverWebhookEventRequestSchema),
        response: {
          202: json(webhookEventSchema, 'The event, its deliveries queued again.'),
          ...errors(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request, reply) => {
      await outbox.redeliver(request.params.id, live(request), request.body.endpoint_id);
      return reply.status(202).send(await events.get(request.params.id, live(request)));
    },
  );
};
