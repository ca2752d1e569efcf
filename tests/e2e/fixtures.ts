// The e2e test object: Playwright's, plus which backend a project's browser should end up on, and a check that
// the page and its worker log no errors.
import { test as base, expect } from '@playwright/test';

export interface PreflabOptions {
  /** 'webgpu' where the browser runs with WebGPU (SwiftShader), 'cpu' where it has none. */
  expectedBackend: 'webgpu' | 'cpu';
}

export const test = base.extend<PreflabOptions & { pageErrors: string[] }>({
  expectedBackend: ['webgpu', { option: true }],
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await use(errors);
      expect(errors, 'errors in the page, its worker or the console').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
