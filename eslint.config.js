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
    // The playground page and its AudioWorklets run in the browser (plain ES modules, no build).
    files: ['agent/src/playground/static/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'AbortController',
          'AudioContext',
          'AudioWorkletNode',
          'AudioWorkletProcessor',
          'GainNode',
          'TextDecoderStream',
          'WebSocket',
          'atob',
          'btoa',
          'document',
          'fetch',
          'location',
          'navigator',
          'registerProcessor',
          'sampleRate',
          'sessionStorage',
          'setTimeout',
          'window',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['**/cli/**', '**/bench/**', 'test-env/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
