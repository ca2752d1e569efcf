// The address bar is the experiment's link, and a shared link carries the results its run logged: opening it and
// training says whether this run reproduced them or where it drifted.
import type { Page } from '@playwright/test';
import { parseConfig, type ExperimentConfig } from '../../src/lab/config';
import { decodeResults, distinctDigits, encodeResults, type Fingerprint } from '../../src/lab/fingerprint';
import { findPreset } from '../../src/lab/presets';
import { decodeConfig, splitLink } from '../../src/lab/share';
import { expect, test } from './fixtures';
import { choosePreset, linkTo, smallBandit, waitForState } from './helpers';

/** The config the address bar holds, or the reason it holds none. */
function addressConfig(page: Page): ExperimentConfig | string {
  try {
    return decodeConfig(new URL(page.url()).hash);
  } catch (e) {
    return String(e);
  }
}

const presetConfig = (name: string) => parseConfig(structuredClone(findPreset(name)!.config));

test('the address bar holds the loaded experiment; a reload restores it, another tab opens it as a link', async ({
  page,
  context,
}) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await expect.poll(() => addressConfig(page)).toEqual(presetConfig('dpo-bandit'));

  await choosePreset(page, 'ipo-bandit');
  await expect.poll(() => addressConfig(page)).toEqual(presetConfig('ipo-bandit'));

  await page.getByText('Configuration').click();
  const beta = page.locator('[id="cfg-stages.0.beta"]');
  await beta.fill('0.25');
  await beta.press('Tab');
  // An edit not applied yet is not the run's experiment: the address still holds the loaded one.
  expect(addressConfig(page)).toEqual(presetConfig('ipo-bandit'));
  await page.getByRole('button', { name: 'Apply and reset the run' }).click();
  const applied = presetConfig('ipo-bandit');
  applied.stages[0] = { ...applied.stages[0], beta: 0.25 } as (typeof applied.stages)[0];
  await expect.poll(() => addressConfig(page)).toEqual(applied);
  await waitForState(page, 'ready');
  const address = page.url();

  // A reload of the page's own address keeps the experiment and the preset it came from, ready to train: it is
  // not a link opened from elsewhere, so no note and no training.
  await page.reload();
  await waitForState(page, 'ready');
  await expect(page.getByTestId('preset')).toHaveValue('ipo-bandit');
  await expect(page.locator('[id="cfg-stages.0.beta"]')).toHaveValue('0.25');
  await expect(page.getByTestId('link-note')).toHaveCount(0);
  await expect(page.getByTestId('link-error')).toHaveCount(0);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '0');
  expect(page.url()).toBe(address);

  // The same address copied into another tab is a shared link: it says what it is and trains.
  const other = await context.newPage();
  await other.goto(address);
  await expect(other.getByTestId('link-note')).toHaveText(/Opened from a shared link: ipo-bandit with beta 0\.25\./);
  await waitForState(other, 'running');
  expect(addressConfig(other)).toEqual(applied);
  await other.close();
});

/** Open a short run from its link (which trains), let it finish, and return its Share link with results. */
async function sharedRun(page: Page): Promise<string> {
  await page.goto(linkTo(smallBandit(40)));
  await waitForState(page, 'finished');
  await page.getByRole('button', { name: 'Share link' }).click();
  await expect(page.locator('label', { has: page.getByTestId('share-url') })).toContainText(
    'checks the run against this one’s results at 4 logged steps',
  );
  const url = await page.getByTestId('share-url').inputValue();
  expect(url).toContain('.r1.');
  // The address bar holds the config only: the results travel with the Share link.
  expect(splitLink(new URL(page.url()).hash).results).toBeNull();
  return url;
}

test('a link with its results says "reproduced" when rerun on the same machine', async ({ page, context }) => {
  const url = await sharedRun(page);
  const other = await context.newPage();
  await other.goto(url);
  const check = other.getByTestId('results-check');
  await expect(check).toHaveAttribute('data-state', 'pending');
  await expect(check).toHaveAttribute('data-state', 'reproduced', { timeout: 60_000 });
  await expect(check).toContainText('Reproduced (worst difference 0%).');
  await expect(check).toContainText(/This run: WebGPU on \S.*; the link’s run: WebGPU on \S/);
});

test('a link whose expected value was edited says "drifted", naming step, metric and values', async ({
  page,
  context,
}) => {
  const url = await sharedRun(page);
  const { config, results } = splitLink(new URL(url).hash);
  const fp: Fingerprint = decodeResults(results!);
  // The second logged step's first metric, 10% off.
  const point = fp.points[1];
  const [metric, value] = Object.entries(point.values)[0];
  const wrong = Math.fround(value * 1.1);
  (point.values as Record<string, number>)[metric] = wrong;
  const [actual, expected] = distinctDigits(value, wrong);

  const other = await context.newPage();
  await other.goto(`/${config}.${encodeResults(fp)}`);
  const check = other.getByTestId('results-check');
  await expect(check).toHaveAttribute('data-state', 'drifted', { timeout: 60_000 });
  await expect(check).toContainText(`Drifted at step ${point.step}: ${metric} ${actual} vs ${expected} expected.`);
  await expect(check).toContainText(/This run: WebGPU on \S.*; the link’s run: WebGPU on \S/);
  await waitForState(other, 'finished');
  await expect(check).toHaveAttribute('data-state', 'drifted');

  // Results damaged in transit are said, and the experiment still opens and trains.
  const part = encodeResults(fp);
  const at = part.length - 10;
  await other.goto(`/${config}.${part.slice(0, at)}${part[at] === 'A' ? 'B' : 'A'}${part.slice(at + 1)}`);
  await expect(other.getByTestId('results-error')).toContainText(
    'The link’s expected results cannot be checked: this link is damaged: a character was changed',
  );
  await expect(other.getByTestId('link-note')).toContainText('Opened from a shared link');
  await waitForState(other, 'finished');
  await expect(other.getByTestId('results-check')).toHaveCount(0);
});
