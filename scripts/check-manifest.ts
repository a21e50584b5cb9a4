/**
 * Fails when custom-elements.json is not what the analyzer makes from the current source: it writes a
 * fresh manifest to a temp dir with the same configuration and compares it with the committed file.
 *
 *   npm run manifest:check
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const COMMITTED = 'custom-elements.json';
const cli = createRequire(import.meta.url).resolve('@custom-elements-manifest/analyzer/cem.js');
const dir = mkdtempSync(join(tmpdir(), 'cem-check-'));

try {
  // The analyzer joins --outdir to the working directory, so it must be relative.
  const result = spawnSync(
    process.execPath,
    [cli, 'analyze', '--litelement', '--quiet', '--outdir', relative(process.cwd(), dir)],
    { stdio: 'inherit' },
  );
  const fresh = join(dir, 'custom-elements.json');
  if (result.status !== 0 || !existsSync(fresh)) {
    console.error('The custom elements manifest analyzer failed; see its output above.');
    process.exit(1);
  }
  if (!existsSync(COMMITTED)) {
    console.error(`${COMMITTED} is missing: run npm run manifest`);
    process.exit(1);
  }
  if (readFileSync(fresh, 'utf8') !== readFileSync(COMMITTED, 'utf8')) {
    console.error(`${COMMITTED} is out of date: run npm run manifest`);
    process.exit(1);
  }
  console.log(`${COMMITTED} is up to date.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
