/**
 * Every lookup the app makes by key, and the list and search queries, are answered from an index,
 * never by reading a whole table: with a million sessions (docs/performance.md → Large stores) a
 * sequential scan is what would break the p99. The statements are captured from the real store
 * methods and EXPLAINed with `enable_seqscan = off`, on PGlite and on PostgreSQL: a plan that still
 * holds a `Seq Scan` then has no index to use. (The list plans at a realistic row count, with the
 * planner's statistics, are checked in session-search.test.ts; bench/large-store.ts times them at
 * 1,000,000 rows.)
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Database, Queryable } from '../../packages/server/src/store/database.js';
import { SessionStore, type SessionQuery } from '../../packages/server/src/store/session-store.js';
import { SweepStore } from '../../packages/server/src/store/sweep-store.js';
import { testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { insertOpenPayments } from '../support/bulk.js';

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`indexes on ${backend.name}`, () => {
    let db: Database;
    const it = testOn(backend);

    before(async () => {
      await backend.setup();
      if (backend.unavailable) return;
      db = await backend.migrated();
      await insertOpenPayments(db, { count: 50, chainId: 31337, tokenAddress: null });
    });
    after(() => backend.cleanup());

    /** The statements `work` runs through the store, each with its parameters. */
    async function statementsOf(work: (store: SessionStore) => Promise<unknown>) {
      const seen: { sql: string; params: unknown[] | undefined }[] = [];
      const recording: Queryable = {
        query: (sql, params) => {
          seen.push({ sql, params });
          return db.query(sql, params);
        },
        exec: (sql) => db.exec(sql),
      };
      await work(new SessionStore({ ...db, ...recording } as Database, testSecretBox));
      assert.ok(seen.length > 0, 'the work ran no statement');
      return seen;
    }

    /**
     * Asserts that every statement of `work` is planned without a sequential scan (and, with `index`,
     * that the plan names that index: another index walked whole would hide a missing one).
     */
    async function usesIndexes(
      what: string,
      work: (store: SessionStore) => Promise<unknown>,
      index?: RegExp,
    ) {
      for (const { sql, params } of await statementsOf(work)) {
        // chain_cursors has one row per configured chain: reading it whole is the right plan.
        if (/^SELECT [^;]* FROM chain_cursors$/.test(sql.trim())) continue;
        const plan = await db.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off');
          const { rows } = await tx.query<Record<string, string>>(`EXPLAIN ${sql}`, params);
          return rows.map((row) => Object.values(row)[0]).join('\n');
        });
        // …also inside a larger statement (a session is loaded with the cursors in one round trip).
        const scans = plan.replace(/^.*Seq Scan on chain_cursors.*$/gm, '');
        assert.doesNotMatch(scans, /Seq Scan/, `${what}: ${sql}\n${plan}`);
        assert.match(plan, /Index (Only )?Scan|Bitmap Index Scan/, `${what}: ${sql}\n${plan}`);
        if (index) assert.match(plan, index, `${what}: ${sql}\n${plan}`);
      }
    }

    it("the merchant page's sweep lists use indexes", async () => {
      const seen: { sql: string; params: unknown[] | undefined }[] = [];
      const recording = {
        ...db,
        query: (sql: string, params?: unknown[]) => {
          seen.push({ sql, params });
          return db.query(sql, params);
        },
      } as Database;
      // With the planner's statistics (the 50 deposits of one chain): the chain's index alone would
      // read them all to compare each lower-cased address.
      await db.query('ANALYZE deposits');
      await db.query('ANALYZE abandoned_deposits');
      const store = new SweepStore(recording);
      await store.listForMode(false, { status: 'needs_review', limit: 100 });
      await store.listForMode(true, { limit: 500 });
      assert.equal(seen.length, 2);
      for (const { sql, params } of seen) {
        const plan = await db.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off');
          const { rows } = await tx.query<Record<string, string>>(`EXPLAIN ${sql}`, params);
          return rows.map((row) => Object.values(row)[0]).join('\n');
        });
        assert.doesNotMatch(plan, /Seq Scan/, `${sql}\n${plan}`);
        assert.match(plan, /deposits_chain_lower_address/, plan);
      }
    });

    it('the lookups of one session, its secret, its events and its chain data use indexes', async () => {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM sessions LIMIT 1');
      const id = rows[0]!.id;
      await usesIndexes('load a session with its deposit and transfers', (s) => s.loadBundle(s.db, id));
      await usesIndexes('a client secret', (s) => s.clientSecretOf(id));
      await usesIndexes('events after a sequence number', (s) => s.eventsAfter(id, 0));
      await usesIndexes('the latest event', (s) => s.latestEvent(id));
      await usesIndexes('deposits to watch', (s) => s.depositsToWatch(0, [3, 4], new Date()));
      await usesIndexes('the newest deposit numbers', (s) => s.recentWatchSeqs(10_000));
      await usesIndexes('sessions past their expiry', (s) => s.sessionsPastExpiry(new Date()));
      await usesIndexes('a chain cursor', (s) => s.getCursor(s.db, 31337));
      await usesIndexes('a stored block hash', (s) => s.blockHash(31337, 5));
    });

    it('the list and search queries and the loading of a page use indexes', async () => {
      const cursor = { created_us: String(Date.now() * 1000), id: 'cs_zzz' };
      const queries: SessionQuery[] = [
        { livemode: false },
        { livemode: false, order_id: 'P-10' },
        { livemode: false, statuses: ['open'] },
        { livemode: false, statuses: ['open', 'paid'] },
        { livemode: false, review: true },
        { livemode: true, created_gte: new Date(0), created_lt: new Date() },
        { livemode: false, method: 'usdc@bulk' },
        { livemode: false, token: 'usdc' },
      ];
      await usesIndexes(
        'the lookup by order_id',
        (s) => s.listSessions({ livemode: false, order_id: 'P-10' }, { limit: 21 }),
        /sessions_mode_order_created|sessions_order_id/,
      );
      for (const query of queries) {
        await usesIndexes(`list ${JSON.stringify(query)}`, (s) => s.listSessions(query, { limit: 21 }));
        await usesIndexes(`list ${JSON.stringify(query)} after a cursor`, (s) =>
          s.listSessions(query, { limit: 21, after: cursor }),
        );
      }
      await usesIndexes('a page of sessions with their deposits and transfers', async (s) =>
        s.loadBundles(
          s.db,
          (await s.listSessions({ livemode: false }, { limit: 21 })).map((r) => r.session),
        ),
      );
    });
  });
}
