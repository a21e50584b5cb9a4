import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { Database, Queryable } from '../../packages/server/src/store/database.js';
import {
  SessionStore,
  type DepositRecord,
  type SessionPosition,
  type SessionQuery,
  type SessionRecord,
} from '../../packages/server/src/store/session-store.js';
import { FAKE_USDC, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';

const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`;

/** Each test works in a year of its own, so that tests sharing a database do not see each other. */
let nextYear = 2001;
function window(): { at: (minute: number) => Date; query: Pick<SessionQuery, 'created_gte' | 'created_lt'> } {
  const year = (nextYear += 1);
  const start = Date.UTC(year, 0, 1);
  return {
    at: (minute) => new Date(start + minute * 60_000),
    query: { created_gte: new Date(start), created_lt: new Date(Date.UTC(year + 1, 0, 1)) },
  };
}

function sessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const id = `cs_${randomBytes(12).toString('hex')}`;
  const created = overrides.created_at ?? new Date();
  return {
    id,
    client_secret: `${id}_secret_${randomBytes(16).toString('hex')}`,
    status: 'open',
    amount: '10.00',
    currency: 'USD',
    order_id: null,
    metadata: {},
    methods: ['usdc@anvil', 'eth@anvil'],
    success_url: null,
    cancel_url: null,
    created_at: created,
    expires_at: new Date(created.getTime() + 30 * 60_000),
    paid_at: null,
    canceled_at: null,
    canceled_at_block: null,
    review_reasons: [],
    livemode: false,
    fingerprint: '',
    ...overrides,
  };
}

function depositRecord(
  session: SessionRecord,
  method: 'usdc@anvil' | 'eth@anvil',
  index: number,
): DepositRecord {
  const usdc = method === 'usdc@anvil';
  return {
    session_id: session.id,
    method,
    chain_id: 31337,
    token_symbol: usdc ? 'USDC' : 'ETH',
    token_address: usdc ? FAKE_USDC : null,
    decimals: usdc ? 6 : 18,
    address: hex(20),
    derivation_index: index,
    amount_due_atomic: 10_000_000n,
    amount_min_atomic: 10_000_000n,
    rate: '1',
    rate_sources: [],
    rate_locked_until: null,
    confirmations_required: 1,
    created_at: session.created_at,
    watch_until: session.expires_at,
  };
}

/** A database wrapper that counts the queries made through it. */
function counting(db: Database): { db: Database; count: () => number } {
  let queries = 0;
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      queries += 1;
      return q.query(sql, params);
    },
    exec: (sql) => q.exec(sql),
  });
  return {
    db: { ...db, ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) },
    count: () => queries,
  };
}

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`session search on ${backend.name}`, () => {
    let db: Database;
    let store: SessionStore;
    let nextIndex = 0;

    const it = testOn(backend);

    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
      store = new SessionStore(db, testSecretBox);
    });
    after(() => backend.cleanup());

    async function insert(overrides: Partial<SessionRecord>, method?: 'usdc@anvil' | 'eth@anvil') {
      const record = sessionRecord(overrides);
      await db.transaction(async (tx) => {
        await store.insertSession(tx, record);
        if (method) await store.insertDeposit(tx, depositRecord(record, method, (nextIndex += 1)));
      });
      return record;
    }

    /** Every page of `query`, `limit` at a time; `between` runs after each page. */
    async function walk(query: SessionQuery, limit: number, between: () => Promise<void> = async () => {}) {
      const ids: string[] = [];
      let after: SessionPosition | null = null;
      for (let pages = 0; pages < 100; pages += 1) {
        const rows = await store.listSessions(query, { limit, after });
        ids.push(...rows.map((row) => row.session.id));
        if (rows.length < limit) return ids;
        after = rows.at(-1)!.position;
        await between();
      }
      throw new Error('more than 100 pages');
    }

    it('lists newest first and filters by order id, status, review, dates, token and method, combined with AND', async () => {
      const w = window();
      const a = await insert({ created_at: w.at(1), order_id: 'A-1', status: 'paid' }, 'usdc@anvil');
      const b = await insert(
        { created_at: w.at(2), order_id: 'A-2', status: 'overpaid', review_reasons: ['overpayment'] },
        'usdc@anvil',
      );
      const c = await insert({ created_at: w.at(3), order_id: 'A-1', status: 'expired' }, 'eth@anvil');
      const d = await insert({ created_at: w.at(4), status: 'open' });
      const ids = async (query: Partial<SessionQuery>) =>
        (await store.listSessions({ livemode: false, ...w.query, ...query }, { limit: 50 })).map(
          (row) => row.session.id,
        );

      assert.deepEqual(await ids({}), [d.id, c.id, b.id, a.id]);
      assert.deepEqual(await ids({ order_id: 'A-1' }), [c.id, a.id]);
      assert.deepEqual(await ids({ order_id: 'A' }), [], 'order ids match exactly');
      assert.deepEqual(await ids({ statuses: ['paid'] }), [a.id]);
      assert.deepEqual(await ids({ statuses: ['paid', 'overpaid', 'open'] }), [d.id, b.id, a.id]);
      assert.deepEqual(await ids({ review: true }), [b.id]);
      assert.deepEqual(await ids({ review: false }), [d.id, c.id, a.id]);
      assert.deepEqual(await ids({ created_gte: w.at(2), created_lt: w.at(4) }), [c.id, b.id]);
      assert.deepEqual(await ids({ token: 'usdc' }), [b.id, a.id], 'token is case-insensitive');
      assert.deepEqual(await ids({ token: 'ETH' }), [c.id]);
      assert.deepEqual(await ids({ method: 'eth@anvil' }), [c.id]);
      assert.deepEqual(await ids({ token: 'USDC', statuses: ['paid', 'expired'], order_id: 'A-1' }), [a.id]);
      assert.deepEqual(await ids({ method: 'usdc@anvil', review: true, created_gte: w.at(2) }), [b.id]);
    });

    it('a key of one mode never lists the other mode', async () => {
      const w = window();
      const test1 = await insert({ created_at: w.at(1), order_id: 'M-1' });
      const live1 = await insert({ created_at: w.at(2), order_id: 'M-1', livemode: true });
      const list = async (livemode: boolean) =>
        (await store.listSessions({ livemode, ...w.query, order_id: 'M-1' }, { limit: 50 })).map(
          (row) => row.session.id,
        );
      assert.deepEqual(await list(false), [test1.id]);
      assert.deepEqual(await list(true), [live1.id]);
    });

    it('pages neither repeat nor skip sessions while new ones are created between pages', async () => {
      const w = window();
      const existing: SessionRecord[] = [];
      for (let i = 0; i < 7; i += 1) existing.push(await insert({ created_at: w.at(10 + i) }));
      // Two share a creation time to the microsecond: the id breaks the tie.
      existing.push(await insert({ created_at: w.at(5) }), await insert({ created_at: w.at(5) }));
      const expected = [...existing]
        .sort((x, y) => y.created_at.getTime() - x.created_at.getTime() || (y.id < x.id ? -1 : 1))
        .map((s) => s.id);
      let minute = 100;
      const created: string[] = [];
      const ids = await walk({ livemode: false, ...w.query }, 2, async () => {
        // Newer sessions arrive while the client pages (they belong before the first page).
        created.push((await insert({ created_at: w.at((minute += 1)) })).id);
      });
      assert.deepEqual(ids, expected);
      assert.equal(created.length, 4);
      assert.equal(new Set(ids).size, ids.length);
    });

    it('the cursor keeps the database precision: sessions microseconds apart are all listed', async () => {
      const w = window();
      const base = w.at(1);
      const records: SessionRecord[] = [];
      for (let i = 0; i < 4; i += 1) records.push(await insert({ created_at: base }));
      // Sessions written by another client (SQL now()) carry microseconds a JavaScript Date lacks.
      for (const [i, record] of records.entries()) {
        await db.query(
          `UPDATE sessions SET created_at = $2::timestamptz + $3::int * interval '1 microsecond' WHERE id = $1`,
          [record.id, base, (i + 1) * 100],
        );
      }
      const ids = await walk({ livemode: false, ...w.query }, 1);
      assert.deepEqual(ids, records.map((r) => r.id).reverse());
    });

    it('loads a page of bundles in a fixed number of queries, whatever the page size', async (t) => {
      const w = window();
      const sessions: SessionRecord[] = [];
      for (let i = 0; i < 30; i += 1) {
        sessions.push(await insert({ created_at: w.at(i) }, i % 2 ? 'usdc@anvil' : 'eth@anvil'));
      }
      await db.transaction((tx) =>
        store.recordBlocks(
          tx,
          31337,
          {
            transfers: sessions.slice(0, 3).flatMap((s, i) =>
              [1, 0].map((log) => ({
                chain_id: 31337,
                tx_hash: hex(32),
                log_index: log,
                session_id: s.id,
                address: hex(20),
                token_address: FAKE_USDC,
                token_symbol: 'USDC',
                decimals: 6,
                from_address: hex(20),
                amount_atomic: BigInt(i * 10 + log + 1),
                block_number: 50,
                block_hash: hex(32),
                block_time: new Date(),
                seen_at: new Date(),
              })),
            ),
            blocks: [],
            toBlock: 60,
            keepFrom: 0,
          },
          new Date(),
        ),
      );
      const { db: counted, count } = counting(db);
      const countedStore = new SessionStore(counted, testSecretBox);
      const queriesFor = async (limit: number) => {
        const start = count();
        const rows = await countedStore.listSessions({ livemode: false, ...w.query }, { limit });
        const bundles = await countedStore.loadBundles(
          counted,
          rows.map((row) => row.session),
        );
        return { queries: count() - start, bundles };
      };
      const small = await queriesFor(2);
      const large = await queriesFor(30);
      t.diagnostic(`queries per page: ${small.queries} for 2 sessions, ${large.queries} for 30`);
      assert.equal(large.queries, small.queries);
      assert.equal(large.queries, 4);
      assert.equal(large.bundles.length, 30);
      // Each bundle is what loadBundle gives for its session alone.
      for (const bundle of large.bundles) {
        assert.deepEqual(bundle, await store.loadBundle(db, bundle.session.id));
      }
      const oldest = large.bundles.at(-1)!;
      assert.equal(oldest.session.id, sessions[0]!.id);
      assert.deepEqual(
        oldest.transfers.map((tr) => [tr.log_index, tr.amount_atomic]),
        [
          [0, 1n],
          [1, 2n],
        ],
      );
    });

    it('with many sessions, the list queries walk the indexes of migration 5 rather than the tables', async () => {
      // 10k sessions over a year in both modes, a quarter with a deposit, 1% to review; then the
      // planner's statistics, so that it plans as it would in production.
      await db.query(
        `INSERT INTO sessions (id, client_secret, status, amount, currency, order_id, metadata, methods, created_at,
           expires_at, review_reasons, livemode, fingerprint)
         SELECT 'cs_plan' || i, 'cs_plan' || i || '_secret_x', CASE WHEN i % 50 = 0 THEN 'paid_late' ELSE (ARRAY['open','paid','expired','canceled'])[1 + i % 4] END,
           '10.00', 'USD', 'P-' || i, '{}', '[]', timestamptz '1990-01-01' + i * interval '1 hour',
           timestamptz '1990-01-01' + i * interval '1 hour' + interval '30 minutes',
           CASE WHEN i % 100 = 0 THEN '["overpayment"]'::jsonb ELSE '[]'::jsonb END, i % 2 = 0, ''
         FROM generate_series(1, 10000) AS i`,
      );
      await db.query(
        `INSERT INTO deposits (session_id, method, chain_id, token_symbol, token_address, decimals, address,
           derivation_index, amount_due_atomic, amount_min_atomic, rate, confirmations_required, created_at, watch_until)
         SELECT 'cs_plan' || i, CASE WHEN i % 8 = 0 THEN 'eth@anvil' ELSE 'usdc@anvil' END, 31337,
           CASE WHEN i % 8 = 0 THEN 'ETH' ELSE 'USDC' END, NULL, 6, '0x' || md5(i::text), 1000000 + i, 1, 1, '1', 1,
           now(), now()
         FROM generate_series(4, 10000, 4) AS i`,
      );
      await db.query('ANALYZE sessions');
      await db.query('ANALYZE deposits');
      const plan = async (query: SessionQuery, after?: SessionPosition) => {
        const explain: Queryable = {
          query: (sql, params) => db.query(`EXPLAIN ${sql}`, params),
          exec: (sql) => db.exec(sql),
        };
        const rows = (await new SessionStore({ ...db, ...explain }, testSecretBox).listSessions(query, {
          limit: 21,
          after,
        })) as unknown as { session: Record<string, string> }[];
        return rows.map((row) => Object.values(row.session)[0]).join('\n');
      };
      const usesIndex = async (query: SessionQuery, index: RegExp | null, after?: SessionPosition) => {
        const text = await plan(query, after);
        if (index) assert.match(text, index);
        assert.doesNotMatch(text, /Seq Scan on sessions/, text);
      };
      const cursor = { created_us: String(Date.UTC(1990, 5, 1) * 1000), id: 'cs_plan1' };
      await usesIndex({ livemode: true }, /sessions_mode_created/);
      await usesIndex({ livemode: true }, /sessions_mode_created/, cursor);
      await usesIndex({ livemode: true, statuses: ['paid_late'] }, /sessions_mode_status_created/, cursor);
      await usesIndex({ livemode: true, statuses: ['paid'] }, null, cursor);
      await usesIndex({ livemode: true, order_id: 'P-10' }, /sessions_mode_order_created|sessions_order_id/);
      await usesIndex({ livemode: true, review: true }, /sessions_mode_review_created/);
      await usesIndex({ livemode: true, statuses: ['paid', 'expired'] }, null);
      await usesIndex({ livemode: true, method: 'eth@anvil' }, null);
      await usesIndex({ livemode: true, token: 'eth' }, null);
      await usesIndex(
        {
          livemode: false,
          created_gte: new Date(Date.UTC(1990, 2, 1)),
          created_lt: new Date(Date.UTC(1990, 3, 1)),
        },
        /sessions_mode_created/,
      );
    });
  });
}
