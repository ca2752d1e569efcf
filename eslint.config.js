// ESLint flat config: recommended JS/TS/Svelte rules plus the layer rules of the architecture (who may import whom).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import ts from 'typescript-eslint';

/**
 * The start of an import specifier that leaves the importing file's layer folder: one or more `../` from a file
 * in src/<layer>/, `./` from a file directly in src/ (src/main.ts), or a src-rooted path.
 */
const UP = '^(?:(?:\\.\\./)+|/?src/)';
const HERE = '^(?:\\./|/?src/)';
/** An import that lands in one of the given top-level folders of src/. */
const layer = (names, root = UP) => `${root}(?:${names.join('|')})(?:/|$)`;
/** A bare import of one of the given packages or their subpaths (d3 also covers its d3-* modules). */
const pkg = (...names) => `^(?:${names.map((n) => (n === 'd3' ? 'd3(?:-[a-z-]+)?' : n)).join('|')})(?:/|$)`;

const NO_UI_PACKAGES = {
  regex: pkg('svelte', 'd3'),
  message: 'Svelte and d3 belong to src/app (the UI thread).',
};

/** @typedef {{ regex: string, message: string, allowTypeImports?: boolean }} Restriction */
/** @param {Restriction[]} patterns */
const restrictImports = (patterns) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

/**
 * The UI thread (src/app and src/main.ts) reaches the engine only through the worker. A type-only import of the
 * Backend contract is erased at build time: it is the one door into src/engine.
 * @param {string} root
 * @returns {Restriction[]}
 */
const uiThread = (root) => [
  {
    regex: `${root}engine/backend(?:\\.ts)?$`,
    allowTypeImports: true,
    message: 'Only `import type` from src/engine/backend is allowed on the UI thread.',
  },
  {
    regex: layer(['engine'], root),
    message:
      'The UI thread reaches the engine only through the worker (import type from src/engine/backend is allowed).',
  },
  {
    regex: layer(['worker'], root),
    allowTypeImports: true,
    message: 'Start the worker with new Worker(new URL(...)); import only its types.',
  },
  { regex: layer(['cli'], root), message: 'src/cli is the Node entry.' },
];

const NO_DOM_GLOBALS = ['document', 'window'].map((name) => ({
  name,
  message: 'No DOM here: only src/app touches the page.',
}));

export default defineConfig(
  {
    ignores: [
      'dist/',
      'dist-bench/',
      'bench/results/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      '.vite/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  ...svelte.configs.prettier,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `typeof import('x')` is how a dynamically imported module is typed.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] },
    },
    // TypeScript and svelte-check resolve names; no-undef does not know ambient types such as GPUAdapterInfo.
    rules: { 'no-undef': 'off' },
  },

  // ---- globals per runtime ----
  {
    files: ['*.{js,mjs,cjs,ts}', 'scripts/**', 'tests/**', 'src/cli/**', 'src/engine/node.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    // The benchmark: its page (bench/main.ts) runs in Chromium, its driver (bench/cli.ts) in Node.
    files: ['bench/**'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ['src/engine/**', 'src/lab/**'],
    ignores: ['src/engine/node.ts'],
    languageOptions: { globals: globals['shared-node-browser'] },
  },
  {
    files: ['src/worker/**'],
    languageOptions: { globals: globals.worker },
  },
  {
    files: ['src/app/**', 'src/main.ts'],
    languageOptions: { globals: globals.browser },
  },

  // ---- layers: each imports only the ones below it ----
  {
    files: ['src/engine/**'],
    rules: {
      ...restrictImports([
        { regex: layer(['app', 'worker', 'lab', 'cli']), message: 'src/engine imports nothing above it.' },
        NO_UI_PACKAGES,
        { regex: pkg('comlink', 'idb-keyval'), message: 'The engine knows no workers or storage.' },
      ]),
      'no-restricted-globals': ['error', ...NO_DOM_GLOBALS],
    },
  },
  {
    files: ['src/lab/**'],
    rules: {
      ...restrictImports([
        { regex: layer(['app', 'worker', 'cli']), message: 'src/lab imports only src/engine.' },
        {
          regex: `${UP}engine/(?:node|browser|webgpu)(?:/|\\.ts$|$)|^webgpu$`,
          message: 'src/lab runs on any Backend: it neither creates backends nor calls WebGPU.',
        },
        NO_UI_PACKAGES,
        { regex: pkg('comlink', 'idb-keyval'), message: 'src/lab knows no workers or storage.' },
      ]),
      'no-restricted-globals': ['error', ...NO_DOM_GLOBALS],
    },
  },
  {
    files: ['src/worker/**'],
    rules: {
      ...restrictImports([
        { regex: layer(['app', 'cli']), message: 'src/worker imports only src/lab and src/engine.' },
        NO_UI_PACKAGES,
      ]),
      'no-restricted-globals': ['error', ...NO_DOM_GLOBALS],
    },
  },
  {
    files: ['src/cli/**'],
    rules: restrictImports([
      { regex: layer(['app', 'worker']), message: 'src/cli runs src/lab and src/engine directly.' },
      NO_UI_PACKAGES,
      { regex: pkg('comlink', 'idb-keyval'), message: 'src/cli runs in Node, without workers or IndexedDB.' },
    ]),
  },
  { files: ['src/app/**'], rules: restrictImports(uiThread(UP)) },
  { files: ['src/main.ts'], rules: restrictImports(uiThread(HERE)) },
);
