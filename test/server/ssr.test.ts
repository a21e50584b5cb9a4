// Server-side rendering: the package, imported by name in plain Node (no tsx, no bundler), as a
// framework's server would. Node resolves `crypto-checkout` through package.json's exports (a package
// may import itself by name) and takes the `node` builds in dist/node/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildIfStale } from '../support/built.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
};

/** Runs `code` as an ES module in a new Node process in the package's folder; resolves with its stdout. */
async function node(code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return stdout;
}

describe('server-side rendering in Node', { timeout: 240_000 }, () => {
  before(() => buildIfStale(), { timeout: 240_000 });

  test("import 'crypto-checkout' succeeds and defines the elements on lit's DOM shim", async () => {
    const out = await node(`
      const checkout = await import('crypto-checkout');
      console.log(JSON.stringify({
        window: typeof window,
        exports: Object.keys(checkout).sort(),
        defined: ['crypto-checkout', 'crypto-checkout-dialog', 'crypto-checkout-button'].map(
          (tag) => customElements.get(tag)?.name ?? null),
      }));
    `);
    const result = JSON.parse(out) as { window: string; exports: string[]; defined: (string | null)[] };
    assert.equal(result.window, 'undefined', 'a server: no window');
    assert.deepEqual(result.defined, ['CryptoCheckout', 'CheckoutDialog', 'CheckoutButton']);
    for (const name of ['CryptoCheckout', 'CheckoutButton', 'CheckoutDialog', 'VERSION', 'openCheckout']) {
      assert.ok(result.exports.includes(name), `exports ${name}`);
    }
    assert.ok(
      result.exports.every((name) => name.length > 1),
      `no bundler-internal exports: ${result.exports.join(', ')}`,
    );
  });

  test("import 'crypto-checkout/react' succeeds and renderToString renders the tags with their attributes", async () => {
    const out = await node(`
      import { createElement } from 'react';
      import { renderToString } from 'react-dom/server';
      import { CryptoCheckout, CryptoCheckoutButton } from 'crypto-checkout/react';
      console.log(renderToString(createElement('main', null,
        createElement(CryptoCheckout, {
          session: 'cs_test_1_secret_abc', api: 'https://pay.example.com', theme: 'dark',
          walletconnectProjectId: 'p123', noWallet: true, className: 'checkout', onPaid: () => {},
        }),
        createElement(CryptoCheckoutButton, { session: 'cs_test_2_secret_def', noWallet: false }, 'Pay'),
      )));
    `);
    assert.match(out, /<crypto-checkout /);
    assert.match(
      out,
      /<crypto-checkout session="cs_test_1_secret_abc" api="https:\/\/pay.example.com" theme="dark"/,
    );
    assert.match(out, / walletconnect-project-id="p123"/);
    assert.match(out, / no-wallet=""/);
    assert.match(out, / class="checkout"/);
    assert.match(out, /<crypto-checkout-button session="cs_test_2_secret_def">Pay<\/crypto-checkout-button>/);
    assert.doesNotMatch(out, /onPaid|function/i, 'callbacks are not rendered');
  });

  test('every file that package.json exports exists, and the element types need neither React nor Preact', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const conditions = typeof target === 'string' ? { default: target } : target;
      for (const [condition, file] of Object.entries(conditions)) {
        assert.ok(existsSync(join(root, file)), `exports["${subpath}"].${condition}: ${file} exists`);
      }
    }
    // The declarations that `import 'crypto-checkout'` loads, transitively.
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        assert.doesNotMatch(specifier!, /^(react|preact)(\/|$)/, `${file} imports ${specifier}`);
        if (specifier!.startsWith('.')) visit(join(file, '..', specifier!.replace(/\.js$/, '.d.ts')));
      }
    };
    visit(join(root, (pkg.exports['.'] as Record<string, string>).types!));
    assert.ok(seen.size > 5, `followed the element's declarations (${seen.size} files)`);
  });
});
