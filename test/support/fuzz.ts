/**
 * The property-based fuzzer of the HTTP API (fast-check), shared by the bounded run in `npm test`
 * (`test/server/fuzz.test.ts`) and the long one (`npm run fuzz`, `test/fuzz/run.ts`). Routes come
 * from the app's own OpenAPI document, so a new route is fuzzed as soon as it is registered; a path
 * parameter nobody taught the fuzzer to fill fails the run. Every request mixes plausible input (ids
 * that exist, bodies shaped like the route's schema, every kind of credential) with hostile input
 * (NUL, lone surrogates, deep nesting, huge numbers, wrong types, prototype keys, repeated
 * parameters, odd content types and methods). The property: no answer is a 5xx, every JSON error is
 * the documented `{"error":{"code","message"}}` with a code of the protocol's list, and every 2xx
 * JSON matches the route's schema (the test app answers 500 when one strays).
 * @module
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { errorBodySchema } from '@crypto-checkout/protocol';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import { buildTestApp, type TestApp } from './app.js';

/** A JSON schema as the OpenAPI document holds it (only what the fuzzer reads). */
interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

/** One documented route, as the fuzzer drives it. */
export interface FuzzRoute {
  method: string;
  /** OpenAPI path template, `/v1/sessions/{id}`. */
  path: string;
  operation: Operation;
  /** The route answers an event stream, which never ends by itself. */
  streams: boolean;
}

/** Everything valid the fuzzer can pick from: ids that exist, credentials of every kind. */
export interface FuzzPools {
  sessionIds: string[];
  clientSecrets: string[];
  endpointIds: string[];
  eventIds: string[];
  /** A test-mode payout waiting for approval, asked for with another key than `testKey`. */
  payoutIds: string[];
  cursors: string[];
  testKey: string;
  liveKey: string;
  revokedKey: string;
}

/** An app seeded for fuzzing: sessions in both modes, a webhook endpoint and its test event. */
export interface FuzzTarget {
  app: TestApp;
  routes: FuzzRoute[];
  pools: FuzzPools;
  close(): Promise<void>;
}

/** One generated request and what it is for (printed with a failing seed). */
export type FuzzRequest = InjectOptions & { method: string; url: string; route: string };

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

async function fakeDist(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-fuzz-dist-'));
  await writeFile(join(dir, 'hosted-page.js'), 'import "./crypto-checkout.js";\n');
  await writeFile(join(dir, 'crypto-checkout.js'), 'export const x = 1;\n');
  await writeFile(join(dir, 'qr-nPAwriXk.js.map'), '{"version":3}');
  await mkdir(join(dir, 'folder.js'));
  return dir;
}

async function ok<T>(app: TestApp, options: InjectOptions, status: number): Promise<T> {
  const response = await app.server.inject(options);
  if (response.statusCode !== status) {
    throw new Error(`seeding ${options.method} ${options.url}: ${response.statusCode} ${response.body}`);
  }
  return response.json() as T;
}

/** Builds the test app (with a fake built hosted page) and seeds it. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const app = await buildTestApp({}, { distDir: await fakeDist() });
  const live = await createApiKey(app.apiKeys, { mode: 'live' });
  const revoked = await createApiKey(app.apiKeys, { mode: 'test' });
  await app.apiKeys.revoke(revoked.record.id, new Date());
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  const sessions = [
    await app.createSession(),
    await app.createSession({ order_id: 'order-1', metadata: { note: 'x', nested: { a: [1, 2] } } }),
    await app.createSession({ amount: '0.01' }),
    await ok<{ id: string; client_secret: string }>(
      app,
      {
        method: 'POST',
        url: '/v1/sessions',
        headers: bearer(live.key),
        payload: { amount: '5', currency: 'USD' },
      },
      201,
    ),
  ];
  await ok(
    app,
    { method: 'POST', url: `/v1/sessions/${sessions[2]!.id}/cancel`, headers: bearer(app.secretKey) },
    200,
  );
  const endpoint = await ok<{ id: string }>(
    app,
    {
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers: bearer(app.secretKey),
      payload: { url: 'https://example.com/hook' },
    },
    201,
  );
  await ok(
    app,
    { method: 'POST', url: `/v1/webhook_endpoints/${endpoint.id}/test`, headers: bearer(app.secretKey) },
    202,
  );
  const events = await ok<{ data: { id: string }[] }>(
    app,
    { method: 'GET', url: '/v1/webhook_events', headers: bearer(app.secretKey) },
    200,
  );
  // A treasury to pay from (as a sweep reports it), and a payout another test key asked for, so
  // that `testKey` may approve it.
  const { ledger } = app.treasury;
  await ledger.transaction((tx) =>
    ledger.recordSweep(tx, {
      livemode: false,
      asset: 'usdc@anvil',
      from: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      to: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      amount_atomic: 10_000_000_000n,
      tx_hash: `0x${'ab'.repeat(32)}`,
      log_index: 0,
      at: new Date(),
    }),
  );
  const requester = await createApiKey(app.apiKeys, { mode: 'test' });
  const payouts = await ok<{ data: { id: string }[] }>(
    app,
    {
      method: 'POST',
      url: '/v1/payouts',
      headers: bearer(requester.key),
      payload: {
        payouts: [
          { destination: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', asset: 'usdc@anvil', amount: '600' },
        ],
      },
    },
    201,
  );
  const page = await ok<{ next_cursor: string | null }>(
    app,
    { method: 'GET', url: '/v1/sessions?limit=1', headers: bearer(app.secretKey) },
    200,
  );

  const document = await ok<{ paths: Record<string, Record<string, Operation>> }>(
    app,
    { method: 'GET', url: '/openapi.json' },
    200,
  );
  const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      operation,
      streams: Boolean(operation.responses['200']?.content?.['text/event-stream']),
    })),
  );
  return {
    app,
    routes,
    pools: {
      sessionIds: sessions.map((s) => s.id),
      clientSecrets: sessions.map((s) => s.client_secret),
      endpointIds: [endpoint.id],
      eventIds: events.data.map((e) => e.id),
      payoutIds: payouts.data.map((p) => p.id),
      cursors: page.next_cursor ? [page.next_cursor] : [],
      testKey: app.secretKey,
      liveKey: live.key,
      revokedKey: revoked.key,
    },
    close: () => app.close(),
  };
}

/**
 * Percent-encodes any JavaScript string, lone surrogates included (as their WTF-8 bytes, which are
 * not UTF-8: the server must refuse them, not choke on them); `encodeURIComponent` throws on those.
 */
export function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((char) => {
        const unit = char.charCodeAt(0);
        if (char.length > 1 || unit < 0xd800 || unit > 0xdfff) return encodeURIComponent(char);
        const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 63), 0x80 | (unit & 63)];
        return bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      })
      .join('');
  }
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Strings meant to break things: NUL, lone surrogates, long, numeric extremes, markup, paths. */
const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udc00',
    '\ud83d\ude00',
    '-1',
    '0',
    '1e400',
    '99999999999999999999999999999999',
    '-9223372036854775809',
    'NaN',
    'Infinity',
    'null',
    'true',
    '[]',
    '{}',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '%00',
    '<script>alert(1)</script>',
    "'; DROP TABLE sessions; --",
    '9999-12-31T23:59:59-23:59',
    '0000-01-01',
    '1969-12-31T23:59:59Z',
    '2025-02-30',
    'javascript:alert(1)',
    'http://169.254.169.254/latest/meta-data/',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 5_000 }).map((n) => 'x'.repeat(n)),
);

/** A JSON text nested `depth` deep, built as text (no recursion in the fuzzer either). */
const deepJson = fc
  .tuple(fc.integer({ min: 20, max: 5000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth),
  );

/** Values of any type, for a field that expects something else. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE, [], {}),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Plausible string values for fields the fuzzer knows by name. */
function knownStrings(name: string, pools: FuzzPools): string[] {
  const known: Record<string, string[]> = {
    amount: ['49.99', '0.01', '1', '0', '100000000000000000.123456789012345678'],
    currency: ['USD', 'EUR', 'usd'],
    url: ['https://example.com/hook', 'http://127.0.0.1:1/x', 'https://example.com/' + 'a'.repeat(3000)],
    success_url: ['https://shop.example/ok'],
    cancel_url: ['https://shop.example/cancel'],
    method: ['usdc@anvil', 'eth@anvil', 'nope@nowhere'],
    methods: ['usdc@anvil', 'eth@anvil'],
    order_id: ['order-1', 'order-2'],
    session_id: pools.sessionIds,
    client_secret: pools.clientSecrets,
    cursor: [
      ...pools.cursors,
      b64('1:99999999999999999999:cs_abc'),
      b64('1:-1:cs_abc'),
      b64('1:253402300799999999:cs_abcdefghijklmnopqrstuvwx'),
      b64('e1:9999999999999999999'),
      b64('a1:1'),
      'not base64!',
    ],
    created_gte: ['2025-01-31', '2025-01-31T12:00:00+01:00', '9999-12-31T23:59:59-23:59', '0001-01-01'],
    created_lt: ['2030-01-01', '0000-01-01', '10000-01-01'],
    status: ['open', 'paid,overpaid', 'nope', 'open,,paid'],
    review: ['true', 'false', 'yes'],
    token: ['USDC', 'usdc', 'ETH'],
    limit: ['1', '20', '100', '0', '101', '-1', '1.5', '1e2'],
    last_event_id: ['0', '1', '99999999999999999999', '-1'],
    type: ['session.paid', 'webhook.test', 'nope'],
    events: ['session.paid', '*'],
    expire_previous_in: ['0'],
  };
  return known[name] ?? [];
}

/**
 * A value for `schema`: usually one of its shape, sometimes (unless `calm`) a hostile one in its
 * place. Calm values are the route's own shape only, so that enough requests get past validation
 * to exercise what lies behind it.
 */
function fromSchema(
  schema: Schema | undefined,
  components: Record<string, Schema>,
  pools: FuzzPools,
  name = '',
  depth = 0,
  calm = false,
): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return calm ? fc.jsonValue({ maxDepth: 2 }) : hostileValue;
  if (schema.$ref) {
    const target = components[schema.$ref.split('/').pop()!];
    return fromSchema(target, components, pools, name, depth + 1, calm);
  }
  const plausible = plausibleFor(schema, components, pools, name, depth, calm);
  if (calm) return plausible;
  return fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 1, arbitrary: hostileValue });
}

function plausibleFor(
  schema: Schema,
  components: Record<string, Schema>,
  pools: FuzzPools,
  name: string,
  depth: number,
  calm: boolean,
): fc.Arbitrary<unknown> {
  const choices = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (choices?.length)
    return fc.oneof(...choices.map((s) => fromSchema(s, components, pools, name, depth + 1, calm)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const fields = Object.fromEntries(
        Object.entries(properties).map(([key, child]) => [
          key,
          fromSchema(child, components, pools, key, depth + 1, calm),
        ]),
      );
      const requiredKeys = Object.keys(fields).filter((key) => required.has(key));
      if (calm) return fc.record(fields, { requiredKeys });
      return fc
        .tuple(
          fc.record(fields, { requiredKeys }),
          fc.dictionary(
            fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype'), hostileString),
            hostileValue,
            {
              maxKeys: 2,
            },
          ),
          fc.nat({ max: 9 }),
        )
        .map(([record, extra, roll]) => (roll === 0 ? { ...record, ...extra } : record));
    }
    case 'array':
      return fc.array(fromSchema(schema.items, components, pools, name, depth + 1, calm), {
        minLength: calm ? 1 : 0,
        maxLength: 4,
      });
    case 'string': {
      const known = [...knownStrings(name, pools), ...((schema.examples ?? []) as string[])];
      if (calm) return known.length ? fc.constantFrom(...known) : fc.string({ minLength: 1, maxLength: 20 });
      return known.length
        ? fc.oneof(
            { weight: 5, arbitrary: fc.constantFrom(...known) },
            { weight: 1, arbitrary: hostileString },
          )
        : hostileString;
    }
    case 'integer':
      if (calm) return fc.constantFrom(60, 3600, 604_800);
      return fc.oneof(fc.integer({ min: -10, max: 1_000_000 }), fc.constantFrom(60, 3600, 604_800, 2 ** 63));
    case 'number':
      return fc.oneof(fc.double(), fc.integer());
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** The values a path parameter takes, by the path up to it; a parameter missing here fails the run. */
function pathValues(pools: FuzzPools): Record<string, string[]> {
  const sessionIds = [...pools.sessionIds, 'cs_AAAAAAAAAAAAAAAAAAAAAAAA', 'cs_', 'cs_x'];
  return {
    '/v1/sessions/{id}': sessionIds,
    '/checkout/{id}': sessionIds,
    '/checkout/assets/{file}': [
      'hosted-page.js',
      'crypto-checkout.js',
      'qr-nPAwriXk.js.map',
      'folder.js',
      'none.js',
    ],
    '/v1/webhook_endpoints/{id}': [...pools.endpointIds, 'we_AAAAAAAAAAAAAAAAAAAAAAAA'],
    '/v1/webhook_events/{id}': [...pools.eventIds, 'evt_AAAAAAAAAAAAAAAAAAAAAAAA'],
    '/v1/payouts/{id}': [...pools.payoutIds, 'po_AAAAAAAAAAAAAAAAAAAAAAAA', 'po_', 'po_x'],
    '/merchant/payouts/{id}': [...pools.payoutIds, 'po_AAAAAAAAAAAAAAAAAAAAAAAA', 'po_'],
    '/merchant/payouts/{id}/{verb}': ['approve', 'cancel', 'other'],
  };
}

/**
 * The arbitrary of one request to `route`. Throws when the route has a path parameter the fuzzer
 * has no values for: a new route must be taught here, not skipped.
 */
function requestFor(
  route: FuzzRoute,
  components: Record<string, Schema>,
  pools: FuzzPools,
): fc.Arbitrary<FuzzRequest> {
  const parameters = route.operation.parameters ?? [];
  const byPath = pathValues(pools);
  const segments = route.path.split(/(\{[^}]+\})/).filter(Boolean);
  const pathArbs = segments.map((segment, index) => {
    if (!segment.startsWith('{')) return fc.constant(segment);
    const key = segments.slice(0, index + 1).join('');
    const values = byPath[key];
    if (!values)
      throw new Error(
        `the fuzzer has no values for ${segment} of ${route.method} ${route.path}; add ${key} to pathValues`,
      );
    return fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...values) },
      { weight: 1, arbitrary: hostileString.map((s) => percentEncode(s).slice(0, 300)) },
      { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '..', '%2e%2e', 'a/b') },
    );
  });
  const queryArbs = parameters
    .filter((p) => p.in === 'query')
    .map((p) =>
      fc.option(
        fc.tuple(
          fc.constant(p.name),
          fromSchema(p.schema, components, pools, p.name).map((v) =>
            typeof v === 'string' ? v : (JSON.stringify(v) ?? ''),
          ),
          fc.nat({ max: 9 }),
        ),
        { freq: 2 },
      ),
    );
  const extraQuery = fc.option(
    fc.oneof(
      fc.constantFrom(
        'client_secret=a&client_secret=b',
        'limit=1&limit=2',
        'unknown=1',
        '&&=&',
        'a=%zz',
        'x[y]=1',
        '__proto__[a]=1',
      ),
      fc
        .tuple(
          fc.constantFrom('client_secret', 'limit', 'cursor', 'status', 'order_id'),
          fc.array(hostileString, { minLength: 1, maxLength: 3 }),
        )
        .map(([name, values]) => values.map((v) => `${name}=${percentEncode(v)}`).join('&')),
    ),
    { freq: 3 },
  );
  const bodySchema = route.operation.requestBody?.content['application/json']?.schema;
  const body = fc.oneof(
    {
      weight: bodySchema ? 6 : 1,
      arbitrary: fromSchema(bodySchema, components, pools).map((v) => JSON.stringify(v) ?? 'null'),
    },
    { weight: 1, arbitrary: deepJson },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        'null',
        '"x"',
        '{"__proto__":{"admin":true},"amount":"1","currency":"USD"}',
        '{"constructor":{"prototype":{"x":1}}}',
        '{"amount":"1","currency":"USD","metadata":{"a":"\\u0000"}}',
        '{"url":"https://example.com/\\ud800"}',
        `{"amount":"1","currency":"USD","metadata":{"a":"${'x'.repeat(70_000)}"}}`,
      ),
    },
  );
  const authorization = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.constant(`Bearer ${pools.testKey}`) },
    { weight: 2, arbitrary: fc.constant(`Bearer ${pools.liveKey}`) },
    { weight: 3, arbitrary: fc.constantFrom(...pools.clientSecrets).map((secret) => `Bearer ${secret}`) },
    fc.constantFrom(
      `Bearer ${pools.revokedKey}`,
      'Bearer sk_test_' + '0'.repeat(48),
      'Bearer sk_live_nope',
      'Bearer cs_AAAAAAAAAAAAAAAAAAAAAAAA_secret_nope',
      'Bearer',
      'Basic dXNlcjpwYXNz',
      `bearer   ${pools.testKey}  `,
    ),
    hostileString.map((s) => `Bearer ${s}`),
  );
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/jsonx',
      '',
    ),
  );
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant(route.method) },
    { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
  );
  const extraHeaders = fc.record(
    {
      'idempotency-key': fc.oneof(
        fc.uuid(),
        hostileString.filter((s) => /^[\t\x20-\x7e]*$/.test(s)).map((s) => s.slice(0, 300)),
      ),
      'last-event-id': fc.constantFrom('0', '1', '-1', '99999999999999999999', 'x'),
      origin: fc.constantFrom('https://shop.example', 'null'),
    },
    { requiredKeys: [] },
  );
  return fc
    .record({
      method,
      path: fc.tuple(...pathArbs).map((parts) => parts.join('')),
      query: fc.tuple(...queryArbs, extraQuery),
      withBody: fc.boolean(),
      body,
      authorization,
      contentType,
      extraHeaders,
    })
    .map(({ method, path, query, withBody, body, authorization, contentType, extraHeaders }) => {
      const parts: string[] = [];
      for (const item of query) {
        if (typeof item === 'string') parts.push(item);
        else if (item) {
          const [name, value, roll] = item;
          parts.push(`${name}=${percentEncode(value)}`);
          if (roll === 0) parts.push(`${name}=${percentEncode(value)}`);
        }
      }
      const headers: Record<string, string> = { ...extraHeaders };
      if (authorization !== undefined) headers.authorization = authorization;
      const sendsBody = withBody || Boolean(bodySchema && method === route.method);
      if (sendsBody && contentType !== undefined) headers['content-type'] = contentType;
      return {
        route: `${route.method} ${route.path}`,
        method,
        url: parts.length ? `${path}?${parts.join('&')}` : path,
        headers,
        ...(sendsBody && method !== 'GET' && method !== 'HEAD' ? { payload: body } : {}),
      };
    });
}

/**
 * A well-formed request to `route`: its method, existing ids, query and body of its schemas' shape,
 * JSON, and a credential that may reach it. Most are answered 2xx or a business 4xx (a session not
 * open, a method not available): they drive the code behind validation with plausible data.
 */
function calmRequestFor(
  route: FuzzRoute,
  components: Record<string, Schema>,
  pools: FuzzPools,
): fc.Arbitrary<FuzzRequest> {
  const byPath = pathValues(pools);
  const segments = route.path.split(/(\{[^}]+\})/).filter(Boolean);
  const path = fc.tuple(
    ...segments.map((segment, index) =>
      segment.startsWith('{')
        ? fc.constantFrom(...byPath[segments.slice(0, index + 1).join('')]!)
        : fc.constant(segment),
    ),
  );
  const query = fc.tuple(
    ...(route.operation.parameters ?? [])
      .filter((p) => p.in === 'query' && p.name !== 'cursor')
      .map((p) =>
        fc.option(
          fromSchema(p.schema, components, pools, p.name, 0, true).map(
            (v) => `${p.name}=${percentEncode(typeof v === 'string' ? v : String(v))}`,
          ),
          { freq: 3 },
        ),
      ),
  );
  const bodySchema = route.operation.requestBody?.content['application/json']?.schema;
  const body = bodySchema
    ? fromSchema(bodySchema, components, pools, '', 0, true).map((v) => JSON.stringify(v))
    : fc.constant(undefined);
  const authorization = fc.constantFrom(
    `Bearer ${pools.testKey}`,
    `Bearer ${pools.liveKey}`,
    ...pools.clientSecrets.map((secret) => `Bearer ${secret}`),
  );
  return fc.record({ path, query, body, authorization }).map(({ path, query, body, authorization }) => {
    const parts = query.filter((part): part is string => typeof part === 'string');
    const headers: Record<string, string> = { authorization };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return {
      route: `${route.method} ${route.path}`,
      method: route.method,
      url: parts.length ? `${path.join('')}?${parts.join('&')}` : path.join(''),
      headers,
      ...(body === undefined ? {} : { payload: body }),
    };
  });
}

/**
 * One request to any route: every documented route is a candidate, with the same weight; one in
 * four requests is well-formed ({@link calmRequestFor}), the rest mix in hostile parts.
 */
export function anyRequest(
  target: FuzzTarget,
  components: Record<string, Schema>,
): fc.Arbitrary<FuzzRequest> {
  const { routes, pools } = target;
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(...routes.map((route) => requestFor(route, components, pools))) },
    { weight: 1, arbitrary: fc.oneof(...routes.map((route) => calmRequestFor(route, components, pools))) },
  );
}

/** The components of the app's OpenAPI document, for `$ref`s. */
export async function openApiComponents(target: FuzzTarget): Promise<Record<string, Schema>> {
  const response = await target.app.server.inject({ method: 'GET', url: '/openapi.json' });
  return (response.json() as { components: { schemas: Record<string, Schema> } }).components.schemas;
}

/** What a request answered, enough to check it. */
export interface FuzzAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Sends one request. An event stream answering 200 is cut off once its headers are out (its body
 * never ends by itself); every other answer is read whole.
 */
export async function send(target: FuzzTarget, request: FuzzRequest): Promise<FuzzAnswer> {
  const controller = new AbortController();
  const response = await target.app.server.inject({
    ...request,
    method: request.method as InjectOptions['method'],
    payloadAsStream: true,
    signal: controller.signal,
  });
  const contentType = String(response.headers['content-type'] ?? '');
  if (contentType.startsWith('text/event-stream')) {
    controller.abort();
    return { status: response.statusCode, contentType, body: '' };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream()) chunks.push(chunk as Buffer);
  return { status: response.statusCode, contentType, body: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Why an answer breaks the property, or `null` when it keeps it: no 5xx; a JSON 4xx is the error
 * body with a code of the protocol's list; any other 4xx is a documented non-JSON answer (the hosted
 * page's HTML 404).
 */
export function violation(target: FuzzTarget, request: FuzzRequest, answer: FuzzAnswer): string | null {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400 || request.method === 'HEAD') return null;
  if (answer.contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      return `answered ${answer.status} with a JSON content type and a body that is not JSON`;
    }
    const result = errorBodySchema.safeParse(parsed);
    return result.success
      ? null
      : `answered ${answer.status} without the error body: ${answer.body.slice(0, 300)}`;
  }
  // The route that answered may not be the one the request was made for (`/checkout/assets/%2e%2e`
  // is the page of the session `assets/..`): any route under the same static prefix may document it.
  const path = request.url.split('?', 1)[0]!;
  const type = answer.contentType.split(';')[0]!.trim();
  const documented = target.routes.some(
    (route) =>
      path.startsWith(route.path.split('{', 1)[0]!) &&
      type in (route.operation.responses[String(answer.status)]?.content ?? {}),
  );
  return documented ? null : `answered ${answer.status} as ${answer.contentType || 'nothing'}, undocumented`;
}

/**
 * Runs `runs` generated requests against `target` and throws (with fast-check's seed and the
 * shrunk request) on the first that breaks the property. Returns how many requests it sent.
 */
export async function fuzz(
  target: FuzzTarget,
  options: { runs: number; seed?: number; onProgress?: (sent: number) => void },
): Promise<{ sent: number; statuses: Map<number, number> }> {
  const components = await openApiComponents(target);
  const statuses = new Map<number, number>();
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(anyRequest(target, components), async (request) => {
      const answer = await send(target, request);
      sent++;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (options.onProgress && sent % 1000 === 0) options.onProgress(sent);
      const problem = violation(target, request, answer);
      if (problem) throw new Error(`${request.method} ${request.url} (${request.route}) ${problem}`);
    }),
    {
      numRuns: options.runs,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      endOnFailure: false,
    },
  );
  return { sent, statuses };
}
