import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { VERSION } from '../../src/element/version.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

test("the element's VERSION is package.json's version (bump both together)", () => {
  // The element names its VERSION when two different copies meet on one page (defineElement), and the
  // classic build exposes it as CryptoCheckout.VERSION: a stale one would blame the wrong release.
  assert.equal(VERSION, pkg.version);
});
