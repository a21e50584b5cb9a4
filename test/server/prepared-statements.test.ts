/**
 * Prepared statements on PGlite (`QueryOptions.prepared`, `store/database.ts`): the hot statements of
 * a choice run as named prepared statements, sent in one call, and must answer exactly what PGlite's
 * own `query` answers — the same rows and values, the same errors, the same notifications.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPglite, type Database } from '../../packages/server/src/store/database.js';

/** A fresh in-memory PGlite with one table of the types the store's statements bind and read. */
async function withTable(run: (db: Database) => Promise<void>): Promise<void> {
  const db = await openPglite('memory://');
  try {
    await db.exec(
      'CREATE TABLE t (id text PRIMARY KEY, at timestamptz, doc jsonb, amount numeric, n bigint, note text)',
    );
    await run(db);
  } finally {
    await db.close();
  }
}

const INSERT = `INSERT INTO t (id, at, doc, amount, n, note)
  VALUES ($1, $2::timestamptz, $3::jsonb, $4::numeric, $5::bigint, $6::text)
  RETURNING id, at, doc, amount, n::text AS n, note`;
const SELECT = 'SELECT id, at, doc, amount, n::text AS n, note FROM t WHERE id = ANY($1::text[]) ORDER BY id';

test('a prepared statement answers the rows and values query answers, run after run', async () => {
  await withTable(async (db) => {
    const at = new Date('2026-12-05T22:00:00.123Z');
    const row = (id: string, note: string | null) => [
      id,
      at,
      JSON.stringify({ a: [1, 'x'] }),
      '49.99',
      7n,
      note,
    ];
    const plain = await db.query(INSERT, row('a', 'plain'));
    const first = await db.query(INSERT, row('b', null), { prepared: true });
    const again = await db.query(INSERT, row('c', 'again'), { prepared: true });
    assert.deepEqual({ ...first.rows[0], id: 'a', note: 'plain' }, plain.rows[0]);
    assert.deepEqual({ ...again.rows[0], id: 'a', note: 'plain' }, plain.rows[0]);
    assert.ok(plain.rows[0]!.at instanceof Date);
    assert.deepEqual(plain.rows[0]!.doc, { a: [1, 'x'] });

    const ids = [['a', 'c', 'missing'], ['b'], []];
    for (const list of ids) {
      assert.deepEqual(
        (await db.query(SELECT, [list], { prepared: true })).rows,
        (await db.query(SELECT, [list])).rows,
      );
    }
  });
});

test('a failing prepared statement rejects with the database error and the connection keeps working', async () => {
  await withTable(async (db) => {
    const row = (id: string) => [id, new Date(), '{}', '1', 1n, null];
    await db.query(INSERT, row('a'), { prepared: true });
    const plain = await db.query(INSERT, row('a')).catch((error: unknown) => error);
    await assert.rejects(db.query(INSERT, row('a'), { prepared: true }), (error: Record<string, unknown>) => {
      // The same error as query's: the code, the constraint and the statement's text, never its values.
      assert.equal(error.code, '23505');
      for (const field of ['code', 'constraint', 'table', 'query', 'params']) {
        assert.equal(error[field], (plain as Record<string, unknown>)[field], field);
      }
      return true;
    });
    await assert.rejects(
      db.query('SELECT no_such_column FROM t', [], { prepared: true }),
      (error: { code?: string }) => {
        assert.equal(error.code, '42703'); // undefined_column
        return true;
      },
    );
    // Neither failure left a transaction aborted or a statement half sent.
    await db.query(INSERT, row('b'), { prepared: true });
    assert.deepEqual(
      (await db.query(SELECT, [['a', 'b']], { prepared: true })).rows.map((r) => r.id),
      ['a', 'b'],
    );
  });
});

test('a prepared statement that notifies reaches the listeners, as a plain query does', async () => {
  await withTable(async (db) => {
    const heard: string[] = [];
    const stop = await db.listen('prepared_test', (payload) => heard.push(payload));
    await db.query("SELECT pg_notify('prepared_test', $1::text)", ['one'], { prepared: true });
    await db.query("SELECT pg_notify('prepared_test', $1::text)", ['two'], { prepared: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard, ['one', 'two']);
    await stop();
  });
});
