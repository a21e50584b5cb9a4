import js from '@eslint/js';
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
