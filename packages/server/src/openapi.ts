/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas of `src/protocol` and
 * served at `GET /openapi.json`.
 *
 * ## Documenting a new route
 * 1. Add an {@link ApiOperation} to {@link OPERATIONS} below (or export an array of them from your
 *    route module and spread it into `OPERATIONS`). `path` is the Fastify path (`/v1/x/:id`); every
 *    `:param` needs an entry in `pathParams`.
 * 2. Give schemas a name in {@link COMPONENTS} when they are worth one in the document (the payload
 *    of a resource, an enum used in several places): they become `#/components/schemas/<Name>` and
 *    every use is a `$ref`. Other schemas of an operation are named after it (`CreateXRequest`).
 * 3. Webhook payloads, which this server sends rather than receives, go into {@link WEBHOOKS}: each
 *    becomes an entry of the document's `webhooks`.
 * `test/server/openapi.test.ts` fails while a route registered in Fastify is missing here, and
 * validates the document with `@readme/openapi-parser`. At start-up the server logs a warning for
 * every undocumented route.
 * @module
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  buyerSessionSchema,
  choosePaymentRequestSchema,
  createSessionRequestSchema,
  errorBodySchema,
  errorCodeSchema,
  exportSessionsQuerySchema,
  jsonValueSchema,
  listSessionsQuerySchema,
  paymentInstructionsSchema,
  paymentMethodSchema,
  reviewReasonSchema,
  SESSION_EXPORT_COLUMNS,
  SESSION_ID_PATTERN,
  sessionEventSchema,
  sessionListSchema,
  sessionSchema,
  sessionStatusSchema,
  transferSchema,
} from '@crypto-checkout/protocol';
import { CHECKOUT_PAGE_OPERATIONS } from './routes/checkout-page.js';
import { WEBHOOK_OPERATIONS, WEBHOOK_PAYLOAD_DOCS } from './routes/webhooks.js';
import { SESSION_CSV_HEADER } from './sessions/session-csv.js';

/** A JSON Schema (2020-12) or OpenAPI object, as plain JSON. */
export type JsonObject = { [key: string]: unknown };

/** Credentials an operation accepts; the names of the document's security schemes. */
export type SecuritySchemeName = 'secretKey' | 'clientSecret' | 'clientSecretQuery';

/** One response of an operation. */
export interface ApiResponse {
  description: string;
  /** The body; none for an empty response. */
  schema?: z.ZodType;
  /** Media type of the body; default `application/json`. */
  contentType?: string;
  example?: unknown;
  headers?: Record<string, { description: string; schema: JsonObject }>;
}

/** One route as documented. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The Fastify path, e.g. `/v1/sessions/:id` (written `/v1/sessions/{id}` in the document). */
  path: string;
  /** Unique, camelCase: `createSession`. */
  operationId: string;
  tags: string[];
  summary: string;
  /** Markdown. */
  description?: string;
  /** Credentials accepted, any one of them; `[]` for a route without authentication. */
  security: SecuritySchemeName[];
  /** Every `:param` of the path; the schema defaults to a string. */
  pathParams?: Record<string, { description: string; schema?: JsonObject }>;
  /** The query string as one object schema: each property becomes a query parameter. */
  query?: z.ZodObject;
  /** Request headers other than `Authorization`. */
  headers?: Record<string, { description: string; schema: JsonObject; required?: boolean }>;
  /** JSON request body. */
  body?: { schema: z.ZodType; description?: string; example?: unknown };
  /** Successful (and other non-error) responses by status. */
  responses: Record<number, ApiResponse>;
  /** Error statuses the operation answers with the error body (`{"error":{…}}`). */
  errors?: number[];
}

/** A request this server sends to the merchant (a webhook), documented under `webhooks`. */
export interface ApiWebhook {
  /** The event type, e.g. `session.paid`: the key under `webhooks`. */
  name: string;
  summary: string;
  description?: string;
  /** The JSON body sent. */
  schema: z.ZodType;
  example?: unknown;
}

/** `GET /health`. */
const healthSchema = z.object({
  ok: z.literal(true),
  /** Which database the server uses. */
  database: z.enum(['pglite', 'postgres']),
});

/**
 * Schemas with a name in the document (`#/components/schemas/<Name>`); every use is a `$ref`.
 * Order is the order in the document.
 */
export const COMPONENTS: Record<string, z.ZodType> = {
  Session: sessionSchema,
  BuyerSession: buyerSessionSchema,
  SessionList: sessionListSchema,
  SessionEvent: sessionEventSchema,
  CreateSessionRequest: createSessionRequestSchema,
  ChoosePaymentRequest: choosePaymentRequestSchema,
  PaymentMethod: paymentMethodSchema,
  PaymentInstructions: paymentInstructionsSchema,
  Transfer: transferSchema,
  SessionStatus: sessionStatusSchema,
  ReviewReason: reviewReasonSchema,
  JsonValue: jsonValueSchema,
  Error: errorBodySchema,
  ErrorCode: errorCodeSchema,
  Health: healthSchema,
};

const SESSION_ID = { type: 'string', pattern: SESSION_ID_PATTERN.source };
const sessionIdParam = { id: { description: 'The session id (`cs_…`).', schema: SESSION_ID } };

const idempotencyKeyHeader = {
  'Idempotency-Key': {
    description:
      'Makes a retry safe: for 24 hours the same key with the same request answers the original ' +
      'response again (with `Idempotent-Replayed: true`); with another request it answers ' +
      '`422 idempotency_key_reused`, and while the first request runs `409 idempotency_key_in_use`. ' +
      '1–255 printable ASCII characters; a UUID is a good choice.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
};

const eventsQuerySchema = z.object({
  client_secret: z
    .string()
    .describe(
      "The session's client secret; `EventSource` cannot send headers. Redacted from the logs. " +
        'Alternatively send `Authorization: Bearer`.',
    )
    .optional(),
  last_event_id: z
    .string()
    .regex(/^\d{1,9}$/)
    .describe('Resume after this event, like the `Last-Event-ID` header.')
    .optional(),
});

/** A session as `POST /v1/sessions` answers it (test mode, no method chosen yet). */
export const SESSION_EXAMPLE = {
  id: 'cs_4eC39HqLyjWDarjtT1zdp7dc',
  status: 'open',
  amount: '49.99',
  currency: 'USD',
  order_id: 'A-1001',
  methods: [
    {
      id: 'usdc@base',
      token: 'USDC',
      kind: 'erc20',
      token_address: '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913',
      decimals: 6,
      chain_id: 8453,
      network: 'Base',
    },
  ],
  payment: null,
  amount_received: null,
  amount_remaining: null,
  amount_overpaid: null,
  pay_uri: null,
  amount_payable: null,
  watch_until: null,
  transfers: [],
  success_url: 'https://shop.example/thanks',
  cancel_url: 'https://shop.example/cart',
  created_at: '2025-01-31T12:00:00.000Z',
  expires_at: '2025-01-31T12:30:00.000Z',
  paid_at: null,
  canceled_at: null,
  server_time: '2025-01-31T12:00:00.000Z',
  walletconnect_project_id: null,
  metadata: { customer: 'c_9' },
  review_reasons: [],
  client_secret: 'cs_4eC39HqLyjWDarjtT1zdp7dc_secret_x7Kq2mZp9RtV3bN8wYc5LhJdQ4sF6gHa',
  livemode: false,
  checkout_url:
    'https://pay.shop.example/checkout/cs_4eC39HqLyjWDarjtT1zdp7dc#cs_4eC39HqLyjWDarjtT1zdp7dc_secret_x7Kq2mZp9RtV3bN8wYc5LhJdQ4sF6gHa',
};

const ERROR_EXAMPLE = {
  error: {
    code: 'invalid_request',
    message: 'amount: must be a decimal string such as "49.99"',
    issues: [{ path: 'amount', message: 'must be a decimal string such as "49.99"' }],
  },
};

const CSV_COLUMNS_TABLE = [
  '| column | meaning |',
  '| --- | --- |',
  ...SESSION_EXPORT_COLUMNS.map(([name, meaning]) => `| \`${name}\` | ${meaning} |`),
].join('\n');

/**
 * Every route of the API. Add yours here (see the module comment); the OpenAPI test fails while a
 * Fastify route is missing.
 */
export const OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: '/v1/sessions',
    operationId: 'createSession',
    tags: ['Sessions'],
    summary: 'Create a session',
    description:
      'Creates a checkout session and answers the merchant view, whose `client_secret` is all the ' +
      'browser gets. The key decides the mode: `sk_live_…` creates live sessions, `sk_test_…` test ones.',
    security: ['secretKey'],
    headers: idempotencyKeyHeader,
    body: {
      schema: createSessionRequestSchema,
      example: {
        amount: '49.99',
        currency: 'USD',
        order_id: 'A-1001',
        metadata: { customer: 'c_9' },
        methods: ['usdc@base', 'eth@base'],
        expires_in: 1800,
        success_url: 'https://shop.example/thanks',
      },
    },
    responses: {
      201: {
        description:
          'The new session (merchant view). Embed the element with its `client_secret`, or redirect the ' +
          'buyer to its `checkout_url`.',
        schema: sessionSchema,
        example: SESSION_EXAMPLE,
      },
    },
    errors: [400, 401, 409, 413, 415, 422],
  },
  {
    method: 'get',
    path: '/v1/sessions',
    operationId: 'listSessions',
    tags: ['Reconciliation'],
    summary: 'List and search sessions',
    description:
      "Sessions of the key's mode, newest first, narrowed by every filter given. Follow `next_cursor` " +
      '(pass it as `cursor`, with the same filters) until `has_more` is false: pages neither repeat ' +
      'nor skip a session while new ones are created.',
    security: ['secretKey'],
    query: listSessionsQuerySchema,
    responses: { 200: { description: 'One page of merchant views.', schema: sessionListSchema } },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/sessions/export.csv',
    operationId: 'exportSessions',
    tags: ['Reconciliation'],
    summary: 'Export sessions and their payments as CSV',
    description:
      'Every session matching the filters (the same as the list), newest first, streamed as CSV ' +
      '(RFC 4180, UTF-8, CRLF line ends) for finance: one row per transfer to the deposit address and ' +
      'one row for a session that received nothing. Session columns repeat on each of its rows. ' +
      'Amounts are decimal strings. A cell starting with `=`, `+`, `-` or `@` gets a leading ' +
      'apostrophe so that spreadsheets do not run it as a formula.\n\n' +
      CSV_COLUMNS_TABLE,
    security: ['secretKey'],
    query: exportSessionsQuerySchema,
    responses: {
      200: {
        description: 'The CSV file, as an attachment.',
        contentType: 'text/csv',
        schema: z.string(),
        example: SESSION_CSV_HEADER,
        headers: {
          'Content-Disposition': {
            description: '`attachment; filename="sessions-<mode>-<time>.csv"`',
            schema: { type: 'string' },
          },
        },
      },
    },
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/v1/sessions/:id',
    operationId: 'getSession',
    tags: ['Sessions'],
    summary: 'Read a session',
    description:
      'With the secret key: the merchant view (`Session`). With the ' +
      "session's client secret: the buyer view (`BuyerSession`), without metadata and secrets.",
    security: ['secretKey', 'clientSecret'],
    pathParams: sessionIdParam,
    responses: {
      200: {
        description: 'The merchant view (secret key) or the buyer view (client secret).',
        schema: z.union([sessionSchema, buyerSessionSchema]),
      },
    },
    errors: [401, 404],
  },
  {
    method: 'post',
    path: '/v1/sessions/:id/payment',
    operationId: 'choosePaymentMethod',
    tags: ['Sessions'],
    summary: 'Choose the payment method',
    description:
      'Derives a fresh deposit address and locks the amount due. Choosing the same method again ' +
      'answers the same instructions; another method answers `409 method_already_chosen`.',
    security: ['clientSecret', 'secretKey'],
    pathParams: sessionIdParam,
    body: { schema: choosePaymentRequestSchema, example: { method: 'usdc@base' } },
    responses: { 200: { description: 'The buyer view with `payment` set.', schema: buyerSessionSchema } },
    errors: [400, 401, 404, 409, 413, 415, 422],
  },
  {
    method: 'post',
    path: '/v1/sessions/:id/cancel',
    operationId: 'cancelSession',
    tags: ['Sessions'],
    summary: 'Cancel a session',
    description:
      'Allowed while nothing was received; a session that received a transfer answers ' +
      '`409 session_not_cancelable`. Canceling a canceled session answers it again.',
    security: ['secretKey'],
    pathParams: sessionIdParam,
    headers: idempotencyKeyHeader,
    responses: { 200: { description: 'The canceled session (merchant view).', schema: sessionSchema } },
    errors: [400, 401, 403, 404, 409, 422],
  },
  {
    method: 'get',
    path: '/v1/sessions/:id/events',
    operationId: 'streamSessionEvents',
    tags: ['Sessions'],
    summary: "Follow a session's status (Server-Sent Events)",
    description:
      'A `text/event-stream`: each event has `id: <seq>` and `data: <SessionEvent as JSON>` ' +
      '(see the `SessionEvent` schema). Without `Last-Event-ID` it starts with the newest event; with ' +
      'it, every later event is replayed first. The stream ends after a terminal status; a reconnect ' +
      'then answers 204, which stops `EventSource`.',
    security: ['clientSecretQuery', 'clientSecret', 'secretKey'],
    pathParams: sessionIdParam,
    query: eventsQuerySchema,
    headers: {
      'Last-Event-ID': {
        description: 'The `seq` of the last event received; the stream resumes after it.',
        schema: { type: 'string', pattern: '^\\d{1,9}$' },
      },
    },
    responses: {
      200: {
        description: 'The event stream. Each `data:` line is a `SessionEvent` (JSON).',
        contentType: 'text/event-stream',
        schema: z.string(),
        example: 'retry: 3000\n\nid: 3\ndata: {"seq":3,"type":"session.processing",…}\n\n',
      },
      204: { description: 'The session is over (terminal status) and every event was sent.' },
    },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    tags: ['Meta'],
    summary: 'Health check',
    description: 'Answers once the database answers.',
    security: [],
    responses: { 200: { description: 'The server and its database are up.', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['Meta'],
    summary: 'This OpenAPI document',
    security: [],
    responses: {
      200: { description: 'The OpenAPI 3.1 document.', schema: z.looseObject({ openapi: z.string() }) },
    },
  },
  ...WEBHOOK_OPERATIONS,
  ...CHECKOUT_PAGE_OPERATIONS,
];

/** Webhook payloads sent to the merchant, by event type (see the module comment). */
export const WEBHOOKS: ApiWebhook[] = [...WEBHOOK_PAYLOAD_DOCS];

const ERROR_RESPONSES: Record<number, { name: string; description: string }> = {
  400: {
    name: 'BadRequest',
    description:
      'The request is invalid (`invalid_request` with `issues`, `invalid_json`, `method_not_available`, …).',
  },
  401: {
    name: 'Unauthorized',
    description: 'Missing or wrong secret key or client secret (`unauthorized`).',
  },
  403: {
    name: 'Forbidden',
    description: 'A client secret was sent where a secret key is needed (`forbidden`).',
  },
  404: { name: 'NotFound', description: 'No such session for these credentials (`not_found`).' },
  409: {
    name: 'Conflict',
    description:
      'The session does not allow this now (`method_already_chosen`, `session_not_open`, ' +
      '`session_not_cancelable`), or a request with this `Idempotency-Key` is still running ' +
      '(`idempotency_key_in_use`).',
  },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than 64 KB (`payload_too_large`).' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not JSON (`unsupported_media_type`).' },
  422: {
    name: 'UnprocessableEntity',
    description:
      'The request cannot be served (`rate_unavailable`), or its `Idempotency-Key` was used for ' +
      'another request (`idempotency_key_reused`).',
  },
  500: { name: 'InternalError', description: 'A bug; it has been logged (`internal_error`).' },
  503: {
    name: 'ServiceUnavailable',
    description:
      'The hosted checkout page is not built on this server (`checkout_page_unavailable`): run `npm run build`.',
  },
};

const SCHEMA_REF = '#/components/schemas/';

/** `/v1/sessions/:id` → `/v1/sessions/{id}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const pascal = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);

/** Replaces every `$ref` in a JSON tree for which `rename` returns a new one, in place. */
function rewriteRefs(node: unknown, rename: (ref: string) => string | undefined): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteRefs(item, rename);
  } else if (node && typeof node === 'object') {
    const object = node as JsonObject;
    if (typeof object.$ref === 'string') object.$ref = rename(object.$ref) ?? object.$ref;
    for (const value of Object.values(object)) rewriteRefs(value, rename);
  }
}

/**
 * Converts named schemas to JSON Schema components in one pass, so that a named schema used inside
 * another is a `$ref`. zod puts schemas it must extract itself (cycles) under `__shared`; they are
 * lifted into components of their own (`<prefix>Shared<n>`), because a `$ref` into a component's
 * `$defs` would not resolve in OpenAPI.
 */
function convert(named: Map<z.ZodType, string>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `${SCHEMA_REF}${id}`,
  });
  const result: Record<string, JsonObject> = {};
  const shared = (schemas.__shared?.$defs ?? {}) as Record<string, JsonObject>;
  const liftedName = (def: string) => `${io === 'input' ? 'Input' : ''}Shared${pascal(def)}`;
  for (const [id, schema] of Object.entries(schemas)) {
    if (id === '__shared') continue;
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
    result[id] = rest;
  }
  for (const [def, schema] of Object.entries(shared)) result[liftedName(def)] = schema;
  const sharedPrefix = `${SCHEMA_REF}__shared#/$defs/`;
  rewriteRefs(result, (ref) =>
    ref.startsWith(sharedPrefix) ? `${SCHEMA_REF}${liftedName(ref.slice(sharedPrefix.length))}` : undefined,
  );
  return result;
}

/**
 * Merges the input (request) and output (response) variants of the components: where a schema
 * converts differently in the two directions (defaults, transforms), the request side is renamed
 * `<Name>Input`, repeatedly, since renaming changes the schemas that refer to it. Returns the
 * components and the final name of each input-side schema.
 */
function mergeDirections(
  input: Record<string, JsonObject>,
  output: Record<string, JsonObject>,
): { schemas: Record<string, JsonObject>; inputName: (name: string) => string } {
  const renames = new Map<string, string>();
  for (;;) {
    const clash = Object.keys(input).find(
      (name) => name in output && !isDeepStrictEqual(input[name], output[name]),
    );
    if (!clash) break;
    const renamed = `${clash}Input`;
    renames.set(clash, renamed);
    input[renamed] = input[clash]!;
    delete input[clash];
    rewriteRefs(input, (ref) => (ref === `${SCHEMA_REF}${clash}` ? `${SCHEMA_REF}${renamed}` : undefined));
  }
  return { schemas: { ...output, ...input }, inputName: (name) => renames.get(name) ?? name };
}

/** Names of the components that `root` refers to, directly or through other components. */
function reachableComponents(root: unknown, schemas: Record<string, JsonObject>): Set<string> {
  const seen = new Set<string>();
  const visit = (node: unknown) =>
    rewriteRefs(node, (ref) => {
      const name = ref.startsWith(SCHEMA_REF) ? ref.slice(SCHEMA_REF.length) : null;
      if (name && !seen.has(name) && schemas[name]) {
        seen.add(name);
        visit(schemas[name]);
      }
      return undefined;
    });
  visit(root);
  return seen;
}

const ref = (name: string) => ({ $ref: `${SCHEMA_REF}${name}` });

/**
 * Builds the OpenAPI 3.1 document for `operations` (default: {@link OPERATIONS}) and `webhooks`.
 * @example const doc = buildOpenApiDocument(); doc.paths['/v1/sessions'].post.operationId // 'createSession'
 */
export function buildOpenApiDocument(
  operations: readonly ApiOperation[] = OPERATIONS,
  webhooks: readonly ApiWebhook[] = WEBHOOKS,
): JsonObject {
  // Name every schema: the components, then the anonymous ones after their operation.
  const names = new Map<z.ZodType, string>();
  for (const [name, schema] of Object.entries(COMPONENTS)) if (!names.has(schema)) names.set(schema, name);
  const nameOf = (schema: z.ZodType, fallback: string) => {
    if (!names.has(schema)) names.set(schema, fallback);
    return names.get(schema)!;
  };
  const inputNames = new Map<z.ZodType, string>();
  const outputNames = new Map<z.ZodType, string>();
  for (const [schema, name] of names) {
    inputNames.set(schema, name);
    outputNames.set(schema, name);
  }
  const queryComponents = new Set<string>();
  for (const op of operations) {
    const base = pascal(op.operationId);
    if (op.body) inputNames.set(op.body.schema, nameOf(op.body.schema, `${base}Request`));
    if (op.query) {
      const name = nameOf(op.query, `${base}Query`);
      inputNames.set(op.query, name);
      queryComponents.add(name);
    }
    for (const [status, response] of Object.entries(op.responses)) {
      if (response.schema && (response.contentType ?? 'application/json') === 'application/json') {
        outputNames.set(response.schema, nameOf(response.schema, `${base}Response${status}`));
      }
    }
  }
  for (const hook of webhooks) {
    const name = `${hook.name
      .split(/[^A-Za-z0-9]+/)
      .map(pascal)
      .join('')}Webhook`;
    outputNames.set(hook.schema, nameOf(hook.schema, name));
  }
  const { schemas, inputName } = mergeDirections(
    convert(inputNames, 'input'),
    convert(outputNames, 'output'),
  );
  // Query objects become parameters, not components.
  const queryParams = new Map<string, JsonObject[]>();
  for (const name of [...queryComponents].map(inputName)) {
    const query = schemas[name]!;
    const properties = (query.properties ?? {}) as Record<string, JsonObject>;
    const required = (query.required ?? []) as string[];
    queryParams.set(
      name,
      Object.entries(properties).map(([param, { description, ...schema }]) => ({
        name: param,
        in: 'query',
        required: required.includes(param) && !('default' in schema),
        ...(description ? { description } : {}),
        schema,
      })),
    );
    delete schemas[name];
  }

  const usedErrors = new Set<number>();
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    const parameters: JsonObject[] = [];
    for (const [name, param] of Object.entries(op.pathParams ?? {})) {
      parameters.push({
        name,
        in: 'path',
        required: true,
        description: param.description,
        schema: param.schema ?? { type: 'string' },
      });
    }
    if (op.query) parameters.push(...queryParams.get(inputName(names.get(op.query)!))!);
    for (const [name, header] of Object.entries(op.headers ?? {})) {
      parameters.push({
        name,
        in: 'header',
        required: header.required ?? false,
        description: header.description,
        schema: header.schema,
      });
    }
    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      const contentType = response.contentType ?? 'application/json';
      const schema =
        response.schema && contentType === 'application/json'
          ? ref(names.get(response.schema)!)
          : response.schema
            ? { type: 'string' }
            : undefined;
      responses[status] = {
        description: response.description,
        ...(response.headers ? { headers: response.headers } : {}),
        ...(schema
          ? {
              content: {
                [contentType]: {
                  schema,
                  ...(response.example !== undefined ? { example: response.example } : {}),
                },
              },
            }
          : {}),
      };
    }
    for (const status of op.errors ?? []) {
      const error = ERROR_RESPONSES[status];
      if (!error) throw new Error(`${op.operationId}: no error response for status ${status} in openapi.ts`);
      usedErrors.add(status);
      responses[status] = { $ref: `#/components/responses/${error.name}` };
    }
    (paths[path] ??= {})[op.method] = {
      operationId: op.operationId,
      tags: op.tags,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      security: op.security.map((scheme) => ({ [scheme]: [] })),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              ...(op.body.description ? { description: op.body.description } : {}),
              content: {
                'application/json': {
                  schema: ref(inputName(names.get(op.body.schema)!)),
                  ...(op.body.example !== undefined ? { example: op.body.example } : {}),
                },
              },
            },
          }
        : {}),
      responses,
    };
  }

  const webhookItems: Record<string, JsonObject> = {};
  for (const hook of webhooks) {
    webhookItems[hook.name] = {
      post: {
        summary: hook.summary,
        ...(hook.description ? { description: hook.description } : {}),
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref(names.get(hook.schema)!),
              ...(hook.example !== undefined ? { example: hook.example } : {}),
            },
          },
        },
        responses: { '2XX': { description: 'Any 2xx answer counts as delivered.' } },
      },
    };
  }

  const errorResponses: Record<string, JsonObject> = {};
  for (const status of [...usedErrors].sort()) {
    const { name, description } = ERROR_RESPONSES[status]!;
    errorResponses[name] = {
      description,
      content: {
        'application/json': {
          schema: ref('Error'),
          ...(status === 400 ? { example: ERROR_EXAMPLE } : {}),
        },
      },
    };
  }

  // Keep every named component; drop request-side variants and lifted cycles nothing refers to.
  const reachable = reachableComponents([paths, webhookItems, errorResponses], schemas);
  for (const name of Object.keys(schemas)) {
    if (!(name in COMPONENTS) && !reachable.has(name)) delete schemas[name];
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'crypto-checkout API',
      version: packageVersion(),
      summary: 'Self-hosted crypto checkout: sessions, payment status, reconciliation.',
      description:
        'All bodies are JSON. Money is never a number: amounts are decimal strings and atomic units ' +
        'integer strings. Errors answer `{"error":{"code","message"}}` with a stable `code`. The ' +
        'secret key (`sk_test_…`/`sk_live_…`) stays on your server; the browser gets only the ' +
        "session's client secret (`cs_…_secret_…`).",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'Sessions', description: 'Create, pay and follow checkout sessions.' },
      { name: 'Reconciliation', description: 'Find and export sessions for support and finance.' },
      ...(webhooks.length ? [{ name: 'Webhooks', description: 'Notifications sent to your server.' }] : []),
      { name: 'Hosted page', description: 'The checkout page this server hosts, for redirecting buyers.' },
      { name: 'Meta', description: 'Health and this document.' },
    ],
    paths,
    ...(webhooks.length ? { webhooks: webhookItems } : {}),
    components: {
      schemas,
      responses: errorResponses,
      securitySchemes: {
        secretKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'sk_test_… / sk_live_…',
          description: 'Your secret key: server to server only. Its mode decides which sessions it sees.',
        },
        clientSecret: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'cs_…_secret_…',
          description: "A session's client secret: reads and acts on that one session only (the browser).",
        },
        clientSecretQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'client_secret',
          description: 'The client secret in the query, for `EventSource`, which cannot send headers.',
        },
      },
    },
  };
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}

/** A route as Fastify registered it. */
export interface RegisteredRoute {
  method: string;
  /** The Fastify path, e.g. `/v1/sessions/:id`. */
  url: string;
}

const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * Serves the document at `GET /openapi.json` (no authentication) and records every route registered
 * after it, to warn at start-up about routes the document lacks. Call it before registering routes.
 */
export function registerOpenApiRoute(server: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  registered.set(server, routes);
  server.addHook('onRoute', (route) => {
    // HEAD mirrors GET, OPTIONS is CORS: neither is an operation of its own.
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: route.url });
    }
  });
  let document: JsonObject | undefined;
  server.get('/openapi.json', async () => (document ??= buildOpenApiDocument()));
  server.addHook('onReady', async () => {
    for (const route of undocumentedRoutes(server)) {
      server.log.warn({ route }, 'route missing from the OpenAPI document: add it in src/server/openapi.ts');
    }
  });
}

/** Routes registered after {@link registerOpenApiRoute}, as `METHOD /path`. */
export function registeredRoutes(server: FastifyInstance): RegisteredRoute[] {
  return [...(registered.get(server) ?? [])];
}

/** Registered routes that {@link OPERATIONS} does not document, as `METHOD /path`. */
export function undocumentedRoutes(
  server: FastifyInstance,
  operations: readonly ApiOperation[] = OPERATIONS,
): string[] {
  const documented = new Set(operations.map((op) => `${op.method.toUpperCase()} ${op.path}`));
  return registeredRoutes(server)
    .map((route) => `${route.method} ${route.url}`)
    .filter((route) => !documented.has(route));
}
