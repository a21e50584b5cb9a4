/**
 * What the demo's framework pages load, made at `npm run demo` without a build step of their own:
 * React as ES modules (react.html), Vue's browser build (vue.html) and the Svelte app compiled with
 * `svelte/compiler` (svelte.html). The merchant server serves them under `/vendor/`.
 * @module
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { compile } from 'svelte/compiler';
import { build, type Plugin } from 'vite';
import { bundleAsEsm } from './esm-bundle.js';

const require = createRequire(import.meta.url);

/** Writes vendor/react/*.js, vendor/vue.js and vendor/svelte/app.js into `outDir`. */
export async function buildFrameworkBundles(options: { root: string; outDir: string }): Promise<void> {
  const { root, outDir } = options;
  await mkdir(join(outDir, 'react'), { recursive: true });
  // One React (production build) for react.html's import map; `crypto-checkout/react` is dist/react.js.
  const react = await bundleAsEsm(
    { react: 'react', 'react-dom-client': 'react-dom/client' },
    { commonjs: true, production: true },
  );
  for (const [file, code] of react) await writeFile(join(outDir, 'react', file), code);
  // Vue's ES module build for browsers, with the template compiler, as it ships.
  await copyFile(require.resolve('vue/dist/vue.esm-browser.prod.js'), join(outDir, 'vue.js'));
  // The Svelte app: svelte/compiler turns App.svelte into JavaScript, Vite bundles it with Svelte's
  // client runtime. The element itself stays out: the page loads /dist/crypto-checkout.js.
  await build({
    configFile: false,
    logLevel: 'warn',
    plugins: [svelteCompiler()],
    build: {
      outDir: join(outDir, 'svelte'),
      emptyOutDir: true,
      lib: { entry: join(root, 'demo', 'svelte', 'main.ts'), formats: ['es'], fileName: () => 'app.js' },
    },
  });
}

/** Compiles `.svelte` files with `svelte/compiler`: the least a build needs, instead of a plugin package. */
function svelteCompiler(): Plugin {
  return {
    name: 'svelte-compiler',
    async load(id) {
      if (!id.endsWith('.svelte')) return null;
      const { js } = compile(await readFile(id, 'utf8'), { filename: id, css: 'injected' });
      return { code: js.code, map: js.map, moduleType: 'js' };
    },
  };
}
