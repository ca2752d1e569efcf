// Your own labels on the bandit: judge pairs by keyboard, train on them and see the policy move their way; the
// labels survive a reload, travel as TRL JSONL into a fresh browser and in the share link, and give the same run
// there; a full storage quota keeps them in the page; a bad import line is named.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { fromCsv } from '../../src/app/export';
import { expect, test } from './fixtures';
import { download, linkTo, waitForState } from './helpers';

/** A bandit small enough for SwiftShader: 3 prompts of 8 responses, 120 steps. */
const world = linkTo({
  seed: 7,
  world: { kind: 'bandit', prompts: 3, responses: 8, rewardScale: 4, pairs: 512 },
  stages: [{ kind: 'preference', steps: 120, batch: 32, beta: 0.5, optimizer: { lr: 0.05 } }],
  metrics: { every: 10 },
});

const count = (page: Page) => page.getByTestId('label-count');

/**
 * Judge `n` pairs by keyboard with a rule of one's own, whatever the hint says: the lower response id is better.
 * Each verdict waits for the counter, so no key is pressed on a pair before it is shown.
 */
async function labelByLowerId(page: Page, n: number): Promise<void> {
  const judge = page.getByTestId('judge');
  const start = Number(await count(page).getAttribute('data-count'));
  await judge.focus();
  for (let i = 1; i <= n; i++) {
    const left = Number(await page.getByTestId('judge-left').getAttribute('data-response'));
    const right = Number(await page.getByTestId('judge-right').getAttribute('data-response'));
    expect(left).not.toBe(right);
    await page.keyboard.press(left < right ? 'ArrowLeft' : 'ArrowRight');
    await expect(count(page)).toHaveAttribute('data-count', String(start + i));
  }
}

async function trainOnLabels(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Train on my labels' }).click();
  await expect(page.getByTestId('label-run')).toHaveText('This run trains on 30 labels given by hand.');
  await waitForState(page, 'finished');
  return (await download(page, 'Export CSV')).text;
}

test('30 labels by keyboard train the policy toward them, and travel as JSONL and in the link', async ({
  page,
  browser,
}) => {
  await page.goto(world);
  await waitForState(page, 'finished');
  await expect(count(page)).toHaveAttribute('data-count', '0');

  // Skip and tie are keys too: a skip records nothing, a tie is counted and not trained on; Undo takes it back.
  await page.getByTestId('judge').focus();
  await page.keyboard.press('s');
  await expect(count(page)).toHaveAttribute('data-count', '0');
  await page.keyboard.press('ArrowDown');
  await expect(count(page)).toHaveAttribute('data-ties', '1');
  await page.getByRole('button', { name: 'Undo the last label' }).click();
  await expect(count(page)).toHaveAttribute('data-count', '0');

  await labelByLowerId(page, 30);
  await expect(count(page)).toHaveText(/30 labels/);
  // A rule that ignores the reward agrees with it about half the time, and implies many flips.
  const agreement = Number(await page.getByTestId('label-agreement').getAttribute('data-value'));
  expect(agreement).toBeGreaterThan(0.1);
  expect(agreement).toBeLessThan(0.9);
  expect(Number(await page.getByTestId('label-flip-rate').getAttribute('data-value'))).toBeGreaterThan(0.1);

  const axe = await new AxeBuilder({ page })
    .include('[aria-labelledby="labels-title"]')
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  const csv = await trainOnLabels(page);
  const rows = fromCsv(csv);
  const last = rows[rows.length - 1];
  expect(last.step).toBe(120);
  expect(last['rewards/margins']).toBeGreaterThan(0);
  expect(last['rewards/accuracies']).toBeGreaterThan(0.6);
  // The share of the training pairs the policy ranks right (a period metric, on the rows that have it) rises.
  const ranking = rows.flatMap((r) => (r['ranking/accuracy'] === undefined ? [] : [r['ranking/accuracy']]));
  expect(ranking.length).toBeGreaterThan(1);
  expect(ranking[ranking.length - 1]).toBeGreaterThan(ranking[0]);
  // The policy ranks the labelled side (the lower id) first in nearly all the labels, and in no fewer than the
  // reference does (which ranks some share of them that way by chance: the pairs are random).
  const ranked = page.getByTestId('label-ranked');
  const reference = Number(await ranked.getAttribute('data-reference'));
  const policy = Number(await ranked.getAttribute('data-policy'));
  expect(policy).toBeGreaterThanOrEqual(0.9);
  expect(policy).toBeGreaterThanOrEqual(reference);

  // A reload loses no label.
  await page.reload();
  await expect(count(page)).toHaveAttribute('data-count', '30');

  // The labels as TRL preference JSONL, one record per label.
  const jsonl = await download(page, 'Export labels (JSONL)');
  const lines = jsonl.text.trim().split('\n');
  expect(lines).toHaveLength(30);
  for (const line of lines) {
    const r = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(r)).toEqual(['prompt', 'chosen', 'rejected']);
    expect(r.prompt).toMatch(/^prompt [0-2]$/);
    const [c, j] = [r.chosen, r.rejected].map((s) => Number(/^response ([0-7])$/.exec(s)![1]));
    expect(c).toBeLessThan(j);
  }

  // A fresh browser (no stored labels) imports them and trains the same run.
  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(world);
    await waitForState(other, 'finished');
    await expect(count(other)).toHaveAttribute('data-count', '0');
    await other.getByTestId('label-import').setInputFiles(jsonl.path);
    await expect(other.getByTestId('label-import-note')).toContainText('Read 30 labels');
    await expect(count(other)).toHaveAttribute('data-count', '30');
    expect(await trainOnLabels(other)).toBe(csv);

    // The run's share link carries the labels: opened elsewhere, it trains the same run.
    await other.getByRole('button', { name: 'Share link' }).click();
    const url = await other.getByTestId('share-url').inputValue();
    // A browser that has no labels of its own.
    const third = await (await browser.newContext()).newPage();
    await third.goto(url);
    await waitForState(third, 'finished');
    // It says what it trains on, and its labels become this browser's on request.
    await expect(third.getByTestId('label-run')).toContainText('This run trains on 30 labels given by hand.');
    await third.getByRole('button', { name: 'Add them to your labels' }).click();
    await expect(count(third)).toHaveAttribute('data-count', '30');
    await expect(third.getByRole('button', { name: 'Add them to your labels' })).toHaveCount(0);
    expect((await download(third, 'Export CSV')).text).toBe(csv);
    await third.context().close();
  } finally {
    await fresh.close();
  }
});

test('the flip rate the labels imply becomes robust DPO’s assumed flip rate', async ({ page }) => {
  await page.goto(world);
  await waitForState(page, 'finished');
  await labelByLowerId(page, 12);
  const implied = Number(await page.getByTestId('label-flip-rate').getAttribute('data-value'));
  const use = page.getByRole('button', { name: /as robust DPO's assumed flip rate/ });
  const assumed = Number(/Use ([\d.]+) as/.exec((await use.textContent()) ?? '')![1]);
  expect(assumed).toBeCloseTo(Math.min(0.49, implied), 3);
  await use.click();
  await page.locator('summary', { hasText: 'Configuration' }).click();
  await expect(page.locator('[id="cfg-stages.0.lossType"]')).toHaveValue('robust');
  await expect(page.locator('[id="cfg-stages.0.labelSmoothing"]')).toHaveValue(String(assumed));
  await waitForState(page, 'ready');
});

test('pairs are asked actively, and a simulation says how many labels random and active choice need', async ({
  page,
}) => {
  await page.goto(world);
  await waitForState(page, 'finished');
  await page.getByTestId('label-source').selectOption('active');
  await labelByLowerId(page, 3);
  await page.locator('summary', { hasText: 'Which pair to ask next' }).click();
  await page.getByRole('button', { name: 'Compare on this bandit' }).click();
  const at80 = page.locator('[data-testid="label-compare"] tr[data-target="0.8"]');
  await expect(at80).toHaveAttribute('data-active', /^\d+$/);
  const active = Number(await at80.getAttribute('data-active'));
  const random = Number((await at80.getAttribute('data-random')) || Infinity);
  expect(active).toBeLessThan(random);
});

test('a full storage quota keeps the labels in the page for export, and saves them once there is room', async ({
  page,
}) => {
  // A full disk surfaces in IndexedDB as the write's transaction aborting with a QuotaExceededError.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = put.apply(this, args);
      if ((window as unknown as { __storageFull?: boolean }).__storageFull) {
        const error = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        Object.defineProperty(this.transaction, 'error', { value: error });
        this.transaction.abort();
      }
      return request;
    };
  });
  await page.goto(world);
  await waitForState(page, 'finished');
  await labelByLowerId(page, 3);
  await page.evaluate(() => ((window as unknown as { __storageFull?: boolean }).__storageFull = true));
  await labelByLowerId(page, 2);
  const alert = page.getByTestId('label-storage-error');
  await expect(alert).toContainText('no room left to save labels (storage quota exceeded)');
  await expect(alert).toHaveAttribute('data-unsaved', '2');
  // Every label is still in the page, and exports.
  expect((await download(page, 'Export labels (JSONL)')).text.trim().split('\n')).toHaveLength(5);

  // Room again: the next label saves the two kept in the page too.
  await page.evaluate(() => ((window as unknown as { __storageFull?: boolean }).__storageFull = false));
  await labelByLowerId(page, 1);
  await expect(alert).toHaveCount(0);
  await page.reload();
  await expect(count(page)).toHaveAttribute('data-count', '6');
});

test('an import names each bad line and keeps the good ones', async ({ page }) => {
  await page.goto(world);
  await waitForState(page, 'finished');
  const text = [
    '{"prompt":"prompt 0","chosen":"response 1","rejected":"response 2"}',
    '{"prompt":"prompt 0","chosen":"response 9","rejected":"response 2"}',
    'oops',
    '{"prompt":"prompt 2","chosen":"response 7","rejected":"response 0"}',
  ].join('\n');
  await page
    .getByTestId('label-import')
    .setInputFiles({ name: 'mine.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });
  await expect(page.getByTestId('label-import-note')).toHaveText('Read 2 labels from mine.jsonl; 2 bad lines skipped.');
  await expect(page.getByTestId('label-import-errors')).toContainText(
    'line 2: response 9 is not one of the 8 responses of this bandit',
  );
  await expect(page.getByTestId('label-import-errors')).toContainText('line 3: not a JSON object');
  await expect(count(page)).toHaveAttribute('data-count', '2');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test('the labels card fits the screen and takes taps', async ({ page }) => {
    await page.goto(world);
    await waitForState(page, 'finished');
    await page.getByTestId('judge-left').tap();
    await page.getByTestId('judge-right').tap();
    await expect(count(page)).toHaveAttribute('data-count', '2');
    await page.getByTestId('label-source').selectOption('active');
    await page.locator('summary', { hasText: 'Which pair to ask next' }).tap();
    await page.getByRole('button', { name: 'Compare on this bandit' }).tap();
    await expect(page.getByTestId('label-compare')).toBeVisible();
    const past = await page.locator('[aria-labelledby="labels-title"]').evaluate((card) => {
      const width = window.innerWidth;
      return [card, ...card.querySelectorAll('*')]
        .filter((e) => e.getBoundingClientRect().right > width + 0.5)
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${e.getBoundingClientRect().right})`);
    });
    expect(past).toEqual([]);
  });
});
