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
  const loss = page.locator('[data-chart="Loss"] svg[role="img"]');
  const box = await loss.boundingBox();
  if (box) await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await expect(page.locator('[data-chart="Loss"] .readout')).toContainText('step');
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
});
