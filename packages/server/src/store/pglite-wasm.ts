/**
 * PGlite's WebAssembly (≈ 9 MB), compiled once per process on V8's background threads and shared by
 * every PGlite the process opens. Kept apart from PGlite's JavaScript (type imports only), so that
 * `main.ts` can start the compile first thing — before the configuration and the server's modules
 * load, which it then overlaps — without loading PGlite itself that early.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { PGliteOptions } from '@electric-sql/pglite';

/** What PGlite takes as its compiled WebAssembly. */
export type PGliteWasmModule = NonNullable<PGliteOptions['pgliteWasmModule']>;
// Node's global WebAssembly, which this package's libs (ES2023 and Node's types) leave undeclared.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<PGliteWasmModule> };

/** The folder of the installed PGlite's package.json. */
export function pgliteDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@electric-sql/pglite');
  // The package's own package.json, found from its entry (its exports do not list package.json).
  let dir = entry;
  for (;;) {
    const next = join(dir, '..');
    if (next === dir) throw new Error('cannot find @electric-sql/pglite/package.json');
    dir = next;
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (pkg.name === '@electric-sql/pglite') return dir;
    }
  }
}

let compiling: Promise<PGliteWasmModule | undefined> | undefined;

/**
 * PGlite's WebAssembly, compiled, for `PGlite.create(…, { pgliteWasmModule })`: the first call starts
 * the compile, later ones share it (a compiled module is instantiated as often as needed). Resolves
 * `undefined` when the file is not where this PGlite version keeps it (PGlite then compiles it
 * itself, as usual).
 */
export function compilePgliteWasm(): Promise<PGliteWasmModule | undefined> {
  compiling ??= (async () => {
    try {
      return await WebAssembly.compile(await readFile(join(pgliteDir(), 'dist', 'pglite.wasm')));
    } catch {
      return undefined;
    }
  })();
  return compiling;
}
