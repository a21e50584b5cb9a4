import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
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
 *
 * The QR code and the wallet are browser-only lazy chunks that a server never loads: their libraries
 * (qrcode, viem, WalletConnect) are replaced here by stubs that throw if called ({@link browserOnly}),
 * so that the package's runtime dependencies are lit and the protocol's types, nothing more — qrcode
 * would bring a command line's yargs, viem a Node WebSocket library.
 */
export default defineConfig({
  plugins: [elementAsPackage(), workspaceSources(), browserOnly(/^(qrcode|viem)(\/|$)/)],
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

/**
 * Replaces every import whose specifier matches `pattern` by a module with the same export names, each
 * a function that throws "browser only". The names are read from the real module at build time, so the
 * stub follows the library and whatever the element imports from it.
 */
function browserOnly(pattern: RegExp): Plugin {
  const prefix = '\0browser-only:';
  return {
    name: 'crypto-checkout-browser-only',
    enforce: 'pre',
    resolveId: (source) => (pattern.test(source) ? prefix + source : null),
    async load(id) {
      if (!id.startsWith(prefix)) return null;
      const specifier = id.slice(prefix.length);
      const names = Object.keys((await import(specifier)) as object).filter(
        (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      const message = `${specifier} runs in the browser only; this is crypto-checkout's Node (SSR) build`;
      return [
        `const unavailable = () => { throw new Error(${JSON.stringify(message)}); };`,
        'export default unavailable;',
        ...names.map((name) => `export const ${name} = unavailable;`),
      ].join('\n');
    },
  };
}
