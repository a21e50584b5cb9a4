import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { workspaceSources } from './vite.config.js';
import { elementAsPackage } from './vite.react.config.js';

/**
 * Builds what Node loads through the `node` export condition: dist/node/crypto-checkout.js and
 * dist/node/react.js, for server-side rendering. The browser bundle has lit inside, whose browser build
 * extends `HTMLElement` when it loads and so throws in Node; here lit (and every other dependency) stays
 * an import, and Node resolves lit's own `node` build, which brings its DOM shim (`HTMLElement`,
 * `customElements`). The element is defined on that shim's registry, which @lit-labs/ssr renders from.
 *
 * `@lit/react`, a build-time dependency, is bundled, in its browser build: src/react renders on a
 * server by itself, and uses `createComponent` only where there is a `window` — a DOM emulated in Node
 * (jsdom, happy-dom) too, where @lit/react's Node build would never set the element's properties.
 */
export default defineConfig({
  plugins: [elementAsPackage(), workspaceSources()],
  resolve: {
    alias: {
      '@lit/react': fileURLToPath(new URL('node_modules/@lit/react/index.js', import.meta.url)),
      // No buyer pays on a server: keep WalletConnect's SDK out of this build and the dependencies.
      '@walletconnect/ethereum-provider': fileURLToPath(
        new URL('src/element/wallet/no-walletconnect.ts', import.meta.url),
      ),
    },
  },
  build: {
    ssr: true,
    outDir: 'dist/node',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: true,
    rolldownOptions: {
      input: { 'crypto-checkout': 'src/element/index.ts', react: 'src/react/index.ts' },
      // Entries export their API only; code shared with the lazy chunks goes to a chunk of its own.
      preserveEntrySignatures: 'strict',
      output: {
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        banner: (chunk) => (chunk.name === 'react' ? "'use client';" : ''),
      },
    },
  },
});
