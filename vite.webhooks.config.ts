import { defineConfig } from 'vite';

/**
 * Builds `crypto-checkout/webhooks` (the merchant-side verifier) for Node: dist/webhooks.js, an ES
 * module that imports only `node:crypto`. A separate build, so nothing of it reaches the element's
 * bundle; it runs after the element's build and leaves that build's files (and manifest) alone.
 */
export default defineConfig({
  build: {
    ssr: 'src/webhooks/index.ts',
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    sourcemap: true,
    rolldownOptions: { output: { entryFileNames: 'webhooks.js', format: 'es' } },
  },
});
