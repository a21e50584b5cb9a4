import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { stripCssComments, workspaceSources } from './vite.config.js';

/** The variable, inside the IIFE, that holds the classic script's own URL. */
const SCRIPT_URL = '__cryptoCheckoutScriptUrl';

/**
 * Builds dist/crypto-checkout.classic.js, the element for pages that can only add a classic
 * `<script src>` (src/element/classic.ts): one IIFE that registers the elements and sets
 * `window.CryptoCheckout`. An IIFE cannot be split into chunks, so the QR encoder, the wallet code and
 * the languages are inside it — except WalletConnect's SDK (≈ 145 KB gzip), which the classic script
 * imports on demand from the ES build's chunk next to it, as the ES build does (see
 * {@link walletConnectFromEsBuild}). Nothing else comes from the ES build, so the classic script never
 * loads a second copy of Lit.
 *
 * Runs after vite.config.ts has built into the same directory: it reads that build's manifest and
 * leaves its files alone.
 *
 *   vite build && vite build -c vite.classic.config.ts
 */
export default defineConfig({
  plugins: [walletConnectFromEsBuild(), workspaceSources(), stripCssComments()],
  build: {
    lib: {
      entry: 'src/element/classic.ts',
      formats: ['iife'],
      // Vite requires a name for an IIFE. It stays unused: classic.ts exports nothing and sets
      // window.CryptoCheckout itself, only when no earlier copy did.
      name: 'CryptoCheckout',
      fileName: () => 'crypto-checkout.classic.js',
    },
    emptyOutDir: false,
    target: 'es2021',
    minify: true,
    sourcemap: true,
    rolldownOptions: {
      output: {
        // The script's URL, taken while it runs (document.currentScript is null afterwards), to import
        // WalletConnect's chunk from next to it. Inside the IIFE, so that two copies keep their own.
        intro: `var ${SCRIPT_URL}=typeof document<"u"&&document.currentScript&&document.currentScript.src;`,
      },
    },
  },
});

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

/**
 * Points the classic build's `import('./walletconnect-sdk.js')` (src/element/wallet/walletconnect.ts)
 * at the ES build's chunk of WalletConnect, resolved against the classic script's own URL, instead of
 * inlining 145 KB gzip that most checkouts never use. A classic script may `import()` an ES module.
 * The build fails when that chunk is not self-contained — when it, or a chunk it imports, is an entry
 * or is imported by one — because importing it would then run a second copy of the element and Lit.
 */
function walletConnectFromEsBuild(): Plugin {
  let outDir = 'dist';
  let chunkFile = '';
  return {
    name: 'crypto-checkout:walletconnect-from-es-build',
    // Before TypeScript is compiled away, so that the import is still spelled as in the source.
    enforce: 'pre',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    buildStart() {
      const path = resolve(outDir, '.vite/manifest.json');
      if (!existsSync(path)) {
        this.error(`${path} not found: build the ES module first (vite build), into the same directory.`);
      }
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, ManifestChunk>;
      const key = Object.keys(manifest).find((k) => k.endsWith('src/element/wallet/walletconnect-sdk.ts'));
      if (!key) this.error(`${path} has no chunk of src/element/wallet/walletconnect-sdk.ts.`);
      const closure = (k: string, seen = new Set<string>()): Set<string> => {
        if (!seen.has(k)) {
          seen.add(k);
          for (const i of manifest[k]?.imports ?? []) closure(i, seen);
        }
        return seen;
      };
      const initial = new Set(
        Object.keys(manifest)
          .filter((k) => manifest[k]!.isEntry)
          .flatMap((k) => [...closure(k)]),
      );
      const shared = [...closure(key)].filter((k) => initial.has(k));
      if (shared.length) {
        this.error(
          `WalletConnect's chunk is not self-contained: it imports ${shared.map((k) => manifest[k]!.file).join(', ')}, ` +
            `which the ES entries load too; the classic script would load a second copy of the element. ` +
            `Keep src/element/wallet/walletconnect-sdk.ts free of imports from the element.`,
        );
      }
      chunkFile = manifest[key]!.file;
    },
    transform(code, id) {
      if (!id.endsWith('/src/element/wallet/walletconnect.ts')) return undefined;
      const load = /import\(\s*(['"])\.\/walletconnect-sdk\.js\1\s*\)/;
      if (!load.test(code)) {
        this.error(`${id} no longer imports ./walletconnect-sdk.js; update vite.classic.config.ts.`);
      }
      // A promise in every case: without the script's URL it rejects (the wallet panel shows the error).
      const noUrl = JSON.stringify(
        'crypto-checkout.classic.js does not know its URL (document.currentScript), so it cannot load ' +
          'WalletConnect: load it with a <script src>.',
      );
      const url = `new URL(${JSON.stringify(chunkFile)}, ${SCRIPT_URL}).href`;
      const imported = `Promise.resolve().then(() => { if (!${SCRIPT_URL}) throw new Error(${noUrl}); return import(/* @vite-ignore */ ${url}); })`;
      return { code: code.replace(load, imported), map: null };
    },
  };
}
