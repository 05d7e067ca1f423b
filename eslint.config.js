// Lint: typescript-eslint recommended rules on every TypeScript source; CI fails on any error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['charts/*/templates/**', '**/node_modules/**', '**/dist/**', 'coverage/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['**/cli/**', '**/bench/**', 'test-env/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
