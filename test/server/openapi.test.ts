import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import Fastify from 'fastify';
import { errorBodySchema } from '@crypto-checkout/protocol';
import {
  buildOpenApiDocument,
  OPERATIONS,
  openApiPath,
  registeredRoutes,
  registerOpenApiRoute,
  undocumentedRoutes,
  type JsonObject,
} from '../../packages/server/src/openapi.js';
import { buildTestApp, type TestApp } from '../support/app.js';

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
    assert.deepEqual(doc, JSON.parse(JSON.stringify(buildOpenApiDocument())));
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

  test('every route registered in Fastify is documented, and every documented operation is a route', () => {
    const routes = registeredRoutes(app.server);
    assert.ok(routes.length >= 9, `only ${routes.length} routes recorded`);
    assert.deepEqual(undocumentedRoutes(app.server), []);
    const paths = doc.paths as Record<string, JsonObject>;
    for (const route of routes) {
      const item = paths[openApiPath(route.url)];
      assert.ok(item?.[route.method.toLowerCase()], `${route.method} ${route.url} is not in the document`);
    }
    for (const op of OPERATIONS) {
      assert.ok(app.server.hasRoute({ method: op.method.toUpperCase(), url: op.path }), `${op.operationId}`);
    }
  });

  test('a route nobody documented is reported', async () => {
    const server = Fastify();
    registerOpenApiRoute(server);
    server.get('/health', async () => ({ ok: true }));
    server.post('/v1/undocumented/:id', async () => ({}));
    await server.ready();
    assert.deepEqual(undocumentedRoutes(server), ['POST /v1/undocumented/:id']);
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
    const badRequest = components.responses!.BadRequest as JsonObject;
    const json = (badRequest.content as Record<string, JsonObject>)['application/json']!;
    assert.deepEqual(json.schema, { $ref: '#/components/schemas/Error' });
    errorBodySchema.parse(json.example);
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
  });

  test('request examples are accepted by the schemas the server validates with', () => {
    for (const op of OPERATIONS) {
      if (op.body?.example !== undefined) op.body.schema.parse(op.body.example);
    }
  });
});
