// Vite builds the app (and its module worker); Vitest runs the Node test ladder on the same config.
import './scripts/node-compat.ts';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from './scripts/csp.ts';

const CHARSET = '<meta charset="UTF-8" />';

/**
 * The policy right after the charset, ahead of every script and stylesheet of the built page's head. Only in the
 * build: the dev server injects its styles and HMR client inline.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'preflab-content-security-policy',
    apply: 'build',
    transformIndexHtml(html) {
      if (!html.includes(CHARSET)) throw new Error(`index.html must start its head with ${CHARSET}`);
      const meta = `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`;
      return html.replace(CHARSET, `${CHARSET}\n    ${meta}`);
    },
  };
}

export default defineConfig({
  plugins: [svelte(), contentSecurityPolicy()],
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // KaTeX's smallest font would be inlined as a data: URL; as a file it loads under font-src 'self'.
    assetsInlineLimit: (file) => (/\.(woff2?|ttf)$/.test(file) ? false : undefined),
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173, headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER } },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/kernels/**/*.test.ts', 'tests/science/**/*.test.ts'],
    environment: 'node',
    // Dawn is a native addon: one process per file, and at most two at once on these 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    // One generous guard against a hang, never a measure of speed: a slow or busy machine must not fail a test, so
    // no test sets a clock of its own.
    testTimeout: 900_000,
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
