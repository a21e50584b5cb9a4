/**
 * The merchant page: sign-in with a secret key that the browser then never holds (an HttpOnly,
 * SameSite=Strict cookie with a server-side token), balances and the review queue, approve buttons
 * that work only with the page's CSRF token, from the page's origin, for another key than the
 * payout's requester, and a session that ends when its key is revoked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { payoutWebhookPayloadSchema, type Payout } from '@crypto-checkout/protocol';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import { buildTestApp, type TestApp } from '../support/app.js';

describe('the merchant page', () => {
  let app: TestApp;
  let waiting: Payout;

  const login = async (key: string) => {
    const response = await app.server.inject({
      method: 'POST',
      url: '/merchant/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${encodeURIComponent(key)}`,
    });
    assert.equal(response.statusCode, 303, response.body);
    const cookie = String(response.headers['set-cookie']);
    assert.match(
      cookie,
      /^cc_merchant=[A-Za-z0-9_-]+; Path=\/merchant; HttpOnly; SameSite=Strict; Max-Age=1800$/,
    );
    return cookie.split(';')[0]!;
  };
  const page = (cookie?: string) =>
    app.server.inject({ method: 'GET', url: '/merchant', headers: cookie ? { cookie } : {} });
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const act = (cookie: string, id: string, verb: string, form: string, origin?: string) =>
    app.server.inject({
      method: 'POST',
      url: `/merchant/payouts/${id}/${verb}`,
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        ...(origin ? { origin, host: 'localhost:80' } : {}),
      },
      payload: form,
    });

  before(async () => {
    app = await buildTestApp();
    const endpoint = await app.server.inject({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers: { authorization: `Bearer ${app.secretKey}` },
      payload: { url: 'https://example.com/hook', events: ['payout.needs_approval', 'payout.approved'] },
    });
    assert.equal(endpoint.statusCode, 201, endpoint.body);
    const { ledger } = app.treasury;
    await ledger.transaction((tx) =>
      ledger.recordSweep(tx, {
        livemode: false,
        asset: 'usdc@anvil',
        from: privateKeyToAccount(generatePrivateKey()).address,
        to: privateKeyToAccount(generatePrivateKey()).address,
        amount_atomic: 2_000_000_000n,
        tx_hash: `0x${randomBytes(32).toString('hex')}`,
        log_index: 0,
        at: new Date(),
      }),
    );
    const created = await app.server.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: { authorization: `Bearer ${app.secretKey}` },
      payload: {
        payouts: [
          {
            destination: privateKeyToAccount(generatePrivateKey()).address,
            asset: 'usdc@anvil',
            amount: '600',
          },
          {
            destination: privateKeyToAccount(generatePrivateKey()).address,
            asset: 'usdc@anvil',
            amount: '1',
          },
        ],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    waiting = (created.json() as { data: Payout[] }).data[0]!;
    assert.equal(waiting.status, 'needs_approval');
  });
  after(async () => {
    await app?.close();
  });

  test('without a session it shows the sign-in form, and a wrong key is refused', async () => {
    const form = await page();
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<form method="post" action="\/merchant\/login">/);
    assert.match(String(form.headers['content-security-policy']), /default-src 'none'/);
    assert.doesNotMatch(String(form.headers['content-security-policy']), /script-src/);
    assert.equal(form.headers['x-frame-options'], 'DENY');
    const wrong = await app.server.inject({
      method: 'POST',
      url: '/merchant/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'key=sk_test_000000000000000000000000000000000000000000000000',
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal(
      (await page('cc_merchant=made-up-token-aaaaaaaaaaaaaaaa')).body.includes('action="/merchant/login"'),
      true,
    );
  });

  test('the requester sees balances and the review queue, but no approve button for its own payout', async () => {
    const cookie = await login(app.secretKey);
    const html = (await page(cookie)).body;
    // Received 0, in deposit addresses −2,000 (the test records a sweep without the receipts behind
    // it), in treasury 2,000, pending 601, available 1,399.
    assert.match(
      html,
      /<td>usdc@anvil<\/td><td>0<\/td><td>-2000<\/td><td>2000<\/td><td>601<\/td><td>1399<\/td>/,
    );
    assert.ok(html.includes(waiting.id));
    assert.ok(!html.includes(`/merchant/payouts/${waiting.id}/approve`));
    assert.ok(html.includes(`/merchant/payouts/${waiting.id}/cancel`));
    assert.ok(!html.includes(app.secretKey), 'the page never shows the key');
  });

  test('another key approves from the page only with the CSRF token and from the same origin', async () => {
    const { key, record } = await createApiKey(app.apiKeys, { mode: 'test', scopes: ['approve'] });
    const cookie = await login(key);
    const html = (await page(cookie)).body;
    assert.ok(html.includes(`action="/merchant/payouts/${waiting.id}/approve"`));
    const csrf = csrfOf(html);

    assert.equal((await act(cookie, waiting.id, 'approve', '')).statusCode, 403, 'no CSRF token');
    assert.equal(
      (await act(cookie, waiting.id, 'approve', 'csrf=wrong')).statusCode,
      403,
      'a wrong CSRF token',
    );
    assert.equal(
      (await act(cookie, waiting.id, 'approve', `csrf=${csrf}`, 'https://evil.example')).statusCode,
      403,
      'another origin',
    );
    const done = await act(cookie, waiting.id, 'approve', `csrf=${csrf}`);
    assert.equal(done.statusCode, 303);
    assert.match(String(done.headers.location), /^\/merchant\?msg=/);
    const payout = await app.server.inject({
      method: 'GET',
      url: `/v1/payouts/${waiting.id}`,
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    assert.equal((payout.json() as Payout).status, 'approved');
    assert.equal((payout.json() as Payout).approved_by, record.id);

    // Each status change queued its signed webhook (the outbox), for the endpoint that takes it.
    const events = await app.server.inject({
      method: 'GET',
      url: '/v1/webhook_events?limit=100',
      headers: { authorization: `Bearer ${app.secretKey}` },
    });
    const list = (events.json() as { data: { type: string; payload: unknown; deliveries: unknown[] }[] })
      .data;
    const about = list
      .map((e) => ({ ...payoutWebhookPayloadSchema.parse(e.payload), deliveries: e.deliveries.length }))
      .filter((e) => e.data.id === waiting.id)
      .map((e) => [e.type, e.data.status, e.deliveries]);
    assert.deepEqual(about.reverse(), [
      ['payout.requested', 'requested', 0],
      ['payout.needs_approval', 'needs_approval', 1],
      ['payout.approved', 'approved', 1],
    ]);

    // Revoking the key ends its page session at the next request.
    await app.apiKeys.revoke(record.id, new Date());
    assert.ok((await page(cookie)).body.includes('action="/merchant/login"'));
  });

  test("a key's scopes bound it on every route, sessions included", async () => {
    const session = await app.createSession();
    const { key: reader } = await createApiKey(app.apiKeys, { mode: 'test', scopes: ['read'] });
    const as = (method: 'GET' | 'POST', url: string, payload?: object) =>
      app.server.inject({
        method,
        url,
        headers: { authorization: `Bearer ${reader}` },
        ...(payload ? { payload } : {}),
      });
    assert.equal((await as('GET', `/v1/sessions/${session.id}`)).statusCode, 200);
    assert.equal((await as('GET', '/v1/balances')).statusCode, 200);
    assert.equal((await as('POST', `/v1/sessions/${session.id}/cancel`)).statusCode, 403);
    assert.equal((await as('POST', '/v1/sessions', { amount: '1.00', currency: 'USD' })).statusCode, 403);
    assert.equal((await as('POST', `/v1/payouts/${waiting.id}/cancel`)).statusCode, 403);
  });
});
