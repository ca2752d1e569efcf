// Smoke test of the built app: it boots, names its backend, and the engine's self-check passes in the worker.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';
import { linkTo, smallBandit } from './helpers';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('boots with the product name and description', async ({ page }) => {
  await expect(page).toHaveTitle('PrefLab');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('PrefLab');
  await expect(page.getByText('Train small models on your own GPU')).toBeVisible();
});

test('the badge names the backend the worker found', async ({ page, expectedBackend }) => {
  const kind = page.getByTestId('backend-kind');
  if (expectedBackend === 'webgpu') {
    await expect(kind).toHaveText('WebGPU');
    await expect(page.getByTestId('backend-adapter')).toContainText(/swiftshader/i);
    await page.getByText('Adapter limits and features').click();
    await expect(page.getByText('maxStorageBufferBindingSize')).toBeVisible();
  } else {
    await expect(kind).toHaveText('CPU');
    await expect(page.getByTestId('backend-reason')).toHaveText(/^WebGPU is unavailable: \S.+\.$/);
  }
});

test('the self-check in the worker matches the CPU twin, and runs again on request', async ({
  page,
  expectedBackend,
}) => {
  const where = expectedBackend === 'webgpu' ? 'on the GPU' : 'on the CPU backend';
  const status = page.getByTestId('self-check');
  await expect(status).toHaveAttribute('data-state', 'pass');
  await expect(status).toContainText(`matmul 64×64×64 ${where} matches the CPU twin: max error`);
  const first = await status.textContent();

  const again = page.getByRole('button', { name: 'Run the self-check again' });
  await expect(again).toBeEnabled();
  await again.click();
  // Each run draws new inputs (the seed is shown), so the text changes once the second run has finished.
  await expect(status).not.toHaveText(first ?? '');
  await expect(status).toHaveAttribute('data-state', 'pass');

  // The GPU work happens off the UI thread: exactly one engine worker.
  expect(page.workers().map((w) => w.url())).toEqual([expect.stringMatching(/trainer\.worker/)]);
});

test('has no detectable accessibility violations', async ({ page, expectedBackend }) => {
  await expect(page.getByTestId('self-check')).toHaveAttribute('data-state', 'pass');
  if (expectedBackend === 'webgpu') await page.getByText('Adapter limits and features').click();
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});

test('trains a short run on the backend it found', async ({ page }) => {
  await page.goto(linkTo(smallBandit(30)));
  await expect(page.getByTestId('progress')).toHaveAttribute('data-state', 'finished', { timeout: 60_000 });
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '30');
  await expect(page.locator('[data-chart="Loss"]')).toHaveAttribute('data-points', '30');
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'bandit');
});
