/**
 * The build the tests run against where they test what ships: the compiled server
 * (packages/server/dist) that operators start with `node`, and the element's dist/. `npm test` builds
 * before the suites; a file run alone builds first if any output is older than its sources.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository's root folder. */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

const SOURCES = ['src', 'packages/protocol/src', 'packages/webhooks/src', 'packages/server/src'];
const OUTPUTS = [
  'dist/crypto-checkout.js',
  'dist/node/crypto-checkout.js',
  'dist/react.js',
  'dist/types/element/index.d.ts',
  'packages/protocol/dist/index.js',
  'packages/webhooks/dist/index.js',
  'packages/server/dist/main.js',
  'packages/server/dist/cli.js',
  'packages/server/checkout-assets/hosted-page.js',
  'packages/server/pglite-template/data.tar.gz',
];

/** The newest modification time of the files under `dir`, recursively. */
export function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  );
}

let building: Promise<void> | undefined;

/** Runs `npm run build` (once per process) unless every output exists and is newer than every source. */
export function buildIfStale(): Promise<void> {
  building ??= (async () => {
    const sources = Math.max(...SOURCES.map((dir) => newest(join(REPO, dir))));
    const fresh = OUTPUTS.every(
      (file) => existsSync(join(REPO, file)) && statSync(join(REPO, file)).mtimeMs >= sources,
    );
    if (!fresh) {
      await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
    }
  })();
  return building;
}

/** The compiled server's entry points, as `node` runs them: `main` (the backend) and `cli`. */
export async function serverEntry(name: 'main' | 'cli'): Promise<string> {
  await buildIfStale();
  return join(REPO, 'packages/server/dist', `${name}.js`);
}
