// Part of the package's build, after tsc: bundles what `node dist/main.js` and the CLI
// (`dist/cli.js`) run into a few ES modules directly in dist/ — dist/main.js, dist/cli.js and their
// shared chunks dist/bundle-<hash>.js — replacing tsc's two entry files. Node then resolves, reads
// and compiles about 55 files at start-up instead of about 740 (the server's own ~200 and every
// dependency's): measured in docs/performance.md → Start-up. The library entry (`dist/index.js`,
// the package's `exports`) stays tsc's, module by module, for embedders and the tests.
//
// Left outside the bundle, loaded from node_modules as before: PGlite (it finds its WebAssembly and
// data files beside its own modules), and pg and tar, which only some starts load. Dynamic
// `import()`s stay split into chunks, so the port still opens before the rest of the server loads
// (main.ts, early-listener.ts) and chain families that are not configured are never loaded.
// The chunks sit in dist/ itself, not in a sub-folder: src/package-root.ts finds the package's own
// files (the PGlite template, checkout-assets/) one folder up from the module it is compiled into.
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
const started = performance.now();

// Chunks of an earlier build: their names change with their content.
for (const name of await readdir(dist)) {
  if (/^bundle-.*\.js(\.map)?$/.test(name)) await rm(`${dist}/${name}`);
}

const result = await build({
  absWorkingDir: root,
  // bundle-server.js: the server and database modules main.ts loads, as an entry of their own so
  // that bench/startup.ts can time importing them (its anchor); main.ts imports the same file.
  entryPoints: { main: 'src/main.ts', cli: 'src/cli.ts', 'bundle-server': 'src/server.ts' },
  outdir: 'dist',
  chunkNames: 'bundle-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // ES module builds of dependencies that ship both (jsonc-parser's CommonJS build is a UMD wrapper
  // that requires its own files at run time, which a bundle cannot).
  mainFields: ['module', 'main'],
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg', 'tar'],
  // CommonJS dependencies inside an ES module bundle call `require` (for Node's built-in modules).
  banner: {
    js: "import { createRequire as __ccCreateRequire } from 'node:module'; const require = __ccCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `bundle-server: dist/main.js, dist/cli.js and ${outputs.length - 2} more files, ${(bytes / 1024 / 1024).toFixed(1)} MB, in ${Math.round(performance.now() - started)} ms`,
);
