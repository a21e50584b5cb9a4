/**
 * Choosing a payment method (`POST /v1/sessions/:id/payment`) on PGlite and PostgreSQL: how many SQL
 * statements one call costs (counted by a wrapper around the database, not timed), that every
 * choice gets its own derivation index and address under concurrency, and that a choice made on a
 * session that changed after it was read is checked again under the row lock.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { BuyerSession, Session } from '@crypto-checkout/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { deriveDepositAddress, parseXpub } from '../../packages/server/src/chain/evm/derive-address.js';
import type { Database, Queryable } from '../../packages/server/src/store/database.js';
import { testConfig, testSecretBox } from '../support/app.js';
import { pgliteBackend, postgresBackend, testOn } from '../support/backends.js';
import { testLogger } from '../support/logs.js';
import { testMerchantWallet, testSecretKey } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

/** A database that counts the statements sent through it, `BEGIN` and `COMMIT` included. */
function counting(db: Database): Database & { statements: string[] } {
  const statements: string[] = [];
  const counted = (q: Queryable): Queryable => ({
    query: (sql, params, options) => {
      statements.push(sql);
      return q.query(sql, params, options);
    },
    exec: (sql) => {
      statements.push(sql);
      return q.exec(sql);
    },
  });
  return {
    kind: db.kind,
    statements,
    ...counted(db),
    transaction: (fn) => {
      statements.push('BEGIN');
      return db.transaction((tx) => fn(counted(tx))).finally(() => statements.push('COMMIT'));
    },
    listen: (channel, onNotify, onReconnect) => db.listen(channel, onNotify, onReconnect),
    close: () => db.close(),
  };
}

/** The most statements one choice may cost, authentication and answer included (issue 13). */
const MAX_STATEMENTS = 6;

for (const backend of [pgliteBackend(), postgresBackend()]) {
  describe(`choosing a method on ${backend.name}`, () => {
    const it = testOn(backend);
    const secretKey = testSecretKey();
    const wallet = testMerchantWallet();
    let db: Database & { statements: string[] };
    let app: App;

    before(async () => {
      if (backend.unavailable) return;
      await backend.setup();
      const raw = await backend.migrated();
      db = counting(raw);
      app = await buildApp({
        config: testConfig({ secret_keys: [secretKey], xpub: wallet.xpub }),
        db,
        secrets: testSecretBox,
        logger: testLogger(),
        checkResponses: true,
      });
    });
    after(async () => {
      await app?.server.close();
      await backend.cleanup();
    });

    const create = async (): Promise<Session> => {
      const response = await app.server.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: `Bearer ${secretKey}` },
        payload: { amount: '12.34', currency: 'USD' },
      });
      assert.equal(response.statusCode, 201, response.body);
      return response.json();
    };
    const choose = (session: Session, method = 'usdc@anvil') =>
      app.server.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/payment`,
        headers: { authorization: `Bearer ${session.client_secret}` },
        payload: { method },
      });

    it(`costs at most ${MAX_STATEMENTS} statements, authentication included, and holds no lock`, async () => {
      const session = await create();
      db.statements.length = 0;
      const response = await choose(session);
      assert.equal(response.statusCode, 200, response.body);
      const statements = [...db.statements];
      assert.ok(
        statements.length <= MAX_STATEMENTS,
        `${statements.length} statements:\n${statements.join('\n---\n')}`,
      );
      // No transaction and no row lock: the address was derived before the one write.
      assert.ok(!statements.some((sql) => sql === 'BEGIN' || /FOR UPDATE/.test(sql)), statements.join('\n'));
      const body = response.json() as BuyerSession;
      assert.equal(body.payment?.id, 'usdc@anvil');

      // Choosing the same method again answers the same instructions and writes nothing.
      db.statements.length = 0;
      const again = await choose(session);
      assert.equal(again.statusCode, 200);
      assert.equal((again.json() as BuyerSession).payment?.address, body.payment?.address);
      assert.ok(db.statements.length <= MAX_STATEMENTS);
      assert.ok(
        !db.statements.some((sql) => /^\s*(WITH|INSERT|UPDATE)/i.test(sql)),
        db.statements.join('\n'),
      );

      // Once the derivation pool holds addresses, a choice is the session's read and the one write.
      await waitFor(() => app.sessions.addresses.held('anvil') > 0, 10_000, 'a filled derivation pool');
      const next = await create();
      db.statements.length = 0;
      assert.equal((await choose(next)).statusCode, 200);
      assert.equal(db.statements.length, 2, db.statements.join('\n---\n'));
    });

    it('gives concurrent choices distinct indexes and addresses, each the child of its index', async () => {
      const sessions = await Promise.all(Array.from({ length: 24 }, create));
      const answers = await Promise.all(sessions.map((s) => choose(s)));
      for (const answer of answers) assert.equal(answer.statusCode, 200, answer.body);
      const { rows } = await db.query<{ derivation_index: string; address: string }>(
        'SELECT derivation_index::text AS derivation_index, address FROM deposits WHERE session_id = ANY($1::text[])',
        [sessions.map((s) => s.id)],
      );
      assert.equal(rows.length, sessions.length);
      assert.equal(new Set(rows.map((r) => r.derivation_index)).size, sessions.length);
      assert.equal(new Set(rows.map((r) => r.address)).size, sessions.length);
      const root = parseXpub(wallet.xpub);
      for (const row of rows)
        assert.equal(row.address, deriveDepositAddress(root, Number(row.derivation_index)));
    });

    it('lets one of several concurrent choices of one session win; the same method answers the same address', async () => {
      const session = await create();
      const same = await Promise.all(Array.from({ length: 6 }, () => choose(session)));
      for (const answer of same) assert.equal(answer.statusCode, 200, answer.body);
      assert.equal(new Set(same.map((a) => (a.json() as BuyerSession).payment?.address)).size, 1);
      const { rows } = await db.query('SELECT 1 FROM deposits WHERE session_id = $1', [session.id]);
      assert.equal(rows.length, 1);
      const events = await db.query<{ type: string }>(
        'SELECT type FROM session_events WHERE session_id = $1 ORDER BY seq',
        [session.id],
      );
      assert.deepEqual(
        events.rows.map((e) => e.type),
        ['session.open', 'session.updated'],
      );

      const other = await create();
      const mixed = await Promise.all([choose(other, 'usdc@anvil'), choose(other, 'eth@anvil')]);
      assert.deepEqual(mixed.map((a) => a.statusCode).sort(), [200, 409]);
    });

    it('checks a choice again under the lock when the session changed after it was read', async () => {
      // Read, then changed by someone else (canceled) before the choice writes: the stale read must
      // not win; the locked path sees the cancel.
      const canceled = await create();
      const stale = await app.sessions.load(canceled.id);
      const cancel = await app.server.inject({
        method: 'POST',
        url: `/v1/sessions/${canceled.id}/cancel`,
        headers: { authorization: `Bearer ${secretKey}` },
      });
      assert.equal(cancel.statusCode, 200, cancel.body);
      await assert.rejects(
        app.sessions.choosePayment(canceled.id, 'usdc@anvil', { loaded: stale! }),
        (error: Error) => error.name === 'SessionNotOpenError',
      );
      const { rows } = await db.query('SELECT 1 FROM deposits WHERE session_id = $1', [canceled.id]);
      assert.equal(rows.length, 0);

      // Read, then the same method chosen by another request: the stale choice answers that address.
      const chosen = await create();
      const before = await app.sessions.load(chosen.id);
      const first = await app.sessions.choosePayment(chosen.id, 'usdc@anvil');
      const second = await app.sessions.choosePayment(chosen.id, 'usdc@anvil', { loaded: before! });
      assert.equal(second.payment?.address, first.payment?.address);
    });
  });
}
