// Part of the package's build, after tsc: makes pglite-template/ (see src/store/pglite-template.ts),
// a PGlite data folder with every migration applied, which fresh installs start from.
import { wrapPglite } from '../dist/store/database.js';
import { migrate } from '../dist/store/migrations.js';
import { makeTemplate } from '../dist/store/pglite-template.js';

// The archive keeps the files' modes: make them its user's only (0600, folders 0700), as the server's own are.
process.umask(0o077);
const started = performance.now();
const { bytes } = await makeTemplate((pglite) => migrate(wrapPglite(pglite)));
console.log(
  `make-pglite-template: pglite-template/data.tar.gz, ${(bytes / 1024 / 1024).toFixed(1)} MB, in ${Math.round(performance.now() - started)} ms`,
);
