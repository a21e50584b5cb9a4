/**
 * The merchant page: sign-in with a secret key that the browser then never holds (an HttpOnly,
 * SameSite=Strict cookie with a server-side token), balances and the review queue, approve buttons
 * that work only with the page's CSRF token, from the page's origin, for another key than the
 * payout's requester, and a session that ends when its key is revoked; the sweeps of every rail and
 * the deposit spends waiting for review, escaped, in the key's mode only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { payoutWebhookPayloadSchema, type Payout } from '@crypto-checkout/protocol';
import { createApiKey } from '../../packages/server/src/keys/secret-key.js';
import { FAKE_USDC, buildTestApp, type TestApp } from '../support/app.js';

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

  test('it lists the sweeps of every rail and the deposit spends for review, escaped, in its mode only', async () => {
    const db = app.store.db;
    /** A session of the test key with its deposit address (`livemode` rewritten for the other mode). */
    const deposit = async (livemode = false) => {
      const session = await app.createSession({ methods: ['usdc@anvil'] });
      await app.sessions.choosePayment(session.id, 'usdc@anvil');
      if (livemode) await db.query('UPDATE sessions SET livemode = true WHERE id = $1', [session.id]);
      const { rows } = await db.query<{ address: string; derivation_index: string | number }>(
        'SELECT address, derivation_index FROM deposits WHERE session_id = $1',
        [session.id],
      );
      return { session: session.id, address: rows[0]!.address, index: Number(rows[0]!.derivation_index) };
    };
    const hash = () => `0x${randomBytes(32).toString('hex')}`;
    const treasury = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
    const insert = async (row: {
      tx: string;
      at: { address: string; index: number };
      status: string;
      planned: bigint;
      amount: bigint | null;
      relayer: string;
      raw: string;
      block: number | null;
      review?: string;
      to?: string;
    }) =>
      db.query(
        `INSERT INTO sweeps (chain_id, tx_hash, address, derivation_index, token_symbol, token_address,
           treasury_address, planned_atomic, amount_atomic, status, batch_deposits, block_number,
           relayer_address, nonce, raw_tx, created_at, updated_at, review_reason)
         VALUES (31337, $1, $2, $3, 'USDC', $4, $5, $6, $7, $8, 1, $9, $10, 0, $11, now(), now(), $12)`,
        [
          row.tx,
          row.at.address.toLowerCase(),
          row.at.index,
          FAKE_USDC,
          row.to ?? treasury,
          row.planned.toString(),
          row.amount?.toString() ?? null,
          row.status,
          row.block,
          row.relayer,
          row.raw,
          row.review ?? null,
        ],
      );
    const [a, b, c, live] = [await deposit(), await deposit(), await deposit(), await deposit(true)];
    const forwarder = hash();
    const adopted = hash();
    const flagged = hash();
    const other = hash();
    const relayer = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
    await insert({
      tx: forwarder,
      at: a,
      status: 'pending',
      planned: 1_500_000n,
      amount: null,
      relayer,
      raw: '0x02ab',
      block: null,
    });
    await insert({
      tx: adopted,
      at: b,
      status: 'confirmed',
      planned: 0n,
      amount: 2_250_000n,
      relayer,
      raw: '0x',
      block: 42,
    });
    await insert({
      tx: flagged,
      at: c,
      status: 'needs_review',
      planned: 7_000_000n,
      amount: null,
      relayer: '',
      raw: '00',
      block: 43,
      review: 'deposit coins sent outside the treasury: 6999000 to <script>alert(1)</script>',
      to: '<b>elsewhere</b>',
    });
    await insert({
      tx: other,
      at: live,
      status: 'confirmed',
      planned: 0n,
      amount: 9_000_000n,
      relayer,
      raw: '0x',
      block: 44,
    });

    const html = (await page(await login(app.secretKey))).body;
    const section = (title: string) => {
      const start = html.indexOf(`<h2>${title}`);
      assert.ok(start >= 0, title);
      return html.slice(start, html.indexOf('</table>', start));
    };
    const review = section('Deposit spends for review (1)');
    assert.ok(
      review.includes(flagged) && review.includes(c.address.toLowerCase()) && review.includes(c.session),
    );
    assert.ok(review.includes('<td>7 usdc@anvil</td>'));
    assert.ok(review.includes('6999000 to &lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!html.includes('<script>') && !html.includes('<b>elsewhere'), 'everything escaped');
    const recent = section('Recent sweeps');
    const rowOf = (tx: string) => {
      const start = recent.indexOf(`<tr><td><code>${tx}`);
      assert.ok(start >= 0, tx);
      return recent.slice(start, recent.indexOf('</tr>', start));
    };
    assert.match(
      rowOf(forwarder),
      /<td>anvil<\/td><td>forwarder<\/td><td>submitted<\/td><td>1<\/td><td>1.5 usdc@anvil<\/td>/,
    );
    assert.match(
      rowOf(adopted),
      /<td>adopted<\/td><td>confirmed<\/td><td>1<\/td><td>2.25 usdc@anvil<\/td>.*<td>42<\/td>/,
    );
    assert.match(rowOf(flagged), /<td>utxo<\/td><td>needs_review<\/td>/);
    assert.ok(!html.includes(other), 'a live-mode sweep is not on the test-mode page');
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
