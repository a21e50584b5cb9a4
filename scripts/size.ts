/**
 * Prints the gzip size (level 9) of what a page downloads for the element: the initial script (the
 * entry plus the chunks it imports statically) against a 20 KB budget, and each lazily loaded chunk
 * separately. Exits 1 when the initial script is over budget. Reads the Vite manifest in dist/ and
 * runs `vite build` first when there is none.
 *
 *   npm run size
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Budget for the initial script, gzip. 1 KB = 1000 bytes, as Vite prints sizes. */
const BUDGET_BYTES = 20_000;
const DIST = 'dist';
const MANIFEST = join(DIST, '.vite', 'manifest.json');

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

if (!existsSync(MANIFEST)) {
  console.log(`${MANIFEST} not found; running vite build…`);
  const { build } = await import('vite');
  await build({ logLevel: 'warn' });
}

const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, ManifestChunk>;
const entryKey = Object.keys(manifest).find((key) => manifest[key]!.isEntry);
if (!entryKey) {
  console.error(`No entry chunk in ${MANIFEST}; is build.manifest set in vite.config.ts?`);
  process.exit(1);
}

const gzipSize = (file: string) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

/** Keys of the chunk and every chunk it imports statically, transitively. */
function staticClosure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key]!.imports ?? []) staticClosure(imported, seen);
  return seen;
}

const initial = staticClosure(entryKey);
let initialBytes = 0;
console.log('initial script (loaded by the page):');
for (const key of initial) {
  const bytes = gzipSize(manifest[key]!.file);
  initialBytes += bytes;
  console.log(`  ${manifest[key]!.file.padEnd(32)} ${kb(bytes)} gzip`);
}

// Lazy chunks: everything reachable through dynamic imports that the initial script does not hold.
const lazy = new Set<string>();
const queue = [...initial].flatMap((key) => manifest[key]!.dynamicImports ?? []);
while (queue.length) {
  const key = queue.shift()!;
  for (const member of staticClosure(key)) {
    if (initial.has(member) || lazy.has(member)) continue;
    lazy.add(member);
    queue.push(...(manifest[member]!.dynamicImports ?? []));
  }
}
if (lazy.size) console.log('lazily loaded chunks (each fetched on demand):');
for (const key of lazy) {
  console.log(`  ${manifest[key]!.file.padEnd(32)} ${kb(gzipSize(manifest[key]!.file))} gzip  (${key})`);
}

const ok = initialBytes <= BUDGET_BYTES;
console.log(`initial: ${kb(initialBytes)} gzip (budget ${BUDGET_BYTES / 1000} KB) ${ok ? 'OK' : 'OVER'}`);
if (!ok) process.exit(1);
