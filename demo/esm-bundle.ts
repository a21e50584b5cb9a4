/**
 * Bundles npm packages into ES modules for pages that load them without a build step: the demo's
 * React page and the element tests (web-test-runner.config.mjs), whose dev server answers the
 * packages' specifiers with these files.
 * @module
 */
import { createRequire } from 'node:module';
import { build, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const WRAPPER = 'virtual:esm-of-commonjs/';

/**
 * Bundles each entry (chunk name → module specifier or file) with Vite into one ES module, the entries
 * sharing chunks so that they share one copy of what they have in common (one React for `react` and
 * `react-dom/client`). Resolves with the files by name: `<chunk name>.js` and the shared chunks.
 *
 * `commonjs: true` is for CommonJS packages such as React, which browsers cannot import: each entry is
 * wrapped in an ES module that names every export, taken from `Object.keys(require(specifier))` in
 * Node, because React's entry chooses its development or production build at run time and a bundler
 * cannot see the names through that. `production` picks that build (`process.env.NODE_ENV`).
 * @example const files = await bundleAsEsm({ react: 'react', 'react-dom-client': 'react-dom/client' }, { commonjs: true });
 */
export async function bundleAsEsm(
  entries: Record<string, string>,
  options: { commonjs?: boolean; production?: boolean } = {},
): Promise<Map<string, string>> {
  const result = await build({
    configFile: false,
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': JSON.stringify(options.production ? 'production' : 'development') },
    plugins: options.commonjs ? [commonjsWrappers()] : [],
    build: {
      write: false,
      minify: Boolean(options.production),
      lib: {
        entry: Object.fromEntries(
          Object.entries(entries).map(([name, specifier]) => [
            name,
            options.commonjs ? WRAPPER + specifier : specifier,
          ]),
        ),
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  });
  const { output } = (Array.isArray(result) ? result[0] : result) as {
    output: { type: string; fileName: string; code?: string }[];
  };
  return new Map(output.flatMap((file) => (file.type === 'chunk' ? [[file.fileName, file.code!]] : [])));
}

/** Answers `virtual:esm-of-commonjs/<specifier>` with an ES module that re-exports it by name. */
function commonjsWrappers(): Plugin {
  return {
    name: 'esm-of-commonjs',
    // Vite hands lib entries over as paths under the root: keep what follows the prefix.
    resolveId: (id) => (id.includes(WRAPPER) ? '\0' + id.slice(id.indexOf(WRAPPER)) : undefined),
    load(id) {
      if (!id.startsWith('\0' + WRAPPER)) return undefined;
      const specifier = id.slice(WRAPPER.length + 1);
      const names = Object.keys(require(specifier) as object).filter(
        (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      return [
        `import m from ${JSON.stringify(require.resolve(specifier))};`,
        'export default m;',
        `export const { ${names.join(', ')} } = m;`,
      ].join('\n');
    },
  };
}
