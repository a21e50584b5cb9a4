import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', '.demo-data/', 'coverage/'] },
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
    files: ['src/element/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server/**', 'node:*'], message: 'src/element is browser only.' },
            { group: ['zod', 'zod/*'], message: 'Keep zod out of the browser bundle; import types only.' },
            {
              group: ['**/protocol/*', '!**/protocol/statuses.js'],
              allowTypeImports: true,
              message: 'Only protocol/statuses.js is zod-free; import types only from the rest of protocol.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/element/**', 'lit', 'lit/*'], message: 'src/server is Node only.' }] },
      ],
    },
  },
);
