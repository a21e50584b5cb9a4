import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import Fastify from 'fastify';
import { z } from 'zod';
import {
  WEBHOOK_SESSION_EVENT_TYPES,
  WEBHOOK_PAYOUT_EVENT_TYPES,
  WEBHOOK_SWEEP_EVENT_TYPES,
  WEBHOOK_LEDGER_EVENT_TYPE,
  WEBHOOK_TEST_EVENT_TYPE,
} from '@crypto-checkout/protocol';
import {
  apiSchemas,
  openApiPath,
  registeredRoutes,
  requireDocumentedRoutes,
  type JsonObject,
} from '../../packages/server/src/openapi.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/** The document as committed, which `npm run openapi` writes. */
const COMMITTED = new URL('../../packages/server/openapi.json', import.meta.url);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Resolves a local JSON pointer (`#/components/schemas/Session`) in `doc`, or `undefined`. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!node || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as JsonObject)[key];
  }
  return node;
}

/** Structural problems the validator might not name clearly: unresolved `$ref`s, operations without responses. */
function structuralProblems(doc: JsonObject): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${at}/${i}`));
    else if (node && typeof node === 'object') {
      const object = node as JsonObject;
      if (typeof object.$ref === 'string' && resolvePointer(doc, object.$ref) === undefined) {
        problems.push(`${at}: $ref ${object.$ref} does not resolve`);
      }
      for (const [key, value] of Object.entries(object)) walk(value, `${at}/${key}`);
    }
  };
  walk(doc, '#');
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, JsonObject>)) {
    const operations = Object.keys(item).filter((key) => HTTP_METHODS.includes(key));
    if (!operations.length) problems.push(`${path}: no operation`);
    for (const method of operations) {
      const responses = (item[method] as JsonObject).responses as JsonObject | undefined;
      if (!responses || !Object.keys(responses).length) problems.push(`${method} ${path}: no responses`);
    }
  }
  return problems;
}

describe('OpenAPI document', () => {
  let app: TestApp;
  let doc: JsonObject;

  before(async () => {
    app = await buildTestApp();
    await app.server.ready();
    const response = await app.server.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200, response.body);
    doc = response.json() as JsonObject;
  });
  after(() => app.close());

  test('GET /openapi.json answers the document without authentication', () => {
    assert.equal(doc.openapi, '3.1.0');
    const pkg = JSON.parse(
      readFileSync(new URL('../../packages/server/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    assert.equal((doc.info as JsonObject).version, pkg.version);
  });

  test('the committed packages/server/openapi.json is the generated document (else run npm run openapi)', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as JsonObject;
    assert.deepEqual(committed, doc, 'packages/server/openapi.json is stale: run npm run openapi');
  });

  test('is valid OpenAPI 3.1 according to @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
  });

  test('every path has operations with responses, and every $ref resolves', () => {
    assert.deepEqual(structuralProblems(doc), []);
  });

  test('the checks catch a broken document', async () => {
    const broken = structuredClone(doc);
    const schemas = (broken.components as JsonObject).schemas as JsonObject;
    delete schemas.Transfer;
    assert.ok(structuralProblems(broken).some((p) => p.includes('#/components/schemas/Transfer')));
    const result = await validate(broken as never);
    assert.equal(result.valid, false);
  });

  test('every route registered in Fastify is in the document, and every operation is a route', () => {
    const routes = registeredRoutes(app.server);
    assert.ok(routes.length >= 18, `only ${routes.length} routes recorded`);
    const paths = doc.paths as Record<string, JsonObject>;
    for (const route of routes) {
      const item = paths[openApiPath(route.url)];
      assert.ok(item?.[route.method.toLowerCase()], `${route.method} ${route.url} is not in the document`);
    }
    const operations = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => HTTP_METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(
      operations.sort(),
      routes.map((route) => `${route.method} ${openApiPath(route.url)}`).sort(),
    );
  });

  test('a route without schemas cannot be registered', async () => {
    const server = Fastify();
    requireDocumentedRoutes(server);
    server.get(
      '/documented',
      {
        schema: {
          operationId: 'documented',
          tags: ['Meta'],
          summary: 'A documented route',
          security: [],
          response: { 200: z.object({ ok: z.boolean() }) },
        },
      },
      async () => ({ ok: true }),
    );
    assert.throws(
      () => server.post('/v1/undocumented/:id', async () => ({})),
      /POST \/v1\/undocumented\/:id is not documented: its schema lacks operationId, tags, summary, security, response/,
    );
    assert.throws(
      () =>
        server.get(
          '/v1/no-responses',
          { schema: { operationId: 'noResponses', tags: ['Meta'], summary: 'No responses', security: [] } },
          async () => ({}),
        ),
      /lacks response/,
    );
    assert.deepEqual(registeredRoutes(server), [{ method: 'GET', url: '/documented' }]);
    await server.close();
  });

  test('documents the secret key, the client secret and the error body', () => {
    const components = doc.components as Record<string, Record<string, JsonObject>>;
    assert.deepEqual(Object.keys(components.securitySchemes!).sort(), [
      'clientSecret',
      'clientSecretQuery',
      'secretKey',
    ]);
    const paths = doc.paths as Record<string, Record<string, JsonObject>>;
    assert.deepEqual(paths['/v1/sessions']!.get!.security, [{ secretKey: [] }]);
    assert.deepEqual(paths['/health']!.get!.security, []);
    // Every error status of every operation answers the one error body; but for the readiness probe,
    // whose 503 is its report (which checks fail), not an error of the request.
    assert.deepEqual((paths['/ready']!.get!.responses as Record<string, JsonObject>)['503']!.content, {
      'application/json': { schema: { $ref: '#/components/schemas/Readiness' } },
    });
    for (const [path, item] of Object.entries(paths)) {
      if (path === '/ready') continue;
      for (const [method, operation] of Object.entries(item)) {
        const responses = operation.responses as Record<string, JsonObject>;
        for (const [status, response] of Object.entries(responses)) {
          const content = response.content as Record<string, JsonObject> | undefined;
          if (Number(status) < 400 || !content?.['application/json']) continue;
          assert.deepEqual(
            content['application/json']!.schema,
            { $ref: '#/components/schemas/Error' },
            `${method} ${path} ${status}`,
          );
        }
      }
    }
    const error = components.schemas!.Error as JsonObject;
    assert.ok(Array.isArray(error.examples), 'the error body has an example');
    // Query parameters of the list, one each.
    const names = (paths['/v1/sessions']!.get!.parameters as { name: string; in: string }[]).map(
      (p) => p.name,
    );
    assert.deepEqual(names, [
      'order_id',
      'status',
      'review',
      'created_gte',
      'created_lt',
      'token',
      'method',
      'limit',
      'cursor',
    ]);
    const headers = (paths['/v1/sessions']!.post!.parameters as { name: string; in: string }[]).filter(
      (p) => p.in === 'header',
    );
    assert.deepEqual(
      headers.map((p) => p.name),
      ['Idempotency-Key'],
    );
  });

  test('raw answers keep their media type, example and headers', () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, JsonObject> }>>;
    const csv = paths['/v1/sessions/export.csv']!.get!.responses['200']!;
    const media = (csv.content as Record<string, JsonObject>)['text/csv']!;
    assert.deepEqual(media.schema, { type: 'string' });
    assert.match(String(media.example), /^session_id,order_id,/);
    assert.deepEqual((csv.headers as Record<string, JsonObject>)['Content-Disposition']!.schema, {
      type: 'string',
    });
    const events = paths['/v1/sessions/{id}/events']!.get!.responses;
    assert.ok((events['200']!.content as JsonObject)['text/event-stream']);
    assert.equal(events['204']!.content, undefined);
    const page = paths['/checkout/{id}']!.get!.responses;
    // 429: the rate limit of the public pages (answered as the error body).
    assert.deepEqual(Object.keys(page), ['200', '404', '429', '503']);
    assert.ok((page['404']!.content as JsonObject)['text/html']);
  });

  test('lists every webhook the server sends, its body a named payload schema', () => {
    const webhooks = doc.webhooks as Record<string, { post: JsonObject }>;
    assert.deepEqual(Object.keys(webhooks), [
      ...WEBHOOK_SESSION_EVENT_TYPES,
      ...WEBHOOK_PAYOUT_EVENT_TYPES,
      ...WEBHOOK_SWEEP_EVENT_TYPES,
      WEBHOOK_LEDGER_EVENT_TYPE,
      WEBHOOK_TEST_EVENT_TYPE,
    ]);
    const sweep = (webhooks['sweep.needs_review']!.post.requestBody as JsonObject).content as Record<
      string,
      JsonObject
    >;
    assert.deepEqual(sweep['application/json']!.schema, {
      $ref: '#/components/schemas/SweepWebhookPayload',
    });
    const ledger = (webhooks['ledger.entry_created']!.post.requestBody as JsonObject).content as Record<
      string,
      JsonObject
    >;
    assert.deepEqual(ledger['application/json']!.schema, {
      $ref: '#/components/schemas/LedgerWebhookPayload',
    });
    const payout = (webhooks['payout.approved']!.post.requestBody as JsonObject).content as Record<
      string,
      JsonObject
    >;
    assert.deepEqual(payout['application/json']!.schema, {
      $ref: '#/components/schemas/PayoutWebhookPayload',
    });
    const body = (webhooks['session.paid']!.post.requestBody as JsonObject).content as Record<
      string,
      JsonObject
    >;
    assert.deepEqual(body['application/json']!.schema, {
      $ref: '#/components/schemas/SessionWebhookPayload',
    });
  });

  test('request and response schemas each have one name where both sides are alike', () => {
    const schemas = (doc.components as Record<string, JsonObject>).schemas as JsonObject;
    for (const name of ['Session', 'CreateSessionRequest', 'Error', 'WebhookEndpoint', 'JsonValue']) {
      assert.ok(schemas[name], `${name} is a component`);
    }
    // A request-side variant (`NameInput`) exists only beside a different response side.
    for (const name of Object.keys(schemas).filter((n) => n.endsWith('Input'))) {
      const base = name.slice(0, -'Input'.length);
      assert.ok(schemas[base], `${name} without ${base}`);
      assert.notDeepEqual(schemas[name], schemas[base], `${name} is the same as ${base}`);
    }
  });

  test('the examples in the document are accepted by the schemas they illustrate', () => {
    let checked = 0;
    for (const [id, schema] of apiSchemas._idmap) {
      for (const example of (apiSchemas.get(schema)?.examples ?? []) as unknown[]) {
        const result = z.safeParse(schema, example);
        assert.ok(result.success, `${id}: ${result.error?.message}`);
        checked++;
      }
    }
    assert.ok(checked >= 5, `only ${checked} examples`);
  });
});
