// Part of @crypto-checkout/server's build: copies the element's built scripts that the hosted checkout
// page serves (the ES build's top-level .js files and their maps: hosted-page.js, crypto-checkout.js,
// its lazy chunks and languages) into packages/server/checkout-assets/, so the server package ships the
// exact element it was built with and needs no dependency on the element package at run time.
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const from = join(root, 'dist');
const to = join(root, 'packages/server/checkout-assets');
// Builds of other entry points that the page never loads.
const SKIP = /^(crypto-checkout\.classic|react)\.js(\.map)?$/;

await rm(to, { recursive: true, force: true });
if (!existsSync(join(from, 'hosted-page.js'))) {
  console.warn(
    'copy-checkout-assets: dist/hosted-page.js is missing (run npm run build:element first); ' +
      'the hosted checkout page of this build will answer 503 checkout_page_unavailable',
  );
} else {
  await mkdir(to, { recursive: true });
  const files = (await readdir(from, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && /\.js(\.map)?$/.test(entry.name) && !SKIP.test(entry.name))
    .map((entry) => entry.name);
  await Promise.all(files.map((name) => copyFile(join(from, name), join(to, name))));
  console.log(`copy-checkout-assets: ${files.length} files into packages/server/checkout-assets/`);
}
