// The playground end to end on WebGPU (SwiftShader): train a preset, share links, saved runs, export and import.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';
import { findPreset } from '../../src/lab/presets';
import { csvLines, download, linkTo, smallBandit, waitForState } from './helpers';

test('trains a preset: every chart gains points, pause stops, Step adds one metric period', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('preset')).toHaveValue('dpo-bandit');
  await expect(page.getByTestId('watch')).toContainText('implicit reward');
  await expect(page.locator('[data-testid="watch"] .katex').first()).toBeVisible();
  await waitForState(page, 'ready');

  await page.getByTestId('train').click();
  await waitForState(page, 'running');
  const charts = page.getByTestId('chart');
  await expect(charts.first()).toBeVisible();
  // Wait for a few metric periods on every chart.
  await expect
    .poll(
      async () =>
        Math.min(...(await charts.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points')))))),
      {
        timeout: 60_000,
      },
    )
    .toBeGreaterThanOrEqual(3);
  const names = await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-chart')));
  expect(names).toEqual(expect.arrayContaining(['Loss', 'Implicit rewards', 'Reward margin', 'KL']));
  const before = await charts.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points'))));
  await expect
    .poll(async () => charts.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points')))), {
      timeout: 60_000,
    })
    .toEqual(before.map(() => expect.any(Number)));
  // Space pauses when focus is not in a field.
  await page.locator('h1').click();
  await page.keyboard.press('Space');
  await waitForState(page, 'paused');
  const after = await charts.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points'))));
  after.forEach((n, i) => expect(n).toBeGreaterThan(before[i] - 1));

  const done = Number(await page.getByTestId('progress').getAttribute('data-done'));
  await page.waitForTimeout(300);
  expect(Number(await page.getByTestId('progress').getAttribute('data-done'))).toBe(done);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', String(done + 10));
  const loss = page.locator('[data-chart="Loss"]');
  await expect(loss).toHaveAttribute('data-points', String(after[names.indexOf('Loss')] + 10));
  // The bandit's policy bars per prompt.
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'bandit');
  await expect(page.getByRole('img', { name: /^Prompt 0:/ })).toBeVisible();

  // Every control has an accessible name, charts and bars included.
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`)).toEqual([]);
});

test('a share link reruns exactly the same config with the same metrics', async ({ page, context }) => {
  await page.goto(linkTo(smallBandit(60)));
  await waitForState(page, 'finished');
  const first = await download(page, 'Export CSV');
  expect(csvLines(first.text)).toHaveLength(61);

  await page.getByRole('button', { name: 'Share link' }).click();
  const url = await page.getByTestId('share-url').inputValue();
  expect(url).toContain('#v2.');

  const other = await context.newPage();
  await other.goto(url);
  await waitForState(other, 'finished');
  await expect(other.getByTestId('progress')).toHaveAttribute('data-done', '60');
  const second = await download(other, 'Export CSV');
  expect(second.text).toBe(first.text);
});

test('a share link says what it is: the nearest preset and what differs from it', async ({ page }) => {
  const preset = findPreset('dpo-bandit')!;
  const cfg = structuredClone(preset.config);
  cfg.stages = [{ ...cfg.stages[0], beta: 2, steps: 60 } as (typeof cfg.stages)[0]];
  await page.goto(linkTo(cfg));
  const note = page.getByTestId('link-note');
  await expect(note).toHaveText(/Opened from a shared link: dpo-bandit with steps 60 and beta 2\./);
  const picker = page.getByTestId('preset');
  await expect(picker).toHaveValue('');
  await expect(picker.locator('option:checked')).toHaveText(`${preset.title} (modified)`);
  await waitForState(page, 'finished');
  await note.getByRole('button', { name: 'Dismiss' }).click();
  await expect(note).toHaveCount(0);

  // A config no preset is near is said to be a custom experiment on its world.
  await page.goto('/');
  await page.goto(linkTo({ ...smallBandit(20), stages: [smallBandit(10).stages[0], smallBandit(10).stages[0]] }));
  await page.reload();
  await expect(note).toHaveText(/Opened from a shared link: a custom experiment on the bandit world\./);
  await expect(picker.locator('option:checked')).toHaveText('Custom (from a link, a saved run or an import)');
  await waitForState(page, 'finished');

  // Picking a preset leaves the link behind, and its note with it.
  await picker.selectOption('ipo-bandit');
  await expect(note).toHaveCount(0);
});

test('a bad link says what is wrong and shows the default page', async ({ page }) => {
  await page.goto('/#v1.AAAA-this-is-not-a-config');
  await expect(page.getByTestId('link-error')).toContainText(
    'This share link could not be opened: the link is damaged',
  );
  await expect(page.getByTestId('link-note')).toHaveCount(0);
  await expect(page.getByTestId('preset')).toHaveValue('dpo-bandit');
  await waitForState(page, 'ready');

  await page.goto('/#hello');
  await page.reload();
  await expect(page.getByTestId('link-error')).toContainText('this is not a PrefLab share link');
});

test('a saved run survives a reload; an exported bundle imports as the same run', async ({ page }) => {
  await page.goto(linkTo(smallBandit(40)));
  await waitForState(page, 'finished');
  const csv = await download(page, 'Export CSV');
  // The final weights: the policy logits [3, 8] without the GPU's alignment padding, base64 of little-endian floats.
  const weightsOf = (text: string) => JSON.parse(text).weights as { name: string; length: number; base64: string }[];
  const trained = weightsOf((await download(page, 'Export run bundle')).text);
  expect(trained.map((w) => w.name)).toEqual(['policy']);
  expect(trained[0].length).toBe(24);
  expect(Buffer.from(trained[0].base64, 'base64').length).toBe(trained[0].length * 4);
  await page.getByRole('button', { name: 'Save this run' }).click();
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  const name = await page.getByTestId('saved-run-name').textContent();
  const size = await page.getByTestId('saved-run-weights').textContent();
  expect(size).toMatch(/^weights \d/);

  await page.goto('/');
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  await expect(page.getByTestId('saved-run-name')).toHaveText(name ?? '');
  await expect(page.getByTestId('saved-run-weights')).toHaveText(size ?? '');
  await page.getByRole('button', { name: `Open ${name}` }).click();
  await expect(page.getByTestId('charts')).toHaveAttribute('data-rows', '40');
  expect((await download(page, 'Export CSV')).text).toBe(csv.text);

  // Compare: the saved run overlaid on the same charts as the open one.
  await page.getByLabel(`Compare ${name} on the charts`).check();
  const legend = page.locator('[data-chart="Loss"] .legend');
  await expect(legend).toContainText('policy · this run');
  await expect(legend).toContainText(`policy · ${name}`);
  await expect(page.locator('[data-chart="Loss"]')).toHaveAttribute('data-points', '80');
  await page.getByLabel(`Compare ${name} on the charts`).uncheck();

  // Rename keeps the run under its key.
  await page.getByRole('button', { name: `Rename ${name}` }).click();
  await page.getByLabel('New name').fill('my first run');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByTestId('saved-run-name')).toHaveText('my first run');

  const bundle = await download(page, 'Export run bundle');
  // The saved run's weights, not the fresh ones of its reloaded config.
  expect(weightsOf(bundle.text)).toEqual(trained);
  await page.getByRole('button', { name: 'Delete my first run' }).click();
  await expect(page.getByTestId('saved-run')).toHaveCount(0);

  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByTestId('import').setInputFiles(bundle.path);
  await expect(page.getByTestId('charts')).toHaveAttribute('data-rows', '40');
  expect((await download(page, 'Export CSV')).text).toBe(csv.text);
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'bandit');
  expect(weightsOf((await download(page, 'Export run bundle')).text)).toEqual(trained);

  // A file that is not a bundle is refused with a reason.
  await page
    .getByTestId('import')
    .setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"other"}') });
  await expect(page.getByTestId('storage-error')).toContainText('Import failed: the file is not a PrefLab run bundle');
});

test('the CPU backend can be forced in the settings', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByLabel('Force the CPU backend').check();
  await expect(page.getByTestId('backend-kind')).toHaveText('CPU');
  await expect(page.getByTestId('backend-reason')).toContainText('CPU backend forced in the settings');
  await waitForState(page, 'ready');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '10');
  await page.reload();
  await expect(page.getByTestId('backend-kind')).toHaveText('CPU');
  await page.getByLabel('Force the CPU backend').uncheck();
  await expect(page.getByTestId('backend-kind')).toHaveText('WebGPU');
});
