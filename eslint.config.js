import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'packages/*/dist/',
      'packages/server/checkout-assets/',
      'packages/server/pglite-template/',
      '.data/',
      '.demo-data/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The element is browser-only: it must never import server code, and only types from protocol.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/packages/**', '@crypto-checkout/server', '@crypto-checkout/server/*', 'node:*'],
              message: 'src/ is the browser element only.',
            },
            { group: ['zod', 'zod/*'], message: 'Keep zod out of the browser bundle; import types only.' },
          ],
          paths: [
            {
              name: '@crypto-checkout/protocol',
              allowTypeImports: true,
              message:
                'Only @crypto-checkout/protocol/statuses is zod-free; import types only from the rest of protocol.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/element/**', 'lit', 'lit/*', 'crypto-checkout', 'crypto-checkout/*'],
              message: 'The server is Node only.',
            },
            {
              group: ['../../*/src/**', '../../../*/src/**'],
              message: 'Import another workspace package by its name.',
            },
          ],
        },
      ],
    },
  },
  {
    // The stores own transactions and locks: services group writes with `store.transaction(…)`
    // and never reach the driver; advisory-lock ids live in store/advisory-locks.ts alone.
    files: ['packages/server/src/**/*.ts'],
    ignores: ['packages/server/src/store/**', 'packages/server/src/webhooks/webhook-store.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='transaction'][callee.object.property.name='db']",
          message: 'Open transactions with store.transaction(…); only store/ touches the driver.',
        },
        {
          selector: 'Literal[value=/advisory/i], TemplateElement[value.raw=/advisory/i]',
          message: 'Advisory locks are named in store/advisory-locks.ts; take one there.',
        },
      ],
    },
  },
  {
    // No import cycles anywhere: a cycle makes the load order decide which module sees the other's
    // exports as undefined, and hides a layering mistake (a store importing a service, a service a
    // route). Type-only imports are erased at compile time and do not count. Imports resolve as in
    // development: `./x.js` finds `x.ts`, workspace packages their TypeScript sources.
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.mjs', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.mjs', '.js', '.json'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
          conditionNames: ['@crypto-checkout/source', 'types', 'import', 'default'],
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  // Every package a file imports is declared by the package the file belongs to: a published package's
  // sources by its own `dependencies` (what its users install), everything else — the element, which
  // Vite bundles, tests, demo, scripts, benchmarks — by the root package.json, devDependencies included.
  // Without this a package reached through another's dependencies works here and breaks for users.
  // Type-only imports count: a published package's declarations name them for its users' compiler.
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs', '**/*.js'],
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: true, includeTypes: true, packageDir: ['.'] },
      ],
    },
  },
  ...['server', 'protocol', 'webhooks'].map((name) => ({
    files: [`packages/${name}/**/*.ts`, `packages/${name}/**/*.mjs`],
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          devDependencies: false,
          optionalDependencies: false,
          includeTypes: true,
          packageDir: [`packages/${name}`],
        },
      ],
    },
  })),
  {
    // The server package's build scripts run at build time only: its devDependencies (esbuild) are theirs.
    files: ['packages/server/scripts/**/*.mjs'],
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: true, includeTypes: true, packageDir: ['packages/server'] },
      ],
    },
  },
  {
    files: ['**/scripts/**/*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', performance: 'readonly' },
    },
  },
  {
    // The wire contract and the verifier are used by every package: they import no other package of ours.
    files: ['packages/protocol/src/**/*.ts', 'packages/webhooks/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@crypto-checkout/*', 'crypto-checkout', 'crypto-checkout/*', '../../*'],
              message: 'A leaf package imports none of ours.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/webhooks/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^[^.]',
              message: '@crypto-checkout/webhooks uses WebCrypto only: no dependency, no Node module.',
            },
          ],
        },
      ],
    },
  },
);
