/**
 * A PGlite data folder made once, at build time, so that a fresh install starts in a fraction of the
 * time: PGlite's own first start runs initdb inside WebAssembly (≈ 3 s here), while unpacking this
 * template (initdb'd and migrated, ≈ 4.5 MB gzip) with the system's tar (node-tar where there is none)
 * and opening it takes about half that.
 * A template from another PGlite version or other migrations is never used: the folder is then made
 * the slow way, by PGlite itself.
 * @module
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { packagePath } from '../package-root.js';
import { MIGRATIONS } from './migrations.js';
import { pgliteDir } from './pglite-wasm.js';

/** Where the build writes the template: `pglite-template/` beside `dist/` and `src/`. */
export const TEMPLATE_DIR = packagePath('pglite-template/');
const ARCHIVE = 'data.tar.gz';
const META = 'meta.json';

/** What the template was made with. */
interface TemplateMeta {
  /** The `@electric-sql/pglite` version that made it. */
  pglite: string;
  /** The migrations already applied in it. */
  migrations: number[];
  /** {@link schemaHash} of the migrations it was made with. */
  schema: string;
}

/**
 * A digest of every migration's version and SQL: a template made before a migration changed (in
 * development) is not used, rather than hand out a schema that differs from what the code expects.
 */
export function schemaHash(): string {
  const hash = createHash('sha256');
  for (const { version, sql } of MIGRATIONS) hash.update(`${version}\0${sql}\0`);
  return hash.digest('hex');
}

/** The installed PGlite's version. */
export function pgliteVersion(): string {
  return (JSON.parse(readFileSync(join(pgliteDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The template's archive as a `Blob` for PGlite's `loadDataDir` (an in-memory database started
 * from it skips initdb: faster, and without initdb's WebAssembly instance in memory), or `null`
 * when there is no template or it was made by another PGlite or other migrations.
 */
export async function templateArchive(templateDir = TEMPLATE_DIR): Promise<Blob | null> {
  const archive = join(templateDir, ARCHIVE);
  if (!existsSync(archive)) return null;
  try {
    const meta = JSON.parse(await readFile(join(templateDir, META), 'utf8')) as TemplateMeta;
    if (meta.pglite !== pgliteVersion() || meta.schema !== schemaHash()) return null;
    return new Blob([await readFile(archive)], { type: 'application/x-gzip' });
  } catch {
    return null;
  }
}

/** Whether `dataDir` holds no database yet (missing or empty), so a template may fill it. */
export function isFreshDataDir(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0;
}

/**
 * Fills the fresh folder `dataDir` from the template when there is one for this PGlite version.
 * Returns whether it did; on any failure the folder is emptied again and `false` returned, so the
 * caller lets PGlite create it as usual.
 */
export async function unpackTemplate(dataDir: string, templateDir = TEMPLATE_DIR): Promise<boolean> {
  const archive = join(templateDir, ARCHIVE);
  if (!existsSync(archive) || !isFreshDataDir(dataDir)) return false;
  try {
    const meta = JSON.parse(readFileSync(join(templateDir, META), 'utf8')) as TemplateMeta;
    if (meta.pglite !== pgliteVersion() || meta.schema !== schemaHash()) return false;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (!(await extractWithSystemTar(archive, dataDir))) {
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      // PGlite writes members with absolute names (/base/…); node-tar strips the leading / and
      // refuses '..'.
      // Loaded only here (and in makeTemplate): a start with the system's tar never loads node-tar.
      const { x: extractTar } = await import('tar');
      await extractTar({ file: archive, cwd: dataDir });
    }
    return true;
  } catch {
    await rm(dataDir, { recursive: true, force: true });
    return false;
  }
}

/**
 * Unpacks with the system's `tar` (GNU tar on Linux, bsdtar on macOS and Windows), in a process of its
 * own: about three times faster than node-tar for these thousand files, and it runs beside the loading
 * of the server's modules instead of on the same thread. Both tars strip the members' leading `/` and
 * refuse `..`; the archive is the one this package's build made. Resolves `false` when there is no
 * `tar` or it fails, and the caller falls back to node-tar.
 */
function extractWithSystemTar(archive: string, dataDir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('tar', ['-xzf', archive, '-C', dataDir], { stdio: 'ignore', windowsHide: true });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * Makes the template: a new PGlite in a scratch folder, `prepare` (the migrations) run on it, closed
 * cleanly (a checkpoint, so that opening a copy needs no recovery: about half the open time of a
 * running database's dump), and the folder packed as a gzipped tar. Run by the package's build
 * (`scripts/make-pglite-template.mjs`).
 */
export async function makeTemplate(
  prepare: (db: PGlite) => Promise<number[]>,
  templateDir = TEMPLATE_DIR,
): Promise<{ bytes: number }> {
  const scratch = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  try {
    const db = await PGlite.create(scratch);
    let migrations: number[];
    try {
      migrations = await prepare(db);
    } finally {
      await db.close();
    }
    await rm(templateDir, { recursive: true, force: true });
    await mkdir(templateDir, { recursive: true });
    const archive = join(templateDir, ARCHIVE);
    const { c: createTar } = await import('tar');
    await createTar(
      { file: archive, gzip: { level: 9 }, cwd: scratch, portable: true },
      await readdir(scratch),
    );
    const meta: TemplateMeta = { pglite: pgliteVersion(), migrations, schema: schemaHash() };
    await writeFile(join(templateDir, META), `${JSON.stringify(meta, null, 2)}\n`);
    return { bytes: (await stat(archive)).size };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
