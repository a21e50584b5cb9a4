/**
 * Where the server package's own files are (its `package.json`, `pglite-template/`,
 * `checkout-assets/`), found from this module's URL. This file sits one folder below the package root
 * in every form the server runs in — `src/package-root.ts` under tsx, `dist/package-root.js` from tsc,
 * and inlined into one of the bundle's files directly in `dist/` (scripts/bundle-server.mjs) — so
 * `../` is the package root in all three; files deeper in the tree would not be.
 * @module
 */
import { fileURLToPath } from 'node:url';

/** The package root as a `file:` URL ending in `/`. */
export const PACKAGE_ROOT_URL = new URL('../', import.meta.url);

/** The path of `relative` (e.g. `pglite-template/`) inside the package. */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(relative, PACKAGE_ROOT_URL));
}
