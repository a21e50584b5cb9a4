/**
 * The four published packages as a user gets them: `npm pack`ed, then installed into a fresh project
 * with `npm ci --offline` from npm's local cache. The project's lock is the subset of this repository's
 * package-lock.json that the packed packages reach through their production dependencies (the same
 * versions CI tested with), so the install needs no registry and brings exactly what a user's would.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGES, productionLock, type PackageName } from '../../scripts/deploy/production-lock.js';
import { buildIfStale, REPO } from './built.js';

const run = promisify(execFile);

export { PACKAGES, type PackageName };

/** What `npm pack --json` says of one tarball. */
export interface PackInfo {
  name: PackageName;
  filename: string;
  /** The tarball's size in bytes. */
  size: number;
  /** Its files' size in bytes, unpacked. */
  unpackedSize: number;
  entryCount: number;
  integrity: string;
  files: { path: string }[];
}

/** The installed project. */
export interface PackedProject {
  /** The project's folder: `node_modules/` holds the four packages and their dependencies. */
  dir: string;
  packs: Record<PackageName, PackInfo>;
  /**
   * Every package a published package brings with it (its production dependencies, transitively,
   * not counting our other packages' own files), as `name@version`, sorted.
   */
  dependencies: Record<PackageName, string[]>;
  /** Bytes on disk that installing the package brings: its own files and every dependency's. */
  installSize: Record<PackageName, number>;
  /** Deletes the project. */
  remove(): Promise<void>;
}

/** Packs the four packages and installs them, offline, into a new temporary project. */
export async function installPacked(): Promise<PackedProject> {
  await buildIfStale();
  const dir = await mkdtemp(join(tmpdir(), 'cc-packed-'));
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--workspaces', '--include-workspace-root', '--pack-destination', dir],
    { cwd: REPO, maxBuffer: 64 * 1024 * 1024 },
  );
  const packs = Object.fromEntries(
    (JSON.parse(stdout) as PackInfo[]).map((info) => [info.name, info]),
  ) as Record<PackageName, PackInfo>;

  const { manifest, lock, dependencies, locations } = await productionLock(
    REPO,
    Object.keys(PACKAGES) as PackageName[],
    packs,
    'packed-install-test',
  );
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_workspaces: undefined, NODE_OPTIONS: '' },
  });
  const installSize = Object.fromEntries(
    await Promise.all(
      Object.entries(locations).map(async ([name, where]) => [
        name,
        (await Promise.all(where.map((at) => diskSize(join(dir, at))))).reduce((a, b) => a + b, 0),
      ]),
    ),
  ) as Record<PackageName, number>;
  return { dir, packs, dependencies, installSize, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The size of a package folder's files, not counting the packages nested in its `node_modules`. */
async function diskSize(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(folder, entry.name);
    total += entry.isDirectory() ? await diskSize(path) : (await stat(path)).size;
  }
  return total;
}
