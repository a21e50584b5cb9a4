import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions, defineConfig, type Plugin } from 'vite';

/**
 * Resolves the workspace packages (`@crypto-checkout/protocol`) to their TypeScript sources, as
 * tsconfig's `customConditions` does for the type checker: a build never waits for, nor bundles a
 * stale copy of, another package's dist/. Every Vite config of the repository uses it.
 */
export function workspaceSources(): Plugin {
  const condition = '@crypto-checkout/source';
  return {
    name: 'crypto-checkout-workspace-sources',
    config: () => ({
      resolve: { conditions: [condition, ...defaultClientConditions] },
      ssr: { resolve: { conditions: [condition, ...defaultServerConditions] } },
    }),
  };
}

/**
 * Strips the comments out of the element's lit `css` templates. They tell the source's reader why a
 * rule is there; Lit's CSS is a JavaScript string, which the minifier keeps as it is, so they would
 * ship in every bundle (≈ 350 bytes gzip of the initial script's 20 KB budget). A comment's newlines
 * stay, so that the source map's lines still match (`map: null`: the code moved within lines only).
 */
export function stripCssComments(): Plugin {
  return {
    name: 'crypto-checkout-strip-css-comments',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]src[\\/]element[\\/].*\.ts$/.test(id) || !code.includes('css`')) return null;
      const strip = (template: string) =>
        template.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ''));
      // A css template holds no backtick: its interpolations are other css results (`${dark}`).
      return { code: code.replace(/\bcss`[^`]*`/g, strip), map: null };
    },
  };
}

/**
 * Builds the browser bundle of the element: one self-contained ES module, dist/crypto-checkout.js,
 * with lit and qrcode inside (lazily loaded code, if any, goes to chunks next to it), and
 * dist/hosted-page.js, the hosted checkout page's script, which imports crypto-checkout.js. `tsc -p
 * tsconfig.build.json` runs afterwards and writes the type declarations to dist/types.
 */
export default defineConfig({
  plugins: [workspaceSources(), stripCssComments()],
  resolve: {
    alias: {
      // WalletConnect's modal: the element starts WalletConnect with showQrModal: false and draws the
      // pairing itself, so the modal (≈ 575 KB gzip of lazy chunks) is left out of dist/ altogether.
      '@reown/appkit/core': fileURLToPath(new URL('src/element/wallet/no-appkit.ts', import.meta.url)),
    },
  },
  build: {
    lib: {
      // The element, and the script of the hosted checkout page that the backend serves at
      // /checkout/:id; the page's script imports the element, so both share its chunks.
      entry: { 'crypto-checkout': 'src/element/index.ts', 'hosted-page': 'src/element/hosted-page.ts' },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    target: 'es2021',
    minify: true,
    rolldownOptions: {
      // The entry may export more than the package's API: code it shares with the lazily loaded
      // chunks (lit, messages) then stays in crypto-checkout.js instead of a third, shared chunk.
      preserveEntrySignatures: 'allow-extension',
      // Vite keeps whitespace in lib-mode ES output so that consumers can tree-shake it; this file is
      // meant to be loaded as is (script tag, CDN), so minify it fully.
      output: { minify: true },
    },
    sourcemap: true,
    // scripts/size.ts reads the manifest to tell the initial script from lazily loaded chunks.
    manifest: true,
  },
});
