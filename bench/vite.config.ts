// The bench page as its own Vite entry, built into dist-bench/ (npm run bench builds and serves it).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('../dist-bench', import.meta.url)),
    emptyOutDir: true,
    // The peers are big; the page is a local tool, not shipped.
    chunkSizeWarningLimit: 4000,
  },
  preview: { host: '127.0.0.1' },
});
