// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Planning is pure (STYLE.md house rule 1): no file system, network, process or clock below these folders.
    files: ['src/model/**/*.ts', 'src/scheduler/**/*.ts', 'src/planner/**/*.ts', 'src/forecast/**/*.ts', 'src/autoscaler/**/*.ts', 'src/config/rules/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:fs', 'node:fs/*', 'fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'simple-git'], message: 'planning code is pure: do I/O in config/load.ts, drivers/ or engine/' }] }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'no wall clock inside planning: take `now` as an input' }, { object: 'Math', property: 'random', message: 'use the seeded PRNG' }],
    },
  },
);
