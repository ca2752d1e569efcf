// Screenshots of the main screens for the README (docs/screenshot-*.png), taken from the built app on WebGPU.
import { expect, test } from './fixtures';
import { linkTo, smallBandit, waitForState } from './helpers';

test.use({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });

test('screenshots of the main screens', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await expect(page.locator('[data-testid="watch"] .katex').first()).toBeVisible();
  await page.getByText('Configuration').click();
  await page.screenshot({ path: 'docs/screenshot-experiment.png' });

  await page.goto(linkTo(smallBandit(120)));
  await waitForState(page, 'finished');
  await page.getByRole('button', { name: 'Save this run' }).click();
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  await page.getByRole('heading', { name: 'Metrics' }).scrollIntoViewIfNeeded();
  // The read-out of a step, moved there by the arrow keys: a mouse's would end as the screenshot scrolls the charts.
  await page.locator('[data-chart="Loss"]').getByRole('slider').focus();
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft');
  await expect(page.locator('[data-chart="Loss"] [data-testid="readout"]')).toHaveAttribute('data-step', '80');
  await page.getByTestId('charts').screenshot({ path: 'docs/screenshot-charts.png' });
  await page
    .getByRole('heading', { name: 'Model state' })
    .locator('..')
    .screenshot({ path: 'docs/screenshot-policy.png' });
  await page
    .getByRole('heading', { name: 'Saved runs' })
    .locator('..')
    .screenshot({ path: 'docs/screenshot-saved-runs.png' });
  await page.screenshot({ path: 'docs/screenshot-training.png', fullPage: true });

  // Diffusion: a teacher, its collapsed one-step student and the hybrid, with the drawing pad of the config.
  await page.goto(
    linkTo({
      seed: 1,
      world: { kind: 'points2d', shape: 'ring8', samplerSteps: 25 },
      stages: [
        { kind: 'diffusion', name: 'teacher', steps: 2500, batch: 256 },
        { kind: 'dmd', name: 'dmd', steps: 300, batch: 256, hybrid: 12, handover: 0.15 },
      ],
      metrics: { every: 100 },
    }),
  );
  // A link reruns its experiment on opening: wait for this run (2800 steps), not the bandit's finished state.
  await expect(page.getByTestId('progress')).toHaveAttribute('data-total', '2800');
  await waitForState(page, 'finished', 1_500_000);
  // The fake-score loss starts tens of times above the teacher's: the log scale shows both.
  const logLoss = page.getByRole('button', { name: 'Log scale for the Loss chart' });
  await logLoss.click();
  await expect(logLoss).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('charts').screenshot({ path: 'docs/screenshot-diffusion-charts.png' });
  const state = page.getByRole('heading', { name: 'Model state' }).locator('..');
  await state.scrollIntoViewIfNeeded();
  await expect(state.getByRole('img', { name: 'Share of samples per mode' })).toBeVisible();
  await expect(state.getByRole('slider', { name: 'Sampler step' })).toBeVisible();
  await expect(state.getByText('hybrid', { exact: true })).toBeVisible();
  await state.screenshot({ path: 'docs/screenshot-diffusion.png' });
  // Configuration is still open from the first screenshot.
  await page
    .getByRole('heading', { name: 'Draw the data' })
    .locator('..')
    .screenshot({ path: 'docs/screenshot-draw.png' });
});
