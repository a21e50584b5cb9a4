/**
 * The four published packages as a user gets them: `npm pack`ed, then installed into a fresh project
 * with `npm ci --offline` from npm's local cache. The project's lock is the subset of this repository's
 * package-lock.json that the packed packages reach through their production dependencies (the same
 * versions CI tested with), so the install needs no registry and brings exactly what a user's would.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIfStale, REPO } from './built.js';

const run = promisify(execFile);

/** The published packages: where each lives in this repository. */
export const PACKAGES = {
  'crypto-checkout': '',
  '@crypto-checkout/protocol': 'packages/protocol',
  '@crypto-checkout/webhooks': 'packages/webhooks',
  '@crypto-checkout/server': 'packages/server',
} as const;

/** A published package's name. */
export type PackageName = keyof typeof PACKAGES;

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

/** A lock entry (package-lock.json v3 `packages[location]`). */
interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
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

/** Where `dep` resolves from the lock location `from`, by Node's walk up the node_modules folders. */
function resolveIn(packages: Record<string, LockEntry>, from: string, dep: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = `${at ? `${at}/` : ''}node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!at) return undefined;
    const cut = at.lastIndexOf('/node_modules/');
    at =
      cut === -1
        ? at.startsWith('node_modules/') || at.startsWith('packages/')
          ? ''
          : ''
        : at.slice(0, cut);
  }
}

/** The dependencies npm installs for an entry: regular, optional, and peers that are not optional. */
function requires(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter(
    (name) => !entry.peerDependenciesMeta?.[name]?.optional,
  );
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...peers,
  ];
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

  const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const source = lock.packages;
  const workspaceOf = new Map<string, PackageName>(
    Object.entries(PACKAGES).map(([name, location]) => [location, name as PackageName]),
  );
  /** A repository lock location → the same package's location in the new project. */
  const relocate = (location: string) => {
    const workspace = [...workspaceOf].find(([at]) => at && location.startsWith(`${at}/`));
    return workspace ? `node_modules/${workspace[1]}/${location.slice(workspace[0].length + 1)}` : location;
  };
  const project: Record<string, LockEntry> = {};
  const dependencies = {} as Record<PackageName, string[]>;
  const installed = {} as Record<PackageName, string[]>; // where each closure lies in the project
  for (const [name, location] of Object.entries(PACKAGES) as [PackageName, string][]) {
    const seen = new Set<string>();
    const visited = new Set<string>([location]);
    const queue = [location];
    while (queue.length) {
      const at = queue.shift()!;
      for (const dep of requires(source[at]!)) {
        let found = resolveIn(source, at, dep);
        if (found && source[found]!.link) found = source[found]!.resolved; // one of ours
        if (found === undefined)
          throw new Error(`${at || 'the root'} needs ${dep}, which the lock does not have`);
        if (visited.has(found)) continue;
        visited.add(found);
        queue.push(found);
        // One of ours comes from its own tarball: its dependencies count, the package itself does not.
        if (!workspaceOf.has(found)) seen.add(found);
      }
    }
    installed[name] = [`node_modules/${name}`, ...[...seen].map(relocate)];
    dependencies[name] = [...seen]
      .map(
        (at) =>
          `${at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${source[at]!.version}`,
      )
      .sort();
    for (const at of seen) {
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = source[at]!;
      // This repository's lock leaves `resolved` out; without it npm asks the registry for the
      // package's metadata to find the tarball. Its standard URL lets the cache answer by integrity.
      const name = entry.name ?? at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length);
      entry.resolved ??= `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
      project[relocate(at)] = entry;
    }
  }
  const tarball = (name: PackageName) => `file:${packs[name].filename}`;
  const manifest = {
    name: 'packed-install-test',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries(
      Object.keys(PACKAGES).map((name) => [name, tarball(name as PackageName)]),
    ),
  };
  for (const [name, location] of Object.entries(PACKAGES) as [PackageName, string][]) {
    const pkg = JSON.parse(await readFile(join(REPO, location, 'package.json'), 'utf8')) as LockEntry;
    project[`node_modules/${name}`] = {
      version: pkg.version,
      resolved: tarball(name),
      integrity: packs[name].integrity,
      ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
      ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies } : {}),
      ...(pkg.peerDependenciesMeta ? { peerDependenciesMeta: pkg.peerDependenciesMeta } : {}),
      ...(pkg.bin ? { bin: pkg.bin } : {}),
      ...(pkg.engines ? { engines: pkg.engines } : {}),
    };
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await writeFile(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      { name: manifest.name, lockfileVersion: 3, requires: true, packages: { '': manifest, ...project } },
      null,
      2,
    ),
  );
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_workspaces: undefined, NODE_OPTIONS: '' },
  });
  const installSize = Object.fromEntries(
    await Promise.all(
      Object.entries(installed).map(async ([name, locations]) => [
        name,
        (await Promise.all(locations.map((at) => diskSize(join(dir, at))))).reduce((a, b) => a + b, 0),
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
