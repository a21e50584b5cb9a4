// The PGlite template that fresh installs start from (packages/server/src/store/pglite-template.ts).
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPglite } from '../../packages/server/src/store/database.js';
import { MIGRATIONS, migrate } from '../../packages/server/src/store/migrations.js';
import { TEMPLATE_DIR, unpackTemplate } from '../../packages/server/src/store/pglite-template.js';
import { buildIfStale } from '../support/built.js';

describe('PGlite template', { timeout: 120_000 }, () => {
  let scratch: string;
  before(async () => {
    await buildIfStale();
    scratch = await mkdtemp(join(tmpdir(), 'cc-template-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  test('a fresh data folder starts from the template: every migration already applied, and it reopens', async () => {
    const dir = join(scratch, 'fresh');
    assert.equal(await unpackTemplate(dir), true);
    const db = await openPglite(dir);
    try {
      const { rows } = await db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        rows.map((row) => row.version),
        MIGRATIONS.map((m) => m.version),
      );
      assert.deepEqual(await migrate(db), [], 'nothing left to migrate');
      await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, $1, now())', [
        'probe',
      ]);
    } finally {
      await db.close();
    }
    const again = await openPglite(dir);
    try {
      const { rows } = await again.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM schema_migrations WHERE version = 9999',
      );
      assert.equal(rows[0]!.n, 1, 'what was written is still there after a reopen');
    } finally {
      await again.close();
    }
  });

  test('a folder that holds anything is never overwritten', async () => {
    const dir = join(scratch, 'used');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'keep.txt'), 'mine');
    assert.equal(await unpackTemplate(dir), false);
    assert.deepEqual(await readdir(dir), ['keep.txt']);
  });

  test('a template of another PGlite version or other migrations is skipped, and PGlite creates the folder itself', async () => {
    for (const field of ['pglite', 'schema'] as const) {
      const template = join(scratch, `template-${field}`);
      await cp(TEMPLATE_DIR, template, { recursive: true });
      const meta = JSON.parse(await readFile(join(template, 'meta.json'), 'utf8')) as Record<string, unknown>;
      meta[field] = 'something else';
      await writeFile(join(template, 'meta.json'), JSON.stringify(meta));
      const dir = join(scratch, `skipped-${field}`);
      assert.equal(await unpackTemplate(dir, template), false);
      await assert.rejects(readdir(dir), { code: 'ENOENT' });
    }
  });
});
