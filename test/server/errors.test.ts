import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { z } from 'zod';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { errorBodySchema, type ErrorBody } from '@crypto-checkout/protocol';
import { buildTestApp, type TestApp } from '../support/app.js';
import { teeLogger } from '../support/logs.js';

/** Asserts the answer is the project's error body with `status` and `code`, and returns the body. */
function assertError(response: LightMyRequestResponse, status: number, code: string): ErrorBody['error'] {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = errorBodySchema.parse(response.json());
  assert.equal(body.error.code, code, response.body);
  assert.ok(body.error.message.length > 0);
  return body.error;
}

describe("Fastify's own errors answer the project's error body", () => {
  let app: TestApp;
  const call = (opts: InjectOptions) => app.server.inject(opts);
  const asMerchant = (opts: InjectOptions): InjectOptions => ({
    ...opts,
    headers: { authorization: `Bearer ${app.secretKey}`, ...opts.headers },
  });

  before(async () => {
    app = await buildTestApp();
  });
  after(() => app.close());

  test('a body that fails its schema → 400 invalid_request naming each field', async () => {
    const response = await call(
      asMerchant({
        method: 'POST',
        url: '/v1/webhook_endpoints',
        payload: { url: 'ftp://x', description: 7 },
      }),
    );
    const error = assertError(response, 400, 'invalid_request');
    assert.deepEqual(error.issues?.map((i) => i.path).sort(), ['description', 'url']);
    assert.match(error.message, /url: must be an http\(s\) URL/);
  });

  test('a NUL or a lone surrogate anywhere in a request → 400 invalid_request naming the field, never 500', async () => {
    const cases: [InjectOptions, string][] = [
      [asMerchant({ method: 'GET', url: '/v1/sessions?order_id=a%00b' }), 'query.order_id'],
      [
        { method: 'GET', url: '/v1/sessions/cs_abc/events?client_secret=cs_abc_secret_%00' },
        'query.client_secret',
      ],
      [
        asMerchant({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'content-type': 'application/json' },
          // JSON.parse turns the escape into a lone high surrogate, which UTF-8 cannot hold.
          payload: '{"amount":"1.00","currency":"USD","metadata":{"note":"\\ud800"}}',
        }),
        'metadata.note',
      ],
      [
        asMerchant({
          method: 'POST',
          url: '/v1/sessions',
          payload: { amount: '1.00', currency: 'USD', metadata: { ['k\u0000']: 'v' } },
        }),
        'metadata.k\u0000',
      ],
    ];
    for (const [request, path] of cases) {
      const error = assertError(await call(request), 400, 'invalid_request');
      assert.deepEqual(
        error.issues?.map((issue) => issue.path),
        [path],
        `${request.method} ${request.url}`,
      );
      assert.match(error.message, /NUL characters or unpaired UTF-16 surrogates/);
    }
    // A path parameter has a pattern NUL cannot pass: it is as unknown as any malformed id.
    assertError(await call(asMerchant({ method: 'GET', url: '/v1/sessions/cs_a%00b' })), 404, 'not_found');
    // A paired surrogate (an emoji) is ordinary text.
    const emoji = await call(
      asMerchant({
        method: 'POST',
        url: '/v1/sessions',
        payload: { amount: '1.00', currency: 'USD', order_id: 'A-😀' },
      }),
    );
    assert.equal(emoji.statusCode, 201, emoji.body);
  });

  test('an unknown query parameter → 400 invalid_request naming it', async () => {
    const error = assertError(
      await call(asMerchant({ method: 'GET', url: '/v1/webhook_events?colour=red' })),
      400,
      'invalid_request',
    );
    assert.deepEqual(error.issues, [{ path: 'colour', message: 'unknown parameter' }]);
  });

  test('a header that fails its schema → 400 invalid_request naming the header', async () => {
    const error = assertError(
      await call(
        asMerchant({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'idempotency-key': 'k'.repeat(256) },
          payload: { amount: '1.00', currency: 'USD' },
        }),
      ),
      400,
      'invalid_request',
    );
    assert.equal(error.issues?.[0]?.path, 'Idempotency-Key');
  });

  test('a path parameter of the wrong shape → 404 not_found, like an unknown id', async () => {
    assertError(
      await call(asMerchant({ method: 'GET', url: '/v1/webhook_endpoints/nope' })),
      404,
      'not_found',
    );
    assertError(
      await call(asMerchant({ method: 'POST', url: '/v1/webhook_events/evt_1/redeliver', payload: {} })),
      404,
      'not_found',
    );
  });

  test('malformed JSON → 400 invalid_json', async () => {
    assertError(
      await call(
        asMerchant({
          method: 'POST',
          url: '/v1/webhook_endpoints',
          headers: { 'content-type': 'application/json' },
          payload: '{"url":',
        }),
      ),
      400,
      'invalid_json',
    );
  });

  test('an empty body sent as JSON → 400 invalid_json', async () => {
    assertError(
      await call(
        asMerchant({
          method: 'POST',
          url: '/v1/webhook_endpoints',
          headers: { 'content-type': 'application/json' },
          payload: '',
        }),
      ),
      400,
      'invalid_json',
    );
  });

  test('a body over 64 KB → 413 payload_too_large', async () => {
    assertError(
      await call(
        asMerchant({
          method: 'POST',
          url: '/v1/webhook_endpoints',
          payload: { url: 'https://shop.example/hooks', description: 'x'.repeat(70_000) },
        }),
      ),
      413,
      'payload_too_large',
    );
  });

  test('a path segment longer than any id → 414 uri_too_long', async () => {
    assertError(
      await call(asMerchant({ method: 'GET', url: `/v1/sessions/cs_${'a'.repeat(200)}` })),
      414,
      'uri_too_long',
    );
  });

  test('a body that is not JSON → 415 unsupported_media_type', async () => {
    assertError(
      await call(
        asMerchant({
          method: 'POST',
          url: '/v1/webhook_endpoints',
          headers: { 'content-type': 'text/plain' },
          payload: 'url=https://shop.example',
        }),
      ),
      415,
      'unsupported_media_type',
    );
  });

  test('a URL that is not validly percent-encoded → 400 invalid_request', async () => {
    assertError(await call({ method: 'GET', url: '/checkout/%E0%A4%A' }), 400, 'invalid_request');
  });

  test('no route → 404 not_found', async () => {
    const error = assertError(await call({ method: 'GET', url: '/v2/nothing' }), 404, 'not_found');
    assert.match(error.message, /GET \/v2\/nothing/);
  });

  test('a path that exists under other methods → 405 method_not_allowed with Allow', async () => {
    const response = await call(asMerchant({ method: 'DELETE', url: '/v1/sessions' }));
    assertError(response, 405, 'method_not_allowed');
    assert.equal(response.headers.allow, 'GET, HEAD, POST');
    const byId = await call(asMerchant({ method: 'PUT', url: '/v1/webhook_endpoints/we_abc' }));
    assertError(byId, 405, 'method_not_allowed');
    assert.equal(byId.headers.allow, 'GET, HEAD, PATCH, DELETE');
  });

  test('unauthenticated requests are refused before their body is read: 401, not 400', async () => {
    assertError(
      await call({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'content-type': 'application/json' },
        payload: '{"amount":',
      }),
      401,
      'unauthorized',
    );
  });
});

describe('a bug answers 500 internal_error and says nothing about its cause', () => {
  test('the cause is logged in full, the answer is generic', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const app = await buildTestApp({}, { logger: teeLogger('error', sink) });
    try {
      app.server.get(
        '/boom',
        {
          schema: {
            operationId: 'boom',
            tags: ['Meta'],
            summary: 'Fails',
            security: [],
            response: { 200: z.object({ ok: z.boolean() }) },
          },
        },
        async () => {
          throw new Error('connection to db.internal:5432 refused');
        },
      );
      const error = assertError(
        await app.server.inject({ method: 'GET', url: '/boom' }),
        500,
        'internal_error',
      );
      assert.equal(error.message.includes('db.internal'), false);
      assert.match(logs, /db\.internal:5432/);
    } finally {
      await app.close();
    }
  });
});

describe('requests Node refuses before Fastify sees them', () => {
  test('headers larger than Node reads → 431 headers_too_large with the error body', async () => {
    const app = await buildTestApp();
    try {
      await app.server.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.server.address() as { port: number };
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
        });
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', (error) => (data ? resolve(data) : reject(error)));
      });
      assert.match(answer, /^HTTP\/1\.1 431 /);
      const body = errorBodySchema.parse(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)));
      assert.equal(body.error.code, 'headers_too_large');
    } finally {
      await app.close();
    }
  });
});
