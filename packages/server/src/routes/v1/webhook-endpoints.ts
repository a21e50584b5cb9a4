/**
 * `/v1/webhook_endpoints…`, behind a secret key: create, list, read, update, delete, rotate the
 * signing secret, send a test event. A key sees only its mode's endpoints.
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createWebhookEndpointRequestSchema,
  rotateWebhookSecretRequestSchema,
  updateWebhookEndpointRequestSchema,
  webhookEndpointIdSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
  webhookEventSchema,
} from '@crypto-checkout/protocol';
import type { Authenticator } from '../../auth.js';
import { errors, json, optionalBody, security } from '../../openapi.js';
import type { WebhookEndpoints } from '../../webhooks/webhook-endpoints.js';
import type { WebhookEvents } from '../../webhooks/webhook-events.js';
import type { WebhookOutbox } from '../../webhooks/webhook-outbox.js';
import { merchantOf, secretKeyHook } from '../auth-hooks.js';

/** What the endpoint routes need. */
export interface WebhookEndpointRoutesOptions {
  auth: Authenticator;
  endpoints: WebhookEndpoints;
  events: WebhookEvents;
  outbox: WebhookOutbox;
}

const params = z.object({ id: webhookEndpointIdSchema.describe('The endpoint id (`we_…`).') });

/** The webhook endpoint routes; register with the prefix `/v1/webhook_endpoints`. */
export const webhookEndpointRoutes: FastifyPluginAsyncZod<WebhookEndpointRoutesOptions> = async (
  app,
  options,
) => {
  const { auth, endpoints, events, outbox } = options;
  app.addHook('onRequest', secretKeyHook(auth));
  const live = (request: Parameters<typeof merchantOf>[0]) => merchantOf(request).mode === 'live';

  app.post(
    '',
    {
      schema: {
        operationId: 'createWebhookEndpoint',
        tags: ['Webhooks'],
        summary: 'Add a webhook endpoint',
        description:
          "Adds an endpoint in the key's mode and answers it with its signing `secret` (`whsec_…`), shown " +
          'this once. At most 20 endpoints per mode.',
        security: security('secretKey'),
        body: createWebhookEndpointRequestSchema,
        response: {
          201: json(webhookEndpointWithSecretSchema, 'The endpoint and its secret.'),
          ...errors(400, 401, 403, 413, 415),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await endpoints.create(request.body, live(request))),
  );

  app.get(
    '',
    {
      schema: {
        operationId: 'listWebhookEndpoints',
        tags: ['Webhooks'],
        summary: 'List webhook endpoints',
        security: security('secretKey'),
        response: {
          200: json(webhookEndpointListSchema, "The mode's endpoints, oldest first."),
          ...errors(401, 403),
        },
      },
    },
    async (request) => ({ data: await endpoints.list(live(request)) }),
  );

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getWebhookEndpoint',
        tags: ['Webhooks'],
        summary: 'Read a webhook endpoint',
        security: security('secretKey'),
        params,
        response: {
          200: json(webhookEndpointSchema, 'The endpoint (its secret as a prefix only).'),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => endpoints.get(request.params.id, live(request)),
  );

  app.patch(
    '/:id',
    {
      schema: {
        operationId: 'updateWebhookEndpoint',
        tags: ['Webhooks'],
        summary: 'Update a webhook endpoint',
        description:
          'Changes the URL, filter, description or `enabled`. Disabling cancels its pending deliveries.',
        security: security('secretKey'),
        params,
        body: updateWebhookEndpointRequestSchema,
        response: {
          200: json(webhookEndpointSchema, 'The endpoint.'),
          ...errors(400, 401, 403, 404, 413, 415),
        },
      },
    },
    async (request) => endpoints.update(request.params.id, live(request), request.body),
  );

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteWebhookEndpoint',
        tags: ['Webhooks'],
        summary: 'Delete a webhook endpoint',
        description: 'Its pending deliveries are canceled; its events and attempts stay in the log.',
        security: security('secretKey'),
        params,
        response: {
          200: json(webhookEndpointSchema, 'The endpoint as it was deleted.'),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => endpoints.remove(request.params.id, live(request)),
  );

  app.post(
    '/:id/rotate_secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags: ['Webhooks'],
        summary: "Rotate an endpoint's signing secret",
        description:
          'Answers the new secret, once. For `overlap_seconds` (default 24 h) the old secret signs too: every ' +
          'attempt carries both signatures, space-separated, so receivers switch without failures. The ' +
          'body may be left out.',
        security: security('secretKey'),
        params,
        body: optionalBody(rotateWebhookSecretRequestSchema),
        response: {
          200: json(webhookEndpointWithSecretSchema, 'The endpoint and its new secret.'),
          ...errors(400, 401, 403, 404, 413, 415),
        },
      },
    },
    async (request) => endpoints.rotateSecret(request.params.id, live(request), request.body.overlap_seconds),
  );

  app.post(
    '/:id/test',
    {
      schema: {
        operationId: 'sendTestWebhook',
        tags: ['Webhooks'],
        summary: 'Send a test event',
        description:
          'Queues a `webhook.test` event for this endpoint (whatever its filter), signed like every other. ' +
          'Follow it with `GET /v1/webhook_events/{id}/attempts`.',
        security: security('secretKey'),
        params,
        response: {
          202: json(webhookEventSchema, 'The queued event.'),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const id = await outbox.sendTest(request.params.id, live(request));
      return reply.status(202).send(await events.get(id, live(request)));
    },
  );
};
