/**
 * Prints the gzip size (level 9) of what a page downloads for the element: the ES module's initial
 * script (the entry crypto-checkout.js plus the chunks it imports statically) against a 20 KB budget;
 * each lazily loaded chunk, labelled (QR, wallet, WalletConnect, `locale es`, …); the classic script
 * (crypto-checkout.classic.js); and the other entries in dist/ (hosted page, React wrapper, …). Exits 1
 * when the initial script is over budget. Reads the Vite manifest in dist/ and builds first (the ES
 * module, then the classic script) when there is none.
 *
 * With `--check` (`npm run size:check`, which `npm test` runs after the build) it measures the initial
 * script only, prints one line, and also fails when dist/ is older than what the ES build reads: a
 * stale build would pass the budget for code that is no longer there.
 *
 *   npm run size
 *   npm run size:check
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Budget for the ES module's initial script, gzip. 1 KB = 1000 bytes, as Vite prints sizes. */
const BUDGET_BYTES = 20_000;
const DIST = 'dist';
const MANIFEST = join(DIST, '.vite', 'manifest.json');
/** The element's ES entry and its classic-script build, by file name. */
const ENTRY_FILE = 'crypto-checkout.js';
const CLASSIC_FILE = 'crypto-checkout.classic.js';
/** What the ES build reads: a file here changed after the build means dist/ is stale. */
const SOURCES = ['src/element', 'packages/protocol/src', 'vite.config.ts', 'package-lock.json'];
const CHECK = process.argv.includes('--check');

interface ManifestChunk {
  file: string;
  src?: string;
  name?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

if (!existsSync(MANIFEST)) {
  console.log(`${MANIFEST} not found; running vite build…`);
  const { build } = await import('vite');
  await build({ logLevel: 'warn' });
  await build({ logLevel: 'warn', configFile: 'vite.classic.config.ts' });
}

/** Files under `path` (a file or a directory) changed after `time` (ms since the epoch). */
function newerThan(path: string, time: number): string[] {
  if (!existsSync(path)) return [];
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs > time ? [path] : [];
  return readdirSync(path).flatMap((name) => newerThan(join(path, name), time));
}

if (CHECK) {
  const newer = SOURCES.flatMap((path) => newerThan(path, statSync(MANIFEST).mtimeMs));
  if (newer.length) {
    console.error(
      `dist/ is older than ${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ', …' : ''}: ` +
        'run npm run build:element, then npm run size:check again.',
    );
    process.exit(1);
  }
}

const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, ManifestChunk>;
const entryKey = Object.keys(manifest).find(
  (key) => manifest[key]!.isEntry && manifest[key]!.file === ENTRY_FILE,
);
if (!entryKey) {
  console.error(`No entry ${ENTRY_FILE} in ${MANIFEST}; is build.manifest set in vite.config.ts?`);
  process.exit(1);
}

const gzipSize = (file: string) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`.padStart(9);
const row = (label: string, file: string, bytes: number) =>
  console.log(`  ${label.padEnd(16)} ${file.padEnd(36)} ${kb(bytes)} gzip`);

/** What a chunk is, in words: QR, wallet, WalletConnect, `locale es`, or its name. */
function label(chunk: ManifestChunk): string {
  const src = chunk.src ?? '';
  const locale = /\/locales\/([\w-]+)\.ts$/.exec(src);
  if (locale) return `locale ${locale[1]}`;
  if (src.endsWith('/qr.ts')) return 'QR';
  if (src.endsWith('/payment-extras.ts')) return 'payment extras';
  if (src.endsWith('/wallet/wallet-panel.ts')) return 'wallet';
  if (src.endsWith('/wallet/walletconnect-sdk.ts')) return 'WalletConnect';
  if (src.endsWith('/wallet/no-appkit.ts')) return 'WC modal stub';
  if (chunk.name === 'rolldown-runtime') return 'bundler runtime';
  return chunk.name ?? chunk.file;
}

/** Keys of the chunk and every chunk it imports statically, transitively. */
function staticClosure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key]!.imports ?? []) staticClosure(imported, seen);
  return seen;
}

/** Prints (unless `quiet`) the initial script of an entry, file by file, and returns its total. */
function printInitial(key: string, quiet = false): { keys: Set<string>; bytes: number } {
  const keys = staticClosure(key);
  let bytes = 0;
  for (const member of keys) {
    const size = gzipSize(manifest[member]!.file);
    bytes += size;
    if (quiet) continue;
    row(member === key ? 'entry' : `imports ${label(manifest[member]!)}`, manifest[member]!.file, size);
  }
  return { keys, bytes };
}

/** Says whether the initial script is within the budget, and exits 1 when it is not. */
function judge(bytes: number): void {
  const ok = bytes <= BUDGET_BYTES;
  console.log(
    `ES initial script: ${kb(bytes).trim()} gzip = ${bytes} bytes (budget ${BUDGET_BYTES}) ${ok ? 'OK' : 'OVER BUDGET'}`,
  );
  if (!ok) process.exit(1);
}

if (CHECK) {
  judge(printInitial(entryKey, true).bytes);
  process.exit(0);
}

console.log(`ES module (recommended), initial script loaded by the page:`);
const initial = printInitial(entryKey);

// Lazy chunks: everything reachable through dynamic imports that the initial script does not hold.
const lazy = new Set<string>();
const queue = [...initial.keys].flatMap((key) => manifest[key]!.dynamicImports ?? []);
while (queue.length) {
  const key = queue.shift()!;
  for (const member of staticClosure(key)) {
    if (initial.keys.has(member) || lazy.has(member)) continue;
    lazy.add(member);
    queue.push(...(manifest[member]!.dynamicImports ?? []));
  }
}
if (lazy.size) console.log('lazily loaded chunks (each fetched when a checkout needs it):');
// The element's own parts first, then the bundler's runtime, then the languages.
const rank = (key: string) => {
  const index = [
    'QR',
    'payment extras',
    'wallet',
    'WalletConnect',
    'WC modal stub',
    'bundler runtime',
  ].indexOf(label(manifest[key]!));
  return index < 0 ? 5 : index;
};
const byLabel = [...lazy].sort(
  (a, b) => rank(a) - rank(b) || label(manifest[a]!).localeCompare(label(manifest[b]!)),
);
for (const key of byLabel) row(label(manifest[key]!), manifest[key]!.file, gzipSize(manifest[key]!.file));

console.log('classic script (one <script src>, no modules):');
if (existsSync(join(DIST, CLASSIC_FILE))) {
  row('classic', CLASSIC_FILE, gzipSize(CLASSIC_FILE));
  console.log('  (QR, wallet and languages inside; WalletConnect imported from its ES chunk when offered)');
} else {
  console.log(`  ${CLASSIC_FILE} not built (vite build -c vite.classic.config.ts)`);
}

// Other entries of the ES build (the hosted page, …) and other builds' files (React wrapper, webhooks).
const others = Object.keys(manifest).filter((key) => manifest[key]!.isEntry && key !== entryKey);
const known = new Set(Object.values(manifest).map((chunk) => chunk.file));
const otherFiles = readdirSync(DIST).filter(
  (file) => file.endsWith('.js') && file !== CLASSIC_FILE && !known.has(file),
);
if (others.length || otherFiles.length) console.log('other entries in dist/:');
for (const key of others) {
  row(label(manifest[key]!), manifest[key]!.file, gzipSize(manifest[key]!.file));
  const imports = [...staticClosure(key)].filter((member) => member !== key);
  if (imports.length) {
    const bytes = imports.reduce((sum, member) => sum + gzipSize(manifest[member]!.file), 0);
    const files = imports.map((member) => manifest[member]!.file).join(', ');
    console.log(`  (and the ${kb(bytes).trim()} it imports: ${files})`);
  }
}
for (const file of otherFiles) {
  row(file === 'webhooks.js' ? 'webhooks (Node)' : file.replace(/\.js$/, ''), file, gzipSize(file));
}

judge(initial.bytes);
