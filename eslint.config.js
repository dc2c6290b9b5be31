import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The folders of src/ as layers, bottom up (DESIGN.md's architecture): a folder imports only from those
 * below it. The top-level files (errors.ts, poll.ts, format.ts, version.ts) are the bottom; the API schemas
 * next.
 */
const LAYERS = [
  './src/*.ts',
  './src/api',
  './src/net',
  './src/docker',
  './src/router',
  './src/telemetry',
  './src/doctor',
  './src/agent',
  './src/lab',
  './src/cli',
  './src/ui',
];
const zones = LAYERS.slice(0, -1).map((target, i) => ({
  target,
  from: LAYERS.slice(i + 1),
  message: 'imports upward: a folder imports only from the layers below it (LAYERS in eslint.config.js)',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x's TypeScript settings (parsers, extensions), with the resolver that maps .js to .ts.
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
    },
  },
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx', 'test/ui/**/*.tsx'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
);
