/**
 * PGlite starts with the settings that keep its idle memory down (issue 13): `shared_buffers` of
 * {@link PGLITE_SHARED_BUFFERS} instead of PostgreSQL's 128 MB, which lived in its WebAssembly memory.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPglite, PGLITE_SHARED_BUFFERS } from '../../packages/server/src/store/database.js';

test('PGlite runs with the smaller shared_buffers, and the defaults PGlite needs are kept', async () => {
  const db = await openPglite('memory://');
  try {
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
