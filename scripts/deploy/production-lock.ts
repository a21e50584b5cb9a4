/**
 * The lock of a project that installs some of this repository's published packages from their
 * `npm pack` tarballs: the subset of package-lock.json that those packages reach through their
 * production dependencies, at the very versions CI tested, relocated where npm puts them in the new
 * project. `npm ci` on it needs no registry (npm's cache answers by integrity) and installs exactly
 * what a user's install would, and nothing of the repository's devDependencies.
 * Used by the server's container build (assemble-server.ts) and the packed-install tests
 * (test/support/packed.ts), so both install the same way.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The published packages: where each lives in this repository. */
export const PACKAGES = {
  'crypto-checkout': '',
  '@crypto-checkout/protocol': 'packages/protocol',
  '@crypto-checkout/webhooks': 'packages/webhooks',
  '@crypto-checkout/server': 'packages/server',
} as const;

/** A published package's name. */
export type PackageName = keyof typeof PACKAGES;

/** A lock entry (package-lock.json v3 `packages[location]`). */
export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** What a project installing `names` from tarballs needs. */
export interface ProductionLock {
  /** `package.json` of the project: the tarballs as its dependencies. */
  manifest: { name: string; private: true; type: 'module'; dependencies: Record<string, string> };
  /** `package-lock.json` of the project. */
  lock: { name: string; lockfileVersion: 3; requires: true; packages: Record<string, LockEntry> };
  /**
   * Every package a published package brings with it (its production dependencies, transitively,
   * not counting our other packages' own files), as `name@version`, sorted.
   */
  dependencies: Record<PackageName, string[]>;
  /** Where each published package and its dependencies lie in the project (lock locations). */
  locations: Record<PackageName, string[]>;
  /** The repository's lock entry of each dependency, by `name@version` (its `engines` among others). */
  entries: Map<string, LockEntry>;
}

/** Where `dep` resolves from the lock location `from`, by Node's walk up the node_modules folders. */
function resolveIn(packages: Record<string, LockEntry>, from: string, dep: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = `${at ? `${at}/` : ''}node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!at) return undefined;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut === -1 ? '' : at.slice(0, cut);
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

/** The package name of a lock location (`…/node_modules/@scope/name` → `@scope/name`). */
const nameAt = (location: string, entry: LockEntry) =>
  entry.name ?? location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * The project that installs `names`, each from the tarball `tarballs[name]` (a file name beside the
 * project's package.json), with this repository's (`repo`) locked versions of their dependencies.
 */
export async function productionLock(
  repo: string,
  names: PackageName[],
  tarballs: Partial<Record<PackageName, { filename: string; integrity: string }>>,
  projectName: string,
): Promise<ProductionLock> {
  const source = (
    JSON.parse(await readFile(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    }
  ).packages;
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
  const locations = {} as Record<PackageName, string[]>;
  const entries = new Map<string, LockEntry>();
  for (const name of names) {
    const location = PACKAGES[name];
    const seen = new Set<string>();
    const visited = new Set<string>([location]);
    const queue: string[] = [location];
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
    locations[name] = [`node_modules/${name}`, ...[...seen].map(relocate)];
    dependencies[name] = [...seen].map((at) => `${nameAt(at, source[at]!)}@${source[at]!.version}`).sort();
    for (const at of seen) {
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = source[at]!;
      const depName = nameAt(at, entry);
      entries.set(`${depName}@${entry.version}`, source[at]!);
      // This repository's lock leaves `resolved` out; without it npm asks the registry for the
      // package's metadata to find the tarball. Its standard URL lets the cache answer by integrity.
      entry.resolved ??= `https://registry.npmjs.org/${depName}/-/${depName.split('/').pop()}-${entry.version}.tgz`;
      project[relocate(at)] = entry;
    }
  }
  const tarball = (name: PackageName) => {
    const packed = tarballs[name];
    if (!packed) throw new Error(`no tarball of ${name}`);
    return packed;
  };
  const manifest = {
    name: projectName,
    private: true as const,
    type: 'module' as const,
    dependencies: Object.fromEntries(names.map((name) => [name, `file:${tarball(name).filename}`])),
  };
  for (const name of names) {
    const pkg = JSON.parse(await readFile(join(repo, PACKAGES[name], 'package.json'), 'utf8')) as LockEntry;
    project[`node_modules/${name}`] = {
      version: pkg.version,
      resolved: `file:${tarball(name).filename}`,
      integrity: tarball(name).integrity,
      ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
      ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies } : {}),
      ...(pkg.peerDependenciesMeta ? { peerDependenciesMeta: pkg.peerDependenciesMeta } : {}),
      ...(pkg.bin ? { bin: pkg.bin } : {}),
      ...(pkg.engines ? { engines: pkg.engines } : {}),
    };
  }
  return {
    manifest,
    lock: {
      name: projectName,
      lockfileVersion: 3,
      requires: true,
      packages: { '': manifest, ...project },
    },
    dependencies,
    locations,
    entries,
  };
}
