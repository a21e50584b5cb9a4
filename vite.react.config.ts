import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { workspaceSources } from './vite.config.js';

/**
 * Builds `crypto-checkout/react` for browsers and bundlers: dist/react.js, an ES module with
 * `@lit/react` inside that imports `react` and `crypto-checkout` (see {@link elementAsPackage}). Runs
 * after the element's build and leaves its files alone.
 */
export default defineConfig({
  plugins: [elementAsPackage(), workspaceSources()],
  build: {
    lib: { entry: 'src/react/index.ts', formats: ['es'], fileName: () => 'react.js' },
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2021',
    minify: true,
    sourcemap: true,
    rolldownOptions: {
      external: ['react'],
      // Next.js and other React Server Components hosts render these components on the client only.
      output: { banner: "'use client';", minify: true },
    },
  },
});

/**
 * Turns src/react's import of the element's entry into `import … from 'crypto-checkout'`, so that the
 * components use the element of the page's one copy of the package: a bundler resolves the name to
 * the same module as the page's own `import 'crypto-checkout'` (and Node to the `node` build), and the
 * element is defined once. Relative in the source, so that tests and type checks use src/ directly.
 */
export function elementAsPackage(): Plugin {
  const entry = fileURLToPath(new URL('src/element/index.ts', import.meta.url));
  const reactDir = fileURLToPath(new URL('src/react/', import.meta.url));
  return {
    name: 'crypto-checkout-element-as-package',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!importer?.startsWith(reactDir) || !source.startsWith('.')) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      return resolved?.id === entry ? { id: 'crypto-checkout', external: true } : null;
    },
  };
}
