import type { FastifyInstance } from 'fastify';
import {
  createWebhookEndpointRequestSchema,
  listWebhookAttemptsQuerySchema,
  listWebhookEventsQuerySchema,
  redeliverWebhookEventRequestSchema,
  rotateWebhookSecretRequestSchema,
  sessionWebhookPayloadSchema,
  testWebhookPayloadSchema,
  updateWebhookEndpointRequestSchema,
  WEBHOOK_SESSION_EVENT_TYPES,
  WEBHOOK_TEST_EVENT_TYPE,
  webhookAttemptListSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
  webhookEventListSchema,
  webhookEventSchema,
} from '@crypto-checkout/protocol';
import { requireMerchant, type Authenticator } from '../auth.js';
import type { ApiOperation, ApiWebhook } from '../openapi.js';
import type { WebhookEndpoints } from '../webhooks/webhook-endpoints.js';
import type { WebhookEvents } from '../webhooks/webhook-events.js';
import type { WebhookOutbox } from '../webhooks/webhook-outbox.js';

type IdParams = { Params: { id: string } };

/**
 * `/v1/webhook_endpoints…` (create, list, read, update, delete, rotate the secret, send a test
 * event) and `/v1/webhook_events…` (the event log, attempts, redelivery). Every route needs a
 * secret key and sees only its mode's endpoints and events.
 */
export function registerWebhookRoutes(
  server: FastifyInstance,
  deps: { auth: Authenticator; endpoints: WebhookEndpoints; events: WebhookEvents; outbox: WebhookOutbox },
): void {
  const { auth, endpoints, events, outbox } = deps;
  const livemode = async (authorization: string | undefined, what: string) =>
    (await requireMerchant(auth, authorization, what)).mode === 'live';

  server.post('/v1/webhook_endpoints', async (request, reply) => {
    const live = await livemode(request.headers.authorization, 'creating a webhook endpoint');
    const body = createWebhookEndpointRequestSchema.parse(request.body ?? undefined);
    return reply.status(201).send(await endpoints.create(body, live));
  });

  server.get('/v1/webhook_endpoints', async (request) => {
    const live = await livemode(request.headers.authorization, 'listing webhook endpoints');
    return { data: await endpoints.list(live) };
  });

  server.get<IdParams>('/v1/webhook_endpoints/:id', async (request) => {
    const live = await livemode(request.headers.authorization, 'reading a webhook endpoint');
    return endpoints.get(request.params.id, live);
  });

  server.patch<IdParams>('/v1/webhook_endpoints/:id', async (request) => {
    const live = await livemode(request.headers.authorization, 'updating a webhook endpoint');
    const body = updateWebhookEndpointRequestSchema.parse(request.body ?? undefined);
    return endpoints.update(request.params.id, live, body);
  });

  server.delete<IdParams>('/v1/webhook_endpoints/:id', async (request) => {
    const live = await livemode(request.headers.authorization, 'deleting a webhook endpoint');
    return endpoints.remove(request.params.id, live);
  });

  server.post<IdParams>('/v1/webhook_endpoints/:id/rotate_secret', async (request) => {
    const live = await livemode(request.headers.authorization, 'rotating a webhook secret');
    const body = rotateWebhookSecretRequestSchema.parse(request.body ?? {});
    return endpoints.rotateSecret(request.params.id, live, body.overlap_seconds);
  });

  server.post<IdParams>('/v1/webhook_endpoints/:id/test', async (request, reply) => {
    const live = await livemode(request.headers.authorization, 'sending a test webhook');
    const id = await outbox.sendTest(request.params.id, live);
    return reply.status(202).send(await events.get(id, live));
  });

  server.get('/v1/webhook_events', async (request) => {
    const live = await livemode(request.headers.authorization, 'listing webhook events');
    return events.list(listWebhookEventsQuerySchema.parse(request.query ?? {}), live);
  });

  server.get<IdParams>('/v1/webhook_events/:id', async (request) => {
    const live = await livemode(request.headers.authorization, 'reading a webhook event');
    return events.get(request.params.id, live);
  });

  server.get<IdParams>('/v1/webhook_events/:id/attempts', async (request) => {
    const live = await livemode(request.headers.authorization, "listing a webhook event's attempts");
    return events.attempts(
      request.params.id,
      live,
      listWebhookAttemptsQuerySchema.parse(request.query ?? {}),
    );
  });

  server.post<IdParams>('/v1/webhook_events/:id/redeliver', async (request, reply) => {
    const live = await livemode(request.headers.authorization, 'redelivering a webhook event');
    const body = redeliverWebhookEventRequestSchema.parse(request.body ?? {});
    await outbox.redeliver(request.params.id, live, body.endpoint_id);
    return reply.status(202).send(await events.get(request.params.id, live));
  });
}

const endpointIdParam = {
  id: {
    description: 'The endpoint id (`we_…`).',
    schema: { type: 'string', pattern: '^we_[A-Za-z0-9]{1,64}$' },
  },
};
const eventIdParam = {
  id: {
    description: 'The event id (`msg_…`), also its `webhook-id` header.',
    schema: { type: 'string', pattern: '^msg_[A-Za-z0-9]{1,64}$' },
  },
};

/** The routes above, for the OpenAPI document (`src/server/openapi.ts` spreads them into its list). */
export const WEBHOOK_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: '/v1/webhook_endpoints',
    operationId: 'createWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Add a webhook endpoint',
    description:
      "Adds an endpoint in the key's mode and answers it with its signing `secret` (`whsec_…`), shown " +
      'this once. At most 20 endpoints per mode.',
    security: ['secretKey'],
    body: {
      schema: createWebhookEndpointRequestSchema,
      example: { url: 'https://shop.example/webhooks', events: ['session.paid', 'session.overpaid'] },
    },
    responses: {
      201: { description: 'The endpoint and its secret.', schema: webhookEndpointWithSecretSchema },
    },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/webhook_endpoints',
    operationId: 'listWebhookEndpoints',
    tags: ['Webhooks'],
    summary: 'List webhook endpoints',
    security: ['secretKey'],
    responses: {
      200: { description: "The mode's endpoints, oldest first.", schema: webhookEndpointListSchema },
    },
    errors: [401, 403],
  },
  {
    method: 'get',
    path: '/v1/webhook_endpoints/:id',
    operationId: 'getWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Read a webhook endpoint',
    security: ['secretKey'],
    pathParams: endpointIdParam,
    responses: {
      200: { description: 'The endpoint (its secret as a prefix only).', schema: webhookEndpointSchema },
    },
    errors: [401, 403, 404],
  },
  {
    method: 'patch',
    path: '/v1/webhook_endpoints/:id',
    operationId: 'updateWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Update a webhook endpoint',
    description:
      'Changes the URL, filter, description or `enabled`. Disabling cancels its pending deliveries.',
    security: ['secretKey'],
    pathParams: endpointIdParam,
    body: { schema: updateWebhookEndpointRequestSchema, example: { enabled: false } },
    responses: { 200: { description: 'The endpoint.', schema: webhookEndpointSchema } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'delete',
    path: '/v1/webhook_endpoints/:id',
    operationId: 'deleteWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Delete a webhook endpoint',
    description: 'Its pending deliveries are canceled; its events and attempts stay in the log.',
    security: ['secretKey'],
    pathParams: endpointIdParam,
    responses: { 200: { description: 'The endpoint as it was deleted.', schema: webhookEndpointSchema } },
    errors: [401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/webhook_endpoints/:id/rotate_secret',
    operationId: 'rotateWebhookSecret',
    tags: ['Webhooks'],
    summary: "Rotate an endpoint's signing secret",
    description:
      'Answers the new secret, once. For `overlap_seconds` (default 24 h) the old secret signs too: every ' +
      'attempt carries both signatures, space-separated, so receivers switch without failures.',
    security: ['secretKey'],
    pathParams: endpointIdParam,
    body: { schema: rotateWebhookSecretRequestSchema, example: { overlap_seconds: 86400 } },
    responses: {
      200: { description: 'The endpoint and its new secret.', schema: webhookEndpointWithSecretSchema },
    },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/webhook_endpoints/:id/test',
    operationId: 'sendTestWebhook',
    tags: ['Webhooks'],
    summary: 'Send a test event',
    description:
      'Queues a `webhook.test` event for this endpoint (whatever its filter), signed like every other. ' +
      'Follow it with `GET /v1/webhook_events/{id}/attempts`.',
    security: ['secretKey'],
    pathParams: endpointIdParam,
    responses: { 202: { description: 'The queued event.', schema: webhookEventSchema } },
    errors: [401, 403, 404, 409],
  },
  {
    method: 'get',
    path: '/v1/webhook_events',
    operationId: 'listWebhookEvents',
    tags: ['Webhooks'],
    summary: 'List webhook events',
    description: "Events of the key's mode, newest first, with each delivery's state. Follow `next_cursor`.",
    security: ['secretKey'],
    query: listWebhookEventsQuerySchema,
    responses: { 200: { description: 'One page of events.', schema: webhookEventListSchema } },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/webhook_events/:id',
    operationId: 'getWebhookEvent',
    tags: ['Webhooks'],
    summary: 'Read a webhook event',
    security: ['secretKey'],
    pathParams: eventIdParam,
    responses: { 200: { description: 'The event, its payload and deliveries.', schema: webhookEventSchema } },
    errors: [401, 403, 404],
  },
  {
    method: 'get',
    path: '/v1/webhook_events/:id/attempts',
    operationId: 'listWebhookAttempts',
    tags: ['Webhooks'],
    summary: "List an event's delivery attempts",
    description:
      'Every attempt to every endpoint, newest first: time, status code or error, latency, answer excerpt.',
    security: ['secretKey'],
    pathParams: eventIdParam,
    query: listWebhookAttemptsQuerySchema,
    responses: { 200: { description: 'One page of attempts.', schema: webhookAttemptListSchema } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/v1/webhook_events/:id/redeliver',
    operationId: 'redeliverWebhookEvent',
    tags: ['Webhooks'],
    summary: 'Redeliver a webhook event',
    description:
      'Sends the event again with the same `webhook-id` and body, on a fresh retry schedule: to ' +
      '`endpoint_id`, or to every enabled endpoint whose filter takes it.',
    security: ['secretKey'],
    pathParams: eventIdParam,
    body: { schema: redeliverWebhookEventRequestSchema, example: {} },
    responses: {
      202: { description: 'The event, its deliveries queued again.', schema: webhookEventSchema },
    },
    errors: [400, 401, 403, 404, 409],
  },
];

/** The webhooks this server sends, for the OpenAPI document's `webhooks`. */
export const WEBHOOK_PAYLOAD_DOCS: ApiWebhook[] = [
  ...WEBHOOK_SESSION_EVENT_TYPES.map((type) => ({
    name: type,
    summary: `The session's status changed to \`${type.slice('session.'.length)}\``,
    description:
      'Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). ' +
      '`data` is the merchant view of the session at the change, without `client_secret` and ' +
      '`checkout_url` (which holds it).',
    schema: sessionWebhookPayloadSchema,
  })),
  {
    name: WEBHOOK_TEST_EVENT_TYPE,
    summary: 'A test event, sent by `POST /v1/webhook_endpoints/{id}/test`',
    schema: testWebhookPayloadSchema,
  },
];
