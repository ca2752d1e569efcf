// Vite builds the app (and its module worker); Vitest runs the Node test ladder on the same config.
import './scripts/node-compat.ts';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
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
