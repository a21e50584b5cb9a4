/**
 * PGlite starts with the settings that keep its idle memory down (issue 13): `shared_buffers` of
 * {@link PGLITE_SHARED_BUFFERS} instead of PostgreSQL's 128 MB, which lived in its WebAssembly memory;
 * and an in-memory database the server opens starts from the build's template instead of initdb,
 * whose own WebAssembly instance held hundreds of MB (and took seconds).
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase, openPglite, PGLITE_SHARED_BUFFERS } from '../../packages/server/src/store/database.js';
import { MIGRATIONS } from '../../packages/server/src/store/migrations.js';
import { templateArchive } from '../../packages/server/src/store/pglite-template.js';

test('PGlite runs with the smaller shared_buffers, and the defaults PGlite needs are kept', async () => {
  const db = await openPglite('memory://');
  try {
    // Without `fromTemplate`, an in-memory database is empty (initdb): tests of the migrations need that.
    assert.equal(
      (await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t")).rows[0]!.t,
      null,
    );
    const setting = async (name: string) =>
      (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name];
    assert.equal(await setting('shared_buffers'), PGLITE_SHARED_BUFFERS);
    assert.notEqual(PGLITE_SHARED_BUFFERS, '128MB');
    // Still PGlite's own start parameters (replacing them, not adding to them, would lose these).
    assert.equal(await setting('max_worker_processes'), '0');
    assert.equal(await setting('search_path'), 'public');
  } finally {
    await db.close();
  }
});

test('the server starts an in-memory PGlite from the build template (migrated, no initdb); a plain open stays empty', async (t) => {
  const template = await templateArchive();
  if (!template) return t.skip('no PGlite template (made by `npm run build`)');
  const server = await openDatabase({ dataDir: 'memory://' });
  try {
    const { rows } = await server.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((row) => row.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal(
      (await server.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers,
      PGLITE_SHARED_BUFFERS,
    );
  } finally {
    await server.close();
  }
});
