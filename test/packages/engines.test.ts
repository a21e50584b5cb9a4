// Each package's `engines` tells the truth: the Node running these tests (CI's, which .ci/run prints)
// is one it admits, and every package it brings with it (package-lock.json, production dependencies
// only) admits every Node version it admits, or is listed below with the reason it runs there anyway.
// The repository's tooling says what it needs in `devEngines`, checked the same way against every
// package `npm ci` installs here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { satisfies, subset, validRange } from 'semver';
import {
  PACKAGES,
  productionLock,
  type LockEntry,
  type PackageName,
} from '../../scripts/deploy/production-lock.js';
import { REPO } from '../support/built.js';

/**
 * Dependencies whose `engines` ask for more than they need, with what they do need and why. Each is
 * held to the range given here instead: the packed-install and deploy tests run them on this Node.
 */
const EXCEPTIONS: Record<string, { needs: string; why: string }> = {
  // fastify → light-my-request (CommonJS) require()s cookie, an ES module: Node does that without a
  // flag from 20.19 and 22.12 (require(esm)), which is why the server's engines leave out 22.0–22.11.
  cookie: {
    needs: '^20.19.0 || >=22.12.0',
    why: 'an ES module loaded with require(esm); its engines say >=22 because its CI runs 22+',
  },
};

const manifest = (name: PackageName) =>
  JSON.parse(readFileSync(join(REPO, PACKAGES[name], 'package.json'), 'utf8')) as {
    engines: { node: string };
    devEngines?: { runtime: { name: string; version: string } };
  };

describe('engines', async () => {
  const names = Object.keys(PACKAGES) as PackageName[];
  const placeholder = { filename: 'unused.tgz', integrity: '' };
  const { dependencies, entries } = await productionLock(
    REPO,
    names,
    Object.fromEntries(names.map((name) => [name, placeholder])),
    'engines-test',
  );

  for (const name of names) {
    test(`${name}: this Node is admitted, and so is every Node it admits by each of its dependencies`, () => {
      const ours = manifest(name).engines.node;
      assert.ok(validRange(ours), ours);
      assert.ok(satisfies(process.version, ours), `${process.version} is not in ${name}'s ${ours}`);
      const wrong = dependencies[name]
        .map((dependency) => ({ dependency, entry: entries.get(dependency)! }))
        .filter(({ entry }) => entry.engines?.node)
        .filter(({ dependency, entry }) => {
          const exception = EXCEPTIONS[dependency.slice(0, dependency.lastIndexOf('@'))];
          return !subset(ours, exception?.needs ?? entry.engines!.node!);
        })
        .map(({ dependency, entry }) => `${dependency} wants ${entry.engines!.node}`);
      assert.deepEqual(wrong, [], `${name}'s engines (${ours}) admit Node versions that these do not`);
    });
  }

  test('the server leaves out Node 22.0–22.11, which cannot require() an ES module without a flag', () => {
    const server = manifest('@crypto-checkout/server').engines.node;
    assert.ok(!satisfies('22.11.0', server) && satisfies('22.12.0', server) && satisfies('20.19.0', server));
    assert.ok(dependencies['@crypto-checkout/server'].some((dep) => dep.startsWith('cookie@')));
  });

  test('devEngines: this Node runs the tooling, and every package npm ci installs here admits its range', () => {
    const { devEngines } = manifest('crypto-checkout');
    assert.equal(devEngines?.runtime.name, 'node');
    const range = devEngines!.runtime.version;
    assert.ok(satisfies(process.version, range), `${process.version} is not in devEngines ${range}`);
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry & { optional?: boolean }>;
    };
    const wrong = Object.entries(lock.packages)
      // Optional packages (platform binaries of other systems) are skipped where they do not fit.
      .filter(([location, entry]) => location && !entry.optional && entry.engines?.node)
      .filter(([location, entry]) => {
        const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
        return !subset(range, EXCEPTIONS[name]?.needs ?? entry.engines!.node!);
      })
      .map(([location, entry]) => `${location} wants ${entry.engines!.node}`);
    assert.deepEqual(wrong, []);
  });
});
