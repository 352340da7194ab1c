import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';
import { layersRule } from './scripts/eslint-layers.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // docs/ARCHITECTURE.md, "Layers": core, the engine interface, each engine, debug, cli.
    files: ['src/**/*.ts'],
    plugins: { sidekick: { rules: { layers: layersRule } } },
    rules: { 'sidekick/layers': ['error', { srcDir: fileURLToPath(new URL('src', import.meta.url)) }] },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
