// ESLint over src/, functions/, test/, bench/ and scripts/ (`npm run lint`, in CI after the type
// check): typescript-eslint's recommended rules with type information, and the few more that
// catch real bugs in async code. Formatting is left to the code's own conventions.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'URL', 'Buffer', '__dirname', 'require', 'module', 'setTimeout', 'clearTimeout', 'fetch'].map(
    (name) => [name, 'readonly'],
  ),
);

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'infra/', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A floating promise is a lost error; `void` marks the deliberate ones.
      '@typescript-eslint/no-floating-promises': 'error',
      // `_name` marks a binding kept for its position, or one that drops a property from a rest.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Off: the first failure of concurrent work is kept (`unknown`) and rethrown as it came,
      // which this rule cannot tell from throwing a non-error.
      '@typescript-eslint/only-throw-error': 'off',
      // An async function implementing a Promise-returning interface needs no await.
      '@typescript-eslint/require-await': 'off',
      // Deliberately off: our errors never carry the original as `cause`, because ioredis keeps
      // command arguments (passwords, tokens) on its errors; the message says what went wrong.
      'preserve-caught-error': 'off',
    },
  },
  {
    // Tests read JSON (CLI output, bundles, Bicep) as `any` and assert on its shape.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Plain JavaScript (build scripts, the bin shim): no type information to lint with.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
