/**
 * Assembles the self-contained folder the server's container image runs: packs the server and the two
 * workspace packages it depends on (protocol, webhooks), then installs the tarballs into `<out>` with
 * `npm ci --omit=dev` on a lock cut from this repository's (production-lock.ts), so `<out>` holds the
 * compiled server and its production dependencies at the versions CI tested, and nothing else: no
 * sources, no TypeScript, no build or test tool. Run by build-server.sh (the Dockerfile's build stage
 * and test/packages/deploy.test.ts); needs a built workspace (`npm run build`).
 *
 * Usage: tsx scripts/deploy/assemble-server.ts <out> [--offline]
 * `--offline` installs from npm's cache only (the test; the image's build stage has just filled it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { productionLock, type PackageName } from './production-lock.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** What the server needs of ours: itself and the workspace packages it imports. */
const NAMES: PackageName[] = [
  '@crypto-checkout/protocol',
  '@crypto-checkout/webhooks',
  '@crypto-checkout/server',
];

const [outArg, ...flags] = process.argv.slice(2);
if (!outArg || flags.some((flag) => flag !== '--offline')) {
  console.error('usage: tsx scripts/deploy/assemble-server.ts <out> [--offline]');
  process.exit(64);
}
const out = resolve(outArg);
if (existsSync(out) && (await readdir(out)).length > 0) {
  console.error(`assemble-server: ${out} is not empty`);
  process.exit(1);
}
if (!existsSync(join(REPO, 'packages/server/dist/main.js'))) {
  console.error('assemble-server: packages/server/dist is missing; run npm run build first');
  process.exit(1);
}
await mkdir(out, { recursive: true });

const packed = JSON.parse(
  (
    await run(
      'npm',
      ['pack', '--json', ...NAMES.flatMap((name) => ['-w', name]), '--pack-destination', out],
      { cwd: REPO, maxBuffer: 64 * 1024 * 1024 },
    )
  ).stdout,
) as { name: PackageName; filename: string; integrity: string }[];
const tarballs = Object.fromEntries(packed.map((info) => [info.name, info]));
const { manifest, lock } = await productionLock(REPO, NAMES, tarballs, 'crypto-checkout-server-image');
await writeFile(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
await writeFile(join(out, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
// No install scripts: none of the server's dependencies needs one, and none then runs code at build time.
await run(
  'npm',
  [
    'ci',
    '--omit=dev',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    ...(flags.includes('--offline') ? ['--offline'] : ['--prefer-offline']),
  ],
  {
    cwd: out,
    maxBuffer: 64 * 1024 * 1024,
    // Not this repository's workspaces, nor a loader the caller runs under.
    env: { ...process.env, npm_config_workspaces: undefined, NODE_OPTIONS: '' },
  },
);
// The tarballs are installed; the image needs only node_modules and the manifest that names them.
await Promise.all(packed.map((info) => rm(join(out, info.filename))));
console.log(`assemble-server: ${NAMES.join(', ')} and their production dependencies in ${out}`);
