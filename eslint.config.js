import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The folders of src/ as layers, bottom up (DESIGN.md's architecture): a folder imports only from those
 * below it. The top-level files (errors.ts, poll.ts, format.ts, version.ts) are the bottom; the API schemas
 * next. A layer is a list of folders; `except` keeps the API's folder out of the agent's.
 */
const LAYERS = [
  ['./src/*.ts'],
  ['./src/api', './src/agent/api'],
  ['./src/net'],
  ['./src/docker'],
  ['./src/router'],
  ['./src/telemetry'],
  ['./src/agent'],
  ['./src/lab'],
  ['./src/cli'],
  ['./src/ui'],
];
const AGENT = './src/agent';
const zones = LAYERS.slice(0, -1).flatMap((targets, i) => {
  const above = LAYERS.slice(i + 1).flat();
  const message =
    'imports upward: a folder imports only from the layers below it (LAYERS in eslint.config.js)';
  return targets.flatMap((target) => [
    { target, from: above.filter((f) => f !== AGENT), message },
    // agent/api sits inside agent/ but below it: importing it is not importing the agent.
    ...(above.includes(AGENT) ? [{ target, from: AGENT, except: ['./api'], message }] : []),
  ]);
});

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
