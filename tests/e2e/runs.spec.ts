// Runs a person can tell apart, on WebGPU (SwiftShader): variants of one preset get their own names, file names and
// CSV header; the form shows only the settings that apply and marks a bad value on its field; an import is a saved
// run; a loading state covers the start; charts out of view are drawn once the run stops.
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { choosePreset, download, linkTo, smallBandit, waitForState } from './helpers';

/** Click an export button: the downloaded file's suggested name and text. */
async function exported(page: Page, button: string): Promise<{ file: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  return { file: dl.suggestedFilename(), text: await readFile(await dl.path(), 'utf8') };
}

/** Apply the form's config, train one metric period and save the run. */
async function applyStepSave(page: Page, saved: number): Promise<void> {
  const apply = page.getByRole('button', { name: 'Apply and reset the run' });
  await apply.click();
  await expect(apply).toBeDisabled();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '0');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '10');
  await page.getByRole('button', { name: 'Save this run' }).click();
  await expect(page.getByTestId('saved-run')).toHaveCount(saved);
}

test('two variants of dpo-bandit get their own names, file names and CSV header comment', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByText('Configuration').click();
  const beta = page.getByRole('spinbutton', { name: 'beta', exact: true });
  await beta.fill('2');
  await beta.press('Tab');
  await applyStepSave(page, 1);

  await page.getByRole('combobox', { name: 'Loss', exact: true }).selectOption('ipo');
  await beta.fill('0.1');
  await beta.press('Tab');
  await applyStepSave(page, 2);

  const names = page.getByTestId('saved-run-name');
  await expect(names).toHaveText(['dpo-bandit · lossType ipo · beta 0.1', 'dpo-bandit · beta 2']);

  const csv = await exported(page, 'Export CSV');
  expect(csv.file).toBe('dpo-bandit-losstype-ipo-beta-0.1-step10.csv');
  const lines = csv.text.split('\n');
  expect(lines.slice(0, 2)).toEqual([
    '# PrefLab run: dpo-bandit · lossType ipo · beta 0.1',
    '# changed from preset dpo-bandit: lossType sigmoid -> ipo, beta 0.5 -> 0.1',
  ]);
  expect(lines[2]).toMatch(/^stage,step,loss,/);
  expect((await exported(page, 'Export JSON lines')).file).toBe('dpo-bandit-losstype-ipo-beta-0.1-step10.jsonl');
  expect((await exported(page, 'Export run bundle')).file).toBe('dpo-bandit-losstype-ipo-beta-0.1-step10.preflab.json');

  // The other variant, opened: its own file names and header.
  await page.getByRole('button', { name: 'Open dpo-bandit · beta 2' }).click();
  await expect(page.getByTestId('shown')).toContainText('Showing 10 / 400 steps of a saved run');
  const other = await exported(page, 'Export CSV');
  expect(other.file).toBe('dpo-bandit-beta-2-step10.csv');
  expect(other.text.split('\n').slice(0, 2)).toEqual([
    '# PrefLab run: dpo-bandit · beta 2',
    '# changed from preset dpo-bandit: beta 0.5 -> 2',
  ]);
  expect((await exported(page, 'Export run bundle')).file).toBe('dpo-bandit-beta-2-step10.preflab.json');

  // Compared, the legend says which line is which run.
  await page.getByLabel('Compare dpo-bandit · lossType ipo · beta 0.1 on the charts').check();
  const legend = page.locator('[data-chart="Loss"] .legend');
  await expect(legend).toContainText('policy · this run');
  await expect(legend).toContainText('policy · dpo-bandit · lossType ipo · beta 0.1');
});

test('the form shows only the settings that apply, names losses in words, marks a bad value on its field', async ({
  page,
}) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByText('Configuration').click();
  const loss = page.getByRole('combobox', { name: 'Loss', exact: true });
  await expect(loss.locator('option:checked')).toHaveText('sigmoid — DPO');
  await expect(loss.locator('option')).toContainText(['robust — rDPO, robust to flipped labels']);
  const gamma = page.getByRole('spinbutton', { name: 'gamma', exact: true });
  const smoothing = page.getByRole('spinbutton', { name: 'Label smoothing' });
  await expect(smoothing).toBeVisible();
  await expect(gamma).toHaveCount(0);
  // The sequences world's settings have no place on a bandit.
  await expect(page.getByRole('spinbutton', { name: 'Offline pairs' })).toHaveCount(0);
  await loss.selectOption('simpo');
  await expect(gamma).toBeVisible();
  await loss.selectOption('ipo');
  await expect(gamma).toHaveCount(0);
  await expect(smoothing).toHaveCount(0);

  const beta = page.getByRole('spinbutton', { name: 'beta', exact: true });
  await beta.fill('1000');
  await beta.press('Tab');
  await expect(beta).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('[data-field="stages.0.beta"]').getByTestId('field-error')).toHaveText(
    'must be at most 100 (got 1000)',
  );
  await expect(beta).toHaveAccessibleDescription(/must be at most 100 \(got 1000\)/);
  await expect(page.getByTestId('train')).toBeDisabled();
  await expect(page.getByTestId('step')).toBeDisabled();
  await expect(page.getByTestId('train-blocked')).toHaveText('The configuration has a problem: fix it to train.');
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`)).toEqual([]);

  await beta.fill('0.1');
  await beta.press('Tab');
  await expect(beta).not.toHaveAttribute('aria-invalid');
  await expect(page.getByTestId('field-error')).toHaveCount(0);
  await expect(page.getByTestId('train')).toBeEnabled();
});

test('an imported run is saved and compared like any run; its messages go when a preset is picked', async ({
  page,
}) => {
  await page.goto(linkTo(smallBandit(40)));
  await waitForState(page, 'finished');
  const bundle = await download(page, 'Export run bundle');
  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByTestId('import').setInputFiles(bundle.path);
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  const name = (await page.getByTestId('saved-run-name').textContent()) ?? '';
  expect(name).toBe(JSON.parse(bundle.text).name);
  const notice = page.getByText(`Imported and saved “${name}”: 40 of 40 steps.`);
  await expect(notice).toBeVisible();
  // The progress line speaks of the run shown, not of the fresh copy of its config in the worker.
  await expect(page.getByTestId('shown')).toContainText('Showing 40 / 40 steps of a saved run');
  await expect(page.getByTestId('progress')).not.toContainText(/\b0 \/ 40|ready/);
  await page.getByLabel(`Compare ${name} on the charts`).check();
  await expect(page.locator('[data-chart="Loss"]')).toHaveAttribute('data-points', '80');

  await choosePreset(page, 'ipo-bandit');
  await expect(notice).toHaveCount(0);
  await expect(page.getByTestId('shown')).toHaveCount(0);
  await expect(page.getByTestId('progress')).toContainText('0 / 400 steps');
});

test('a loading state covers the start: no empty run of 0 steps before the engine is ready', async ({ page }) => {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route(/trainer\.worker-[^/]*\.js$/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto('/');
  await expect(page.getByTestId('loading')).toHaveText('Starting the engine and building the run…');
  await expect(page.getByTestId('progress')).not.toContainText('0 / 0');
  release();
  await waitForState(page, 'ready');
  await expect(page.getByTestId('loading')).toHaveCount(0);
  await expect(page.getByTestId('progress')).toContainText('0 / 400 steps');
});

test('charts out of view are drawn once the run stops, for a full-page screenshot or a printout', async ({ page }) => {
  await page.goto(linkTo(smallBandit(40)));
  await waitForState(page, 'finished');
  const charts = page.getByTestId('chart');
  await expect(charts).not.toHaveCount(0);
  const visibility = await charts.evaluateAll((els) => els.map((e) => getComputedStyle(e).contentVisibility));
  expect(visibility.every((v) => v === 'visible')).toBe(true);
  // The last chart, far below the fold, has laid out its plot.
  const box = await charts.last().locator('svg[role="slider"]').boundingBox();
  expect(box?.height ?? 0).toBeGreaterThan(100);
});
