/**
 * Inputs that used to answer 500 (issue 12), each pinned with the 400 it answers now: a scalar query
 * parameter given twice, cursors and date filters out of range, JSON nested too deep, an OPTIONS
 * request that is not a preflight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { errorBodySchema, type Session } from '@crypto-checkout/protocol';
import { jsonDepth, MAX_JSON_DEPTH } from '../../packages/server/src/json-body.js';
import { buildTestApp, type TestApp } from '../support/app.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function assert400(response: LightMyRequestResponse, path: string, message: RegExp): void {
  assert.equal(response.statusCode, 400, response.body);
  const { error } = errorBodySchema.parse(response.json());
  assert.equal(error.code, 'invalid_request', response.body);
  assert.deepEqual(
    error.issues?.map((i) => i.path),
    [path],
    response.body,
  );
  assert.match(error.message, message);
}

describe('inputs that reached the database or overflowed the stack answer 400', () => {
  let app: TestApp;
  let session: Session;
  const call = (options: InjectOptions) => app.server.inject(options);
  const asMerchant = (options: InjectOptions): InjectOptions => ({
    ...options,
    headers: { authorization: `Bearer ${app.secretKey}`, ...options.headers },
  });

  before(async () => {
    app = await buildTestApp();
    session = await app.createSession();
    await app.createSession();
  });
  after(() => app.close());

  test('a scalar query parameter given twice answers 400 naming it; status may repeat', async () => {
    assert400(await call(asMerchant({ url: '/v1/sessions?limit=1&limit=2' })), 'limit', /more than once/);
    // Unauthenticated, the client secret twice used to reach the authentication as an array: a 500.
    assert400(
      await call({ url: `/v1/sessions/${session.id}/events?client_secret=a&client_secret=b` }),
      'client_secret',
      /more than once/,
    );
    assert400(
      await call(asMerchant({ url: '/v1/webhook_events?cursor=a&cursor=b' })),
      'cursor',
      /more than once/,
    );
    const repeated = await call(asMerchant({ url: '/v1/sessions?status=open&status=paid' }));
    assert.equal(repeated.statusCode, 200, repeated.body);
    assert.equal((repeated.json() as { data: Session[] }).data.length, 2);
  });

  test('a cursor out of range answers 400, a real one still pages', async () => {
    for (const text of [
      `1:99999999999999999999:${session.id}`,
      `1:9999999999999999999:${session.id}`,
      `1:-1:${session.id}`,
      `1:253402300800000000:${session.id}`,
    ]) {
      assert400(await call(asMerchant({ url: `/v1/sessions?cursor=${b64(text)}` })), 'cursor', /cursor/);
    }
    assert400(
      await call(asMerchant({ url: `/v1/webhook_events?cursor=${b64('e1:9223372036854775808')}` })),
      'cursor',
      /cursor/,
    );
    const first = await call(asMerchant({ url: '/v1/sessions?limit=1' }));
    const { next_cursor } = first.json() as { next_cursor: string };
    const second = await call(asMerchant({ url: `/v1/sessions?limit=1&cursor=${next_cursor}` }));
    assert.equal(second.statusCode, 200, second.body);
  });

  test('a date filter outside 0001–9999 (UTC) answers 400, the edges pass', async () => {
    for (const date of ['0000-01-01', '9999-12-31T23:59:59-23:59', '0001-01-01T00:00:00%2B01:00']) {
      assert400(
        await call(asMerchant({ url: `/v1/sessions?created_gte=${date}` })),
        'created_gte',
        /between 0001-01-01 and 9999-12-31/,
      );
    }
    for (const date of ['0001-01-01', '9999-12-31T23:59:59Z', '1969-12-31T23:59:59Z']) {
      const response = await call(asMerchant({ url: `/v1/sessions?created_lt=${date}` }));
      assert.equal(response.statusCode, 200, `${date}: ${response.body}`);
    }
  });

  test(`JSON nested deeper than ${MAX_JSON_DEPTH} answers 400 before parsing, on every JSON route`, async () => {
    const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    for (const [url, body] of [
      ['/v1/sessions', `{"amount":"1.00","currency":"USD","metadata":${nested(5000)}}`],
      ['/v1/sessions', '['.repeat(60_000)],
      ['/v1/webhook_endpoints', `{"url":"https://example.com/hook","x":${nested(40)}}`],
    ] as const) {
      const response = await call(
        asMerchant({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', 'idempotency-key': 'deep' },
          payload: body,
        }),
      );
      assert400(response, '(body)', /deeper than 32 levels/);
    }
    // 31 levels of metadata inside the body's own object: 32 in all, accepted.
    const response = await call(
      asMerchant({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'content-type': 'application/json' },
        payload: `{"amount":"1.00","currency":"USD","metadata":{"m":${nested(30)}}}`,
      }),
    );
    assert.equal(response.statusCode, 201, response.body);
  });

  test('jsonDepth counts brackets outside strings only', () => {
    assert.equal(jsonDepth('1'), 0);
    assert.equal(jsonDepth('{"a":[1,{"b":"]]"}]}'), 3);
    assert.equal(jsonDepth('["[[[\\"[["]'), 1);
    assert.equal(jsonDepth('['.repeat(1000), 32), 33);
  });

  test('prototype keys in a body answer 400, as Fastify always did', async () => {
    const response = await call(
      asMerchant({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'content-type': 'application/json' },
        payload: '{"amount":"1.00","currency":"USD","__proto__":{"livemode":true}}',
      }),
    );
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(errorBodySchema.parse(response.json()).error.code, 'invalid_json');
  });

  test("an OPTIONS request that is not a preflight answers the API's 400, a preflight passes", async () => {
    const bare = await call({ method: 'OPTIONS', url: '/v1/sessions' });
    assert.equal(bare.statusCode, 400, bare.body);
    assert.match(String(bare.headers['content-type']), /^application\/json/);
    assert.equal(errorBodySchema.parse(bare.json()).error.code, 'invalid_request');
    const preflight = await call({
      method: 'OPTIONS',
      url: '/v1/sessions',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.statusCode, 204, preflight.body);
  });
});
