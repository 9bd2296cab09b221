// Lint runs inside `npm test`; type-aware rules catch floating promises, which in a responder
// would mean an AWS call whose failure nobody sees, and the layer rules (lint/layers.js) keep
// imports flowing one way with no cycle (docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersConfig } from './lint/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', 'coverage/**', '.stryker-tmp/**', 'reports/**', 'bin/firebreak.mjs', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Code that reads untrusted values (events, playbook files, other steps' results, answers from
    // AWS) must check a value is a primitive before making text of it: String() or a template of an
    // object whose toString is not a function throws a TypeError, and of any other object says
    // [object Object].
    files: ['lib/incident/**/*.ts', 'lib/playbooks/**/*.ts', 'lib/responders/**/*.ts', 'lib/operator/**/*.ts', 'lib/contracts/**/*.ts', 'lib/cli/**/*.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'error' },
  },
  layersConfig(),
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
