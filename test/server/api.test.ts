import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import type { BuyerSession, ErrorBody, Session } from '@crypto-checkout/protocol';
import { buildTestApp, FAKE_USDC, type TestApp } from '../support/app.js';
import { teeLogger } from '../support/logs.js';

describe('sessions API', () => {
  let app: TestApp;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = (opts: InjectOptions) => app.server.inject(opts);
  const expectError = async (opts: InjectOptions, status: number, code: string) => {
    const response = await call(opts);
    assert.equal(response.statusCode, status, response.body);
    const body = response.json() as ErrorBody;
    assert.equal(body.error.code, code, response.body);
    assert.ok(body.error.message.length > 0);
    return body;
  };
  /** A test body that expects an error; `opts` is a function because `app` exists only in before(). */
  const rejects = (opts: () => InjectOptions, status: number, code: string) => async () => {
    await expectError(opts(), status, code);
  };

  before(async () => {
    app = await buildTestApp();
  });
  after(() => app.close());

  test('creates a session and answers 201 with id and client_secret', async () => {
    const response = await call({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth(app.secretKey),
      payload: {
        amount: '49.99',
        currency: 'usd',
        order_id: 'A-1001',
        metadata: { cart: [1, 2], customer: 'c_9' },
        expires_in: 600,
        success_url: 'https://shop.example/thanks',
      },
    });
    assert.equal(response.statusCode, 201, response.body);
    const session = response.json() as Session;
    assert.match(session.id, /^cs_[A-Za-z0-9]{24}$/);
    assert.ok(session.client_secret.startsWith(`${session.id}_secret_`));
    assert.equal(session.status, 'open');
    assert.equal(session.amount, '49.99');
    assert.equal(session.currency, 'USD');
    assert.equal(session.order_id, 'A-1001');
    assert.deepEqual(session.metadata, { cart: [1, 2], customer: 'c_9' });
    assert.deepEqual(
      session.methods.map((m) => m.id),
      ['usdc@anvil', 'eth@anvil'],
    );
    assert.equal(session.payment, null);
    const lifetime = Date.parse(session.expires_at) - Date.parse(session.created_at);
    assert.equal(lifetime, 600_000);
  });

  test('the buyer view leaves out metadata and the client secret; the merchant view has them', async () => {
    const created = await app.createSession({ metadata: { internal: 'x' } });
    const buyer = await call({
      method: 'GET',
      url: `/v1/sessions/${created.id}`,
      headers: auth(created.client_secret),
    });
    assert.equal(buyer.statusCode, 200);
    const body = buyer.json() as Record<string, unknown>;
    assert.equal(body.id, created.id);
    assert.equal('metadata' in body, false);
    assert.equal('client_secret' in body, false);
    assert.equal(buyer.body.includes('internal'), false);
    const merchant = await call({
      method: 'GET',
      url: `/v1/sessions/${created.id}`,
      headers: auth(app.secretKey),
    });
    assert.deepEqual((merchant.json() as Session).metadata, { internal: 'x' });
  });

  test('choosing USDC derives a fresh address from the xpub and locks the amount 1:1', async () => {
    const a = await app.createSession();
    const b = await app.createSession();
    const pay = async (s: Session, method: string) => {
      const response = await call({
        method: 'POST',
        url: `/v1/sessions/${s.id}/payment`,
        headers: auth(s.client_secret),
        payload: { method },
      });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as BuyerSession).payment!;
    };
    const first = await pay(a, 'usdc@anvil');
    const second = await pay(b, 'usdc@anvil');
    assert.notEqual(first.address, second.address);
    // The addresses are the merchant's own wallet accounts m/44'/60'/0'/0/i: it can spend from them.
    const own = Array.from({ length: 10 }, (_, i) => app.wallet.addressAt(i));
    assert.ok(own.includes(first.address as `0x${string}`), first.address);
    assert.ok(own.includes(second.address as `0x${string}`), second.address);
    assert.equal(first.amount_due, '49.99');
    assert.equal(first.amount_due_atomic, '49990000');
    assert.equal(first.decimals, 6);
    assert.equal(first.chain_id, 31337);
    assert.equal(first.token_address, FAKE_USDC);
    assert.equal(first.confirmations_required, 2);
    assert.equal(first.uri, `ethereum:${FAKE_USDC}@31337/transfer?address=${first.address}&uint256=49990000`);
  });

  test('choosing ETH converts at the configured rate, rounded up to 8 decimals', async () => {
    const s = await app.createSession();
    const response = await call({
      method: 'POST',
      url: `/v1/sessions/${s.id}/payment`,
      headers: auth(s.client_secret),
      payload: { method: 'eth@anvil' },
    });
    const payment = (response.json() as BuyerSession).payment!;
    // 49.99 / 3000 = 0.0166633333… → 0.01666334
    assert.equal(payment.amount_due, '0.01666334');
    assert.equal(payment.amount_due_atomic, '16663340000000000');
    assert.equal(payment.rate, '3000');
    assert.equal(payment.uri, `ethereum:${payment.address}@31337?value=16663340000000000`);
  });

  test('choosing the same method twice answers the same address; another method is refused', async () => {
    const s = await app.createSession();
    const choose = (method: string) =>
      call({
        method: 'POST',
        url: `/v1/sessions/${s.id}/payment`,
        headers: auth(s.client_secret),
        payload: { method },
      });
    const one = (await choose('usdc@anvil')).json() as BuyerSession;
    const two = (await choose('usdc@anvil')).json() as BuyerSession;
    assert.equal(one.payment!.address, two.payment!.address);
    await expectError(
      {
        method: 'POST',
        url: `/v1/sessions/${s.id}/payment`,
        headers: auth(s.client_secret),
        payload: { method: 'eth@anvil' },
      },
      409,
      'method_already_chosen',
    );
  });

  test('a method that the session does not offer is refused', async () => {
    const s = await app.createSession({ methods: ['usdc@anvil'] });
    await expectError(
      {
        method: 'POST',
        url: `/v1/sessions/${s.id}/payment`,
        headers: auth(s.client_secret),
        payload: { method: 'eth@anvil' },
      },
      400,
      'method_not_available',
    );
  });

  describe('authentication', () => {
    test(
      'no Authorization header answers 401',
      rejects(
        () => ({ method: 'POST', url: '/v1/sessions', payload: { amount: '1', currency: 'USD' } }),
        401,
        'unauthorized',
      ),
    );

    test(
      'a wrong secret key answers 401',
      rejects(
        () => ({
          method: 'POST',
          url: '/v1/sessions',
          headers: auth(`sk_test_${'x'.repeat(48)}`),
          payload: { amount: '1', currency: 'USD' },
        }),
        401,
        'unauthorized',
      ),
    );

    test('a client secret cannot create sessions (403: valid credentials, not for this)', async () => {
      const s = await app.createSession();
      await expectError(
        {
          method: 'POST',
          url: '/v1/sessions',
          headers: auth(s.client_secret),
          payload: { amount: '1', currency: 'USD' },
        },
        403,
        'forbidden',
      );
    });

    test("the client secret of one session gets nothing of another's (403)", async () => {
      const mine = await app.createSession();
      const theirs = await app.createSession();
      await expectError(
        { method: 'GET', url: `/v1/sessions/${theirs.id}`, headers: auth(mine.client_secret) },
        403,
        'forbidden',
      );
      await expectError(
        {
          method: 'POST',
          url: `/v1/sessions/${theirs.id}/payment`,
          headers: auth(mine.client_secret),
          payload: { method: 'usdc@anvil' },
        },
        403,
        'forbidden',
      );
      await expectError(
        { method: 'GET', url: `/v1/sessions/${theirs.id}/events?client_secret=${mine.client_secret}` },
        403,
        'forbidden',
      );
    });

    test('a forged client secret with the right session id answers 401', async () => {
      const s = await app.createSession();
      await expectError(
        { method: 'GET', url: `/v1/sessions/${s.id}`, headers: auth(`${s.id}_secret_forged123`) },
        401,
        'unauthorized',
      );
    });

    test(
      'an unknown session answers 404 to the merchant',
      rejects(
        () => ({ method: 'GET', url: '/v1/sessions/cs_doesnotexist', headers: auth(app.secretKey) }),
        404,
        'not_found',
      ),
    );

    test(
      'a malformed session id answers 404',
      rejects(
        () => ({ method: 'GET', url: '/v1/sessions/..%2Fetc', headers: auth(app.secretKey) }),
        404,
        'not_found',
      ),
    );
  });

  describe('bad input answers 4xx with a code and writes nothing', () => {
    const create = (payload: unknown, headers: Record<string, string> = {}) =>
      call({
        method: 'POST',
        url: '/v1/sessions',
        headers: { ...auth(app.secretKey), 'content-type': 'application/json', ...headers },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const cases: [string, unknown, number, string][] = [
      ['amount as a float number', { amount: 49.99, currency: 'USD' }, 400, 'invalid_request'],
      ['negative amount', { amount: '-1', currency: 'USD' }, 400, 'invalid_request'],
      ['zero amount', { amount: '0.00', currency: 'USD' }, 400, 'invalid_request'],
      ['three decimals in USD', { amount: '1.001', currency: 'USD' }, 400, 'invalid_request'],
      ['amount with exponent', { amount: '1e3', currency: 'USD' }, 400, 'invalid_request'],
      ['missing currency', { amount: '1' }, 400, 'invalid_request'],
      ['unknown currency', { amount: '1', currency: 'XXX' }, 400, 'currency_not_supported'],
      ['unknown field', { amount: '1', currency: 'USD', amout: '2' }, 400, 'invalid_request'],
      [
        'unknown method',
        { amount: '1', currency: 'USD', methods: ['doge@anvil'] },
        400,
        'method_not_available',
      ],
      [
        'malformed method',
        { amount: '1', currency: 'USD', methods: ['USDC on anvil'] },
        400,
        'invalid_request',
      ],
      ['expires_in too short', { amount: '1', currency: 'USD', expires_in: 5 }, 400, 'invalid_request'],
      [
        'javascript: success_url',
        { amount: '1', currency: 'USD', success_url: 'javascript:alert(1)' },
        400,
        'invalid_request',
      ],
      ['metadata not an object', { amount: '1', currency: 'USD', metadata: [1] }, 400, 'invalid_request'],
      [
        'metadata over 4 KB',
        { amount: '1', currency: 'USD', metadata: { big: 'x'.repeat(5000) } },
        400,
        'invalid_request',
      ],
      ['body not an object', [1, 2], 400, 'invalid_request'],
      ['invalid JSON', '{"amount": "1",', 400, 'invalid_json'],
    ];
    for (const [name, payload, status, code] of cases) {
      test(`${name} → ${status} ${code}`, async () => {
        const before = await app.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
        const response = await create(payload);
        assert.equal(response.statusCode, status, response.body);
        assert.equal((response.json() as ErrorBody).error.code, code, response.body);
        const afterCount = await app.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
        assert.equal(afterCount.rows[0]!.n, before.rows[0]!.n);
      });
    }

    test('invalid_request lists the failing fields', async () => {
      const response = await create({ amount: 'abc', currency: 'USD' });
      const body = response.json() as ErrorBody;
      assert.equal(body.error.issues?.[0]?.path, 'amount');
    });

    test('a non-JSON content type → 415 unsupported_media_type', async () => {
      const response = await create('amount=1', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(response.statusCode, 415);
      assert.equal((response.json() as ErrorBody).error.code, 'unsupported_media_type');
    });

    test('a body over 64 KB → 413 payload_too_large', async () => {
      const response = await create({ amount: '1', currency: 'USD', order_id: 'x'.repeat(70_000) });
      assert.equal(response.statusCode, 413);
      assert.equal((response.json() as ErrorBody).error.code, 'payload_too_large');
    });

    test('an empty body on choosing a method → 400', async () => {
      const s = await app.createSession();
      const response = await call({
        method: 'POST',
        url: `/v1/sessions/${s.id}/payment`,
        headers: auth(s.client_secret),
      });
      assert.equal(response.statusCode, 400, response.body);
    });

    test(
      'an unknown route → 404 not_found',
      rejects(() => ({ method: 'GET', url: '/v2/nothing' }), 404, 'not_found'),
    );
  });
});

describe('expiry', () => {
  test('an expired session refuses a method choice with 409 session_not_open and turns expired', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const app = await buildTestApp({}, { clock: () => now });
    try {
      const s = await app.createSession({ expires_in: 60 });
      now = new Date(now.getTime() + 61_000);
      const response = await app.server.inject({
        method: 'POST',
        url: `/v1/sessions/${s.id}/payment`,
        headers: { authorization: `Bearer ${s.client_secret}` },
        payload: { method: 'usdc@anvil' },
      });
      assert.equal(response.statusCode, 409);
      assert.equal((response.json() as ErrorBody).error.code, 'session_not_open');
      assert.equal(await app.sessions.expireDue(), 1);
      const bundle = await app.sessions.load(s.id);
      assert.equal(bundle!.session.status, 'expired');
      assert.equal((await app.store.latestEvent(s.id))!.type, 'session.expired');
    } finally {
      await app.close();
    }
  });
});

describe('logging', () => {
  test('secret keys and client secrets never reach the logs', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    const app = await buildTestApp({}, { logger: teeLogger('trace', sink) });
    try {
      const s = await app.createSession();
      await app.server.inject({
        method: 'GET',
        url: `/v1/sessions/${s.id}`,
        headers: { authorization: `Bearer ${s.client_secret}` },
      });
      await app.server.inject({
        method: 'GET',
        url: `/v1/sessions/cs_nope/events?client_secret=${s.client_secret}`,
      });
      assert.ok(logs.includes('/v1/sessions'), 'requests were logged');
      assert.equal(logs.includes(app.secretKey), false, 'secret key leaked into logs');
      assert.equal(logs.includes(s.client_secret), false, 'client secret leaked into logs');
    } finally {
      await app.close();
    }
  });
});

describe('test mode and live mode', () => {
  let app: TestApp;
  const liveKey = `sk_live_${'L'.repeat(32)}`;
  before(async () => {
    app = await buildTestApp({ secret_keys: [`sk_test_${'T'.repeat(32)}`, liveKey] });
  });
  after(() => app.close());

  test('a live key creates live sessions that a test key cannot see, and the reverse', async () => {
    const testKey = app.config.secret_keys[0]!;
    const create = (key: string) =>
      app.server.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: `Bearer ${key}` },
        payload: { amount: '5.00', currency: 'USD' },
      });
    const live = (await create(liveKey)).json() as Session;
    const test = (await create(testKey)).json() as Session;
    assert.equal(live.livemode, true);
    assert.equal(test.livemode, false);
    const read = (id: string, key: string) =>
      app.server.inject({ url: `/v1/sessions/${id}`, headers: { authorization: `Bearer ${key}` } });
    assert.equal((await read(live.id, liveKey)).statusCode, 200);
    // Valid keys, of the other mode: 403.
    assert.equal((await read(live.id, testKey)).statusCode, 403);
    assert.equal((await read(test.id, liveKey)).statusCode, 403);
    // The buyer's client secret reads its own session in either mode.
    assert.equal((await read(live.id, live.client_secret)).statusCode, 200);
  });
});
