// Lessons as a student takes them, by accessible names only: open each from the list on the front page, commit to a
// prediction (Run waits for one), run, read the explanation, and check that every number it quotes is the run's own:
// recomputed from the CSV each run exports. The cpu-fallback project runs them (playwright.config.ts says why). With
// PREFLAB_LESSON_SCREENSHOTS=1 it also writes docs/lesson-N.png.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { LESSONS, type Lesson } from '../../src/lab/lessons';
import { expect, test } from './fixtures';
import { expectFits } from './fits';
import { download, waitForState } from './helpers';

/** A CSV export as rows of cells by column name (an empty cell: the metric was not logged at that step). */
function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const columns = head.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
}

async function openLesson(page: Page, lesson: Lesson): Promise<void> {
  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByRole('button', { name: `Lesson ${lesson.number}: ${lesson.title}` }).click();
  await expect(page.getByRole('heading', { level: 2, name: lesson.title })).toBeFocused();
}

/** Predict, check that Run waited for the prediction, run, and wait for the explanation. */
async function predictAndRun(page: Page, lesson: Lesson, choice: string): Promise<void> {
  const run = page.getByRole('button', { name: 'Run', exact: true });
  await expect(run).toBeDisabled();
  await page.getByRole('group', { name: lesson.question }).getByRole('radio', { name: choice }).check();
  await run.click();
  await expect(page.getByRole('radio', { name: choice })).toBeDisabled();
  // Each run trains the lesson's presets in full: minutes on a loaded machine, never a tight limit.
  await expect(page.getByRole('heading', { name: 'What the run showed' })).toBeVisible({ timeout: 300_000 });
}

/** Every figure of the explanation is quoted in its text, and is the mean of the exported rows over its steps. */
async function checkFigures(page: Page, lesson: Lesson): Promise<void> {
  const explanation = page.getByTestId('explanation');
  const text = await explanation.getByTestId('explanation-text').innerText();
  const csvs: Record<string, string>[][] = [];
  for (const r of lesson.runs) {
    const name = lesson.runs.length > 1 ? `Export the ${r.label} run as CSV` : 'Export the run as CSV';
    csvs.push(parseCsv((await download(page, name)).text));
  }
  const figures = explanation.getByTestId('figure');
  const n = await figures.count();
  expect(n).toBeGreaterThan(3);
  for (let i = 0; i < n; i++) {
    const f = figures.nth(i);
    const [run, stage, metric, from, to, value] = await Promise.all(
      ['data-run', 'data-stage', 'data-metric', 'data-from', 'data-to', 'data-value'].map(
        async (a) => (await f.getAttribute(a))!,
      ),
    );
    const shown = (await f.getByTestId('figure-value').innerText()).trim();
    const rows = csvs[Number(run)].filter(
      (r) => r.stage === stage && Number(r.step) >= Number(from) && Number(r.step) <= Number(to) && r[metric] !== '',
    );
    expect(rows.length, `${metric} over steps ${from}-${to}`).toBeGreaterThan(0);
    const mean = rows.reduce((s, r) => s + Number(r[metric]), 0) / rows.length;
    expect(Math.abs(Number(value) - mean), `${metric}: the figure's value`).toBeLessThanOrEqual(1e-9 * Math.abs(mean));
    // Three significant digits: within half a unit of the third.
    expect(Math.abs(Number(shown) - mean), `${metric}: shown as ${shown}`).toBeLessThanOrEqual(0.0051 * Math.abs(mean));
    expect(text, `the explanation quotes ${metric} = ${shown}`).toContain(shown);
  }
}

test.use({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });

for (const lesson of LESSONS) {
  // Odd lessons get the paper's answer, even ones another choice: both verdicts are seen.
  const right = lesson.number % 2 === 1;
  const choice = right
    ? lesson.choices.find((c) => c.id === lesson.answer)!
    : lesson.choices.find((c) => c.id !== lesson.answer)!;

  test(`lesson ${lesson.number}: predict, run, and the explanation quotes the run's numbers`, async ({ page }) => {
    test.setTimeout(600_000);
    await openLesson(page, lesson);
    await expect(page.getByRole('link', { name: lesson.paper.title })).toHaveAttribute(
      'href',
      `https://arxiv.org/abs/${lesson.paper.arxiv}`,
    );
    await predictAndRun(page, lesson, choice.text);

    const verdict = page.getByTestId('verdict');
    await expect(verdict).toContainText(right ? 'Right.' : 'Not this time.');
    await expect(verdict).toContainText(choice.text);
    const charts = page.getByTestId('lesson-charts');
    for (const chart of lesson.charts) await expect(charts.locator(`[data-chart="${chart}"]`)).toBeVisible();
    await checkFigures(page, lesson);
    const axe = await new AxeBuilder({ page })
      .include('[data-testid="lesson"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`)).toEqual([]);

    if (process.env.PREFLAB_LESSON_SCREENSHOTS) {
      await page.getByRole('heading', { name: 'What the run showed' }).scrollIntoViewIfNeeded();
      await page.getByTestId('lesson').screenshot({ path: `docs/lesson-${lesson.number}.png` });
    }

    // The list says what the student did, and says it again after a reload (kept in this browser).
    await page.getByRole('button', { name: 'All lessons' }).first().click();
    const item = page.getByRole('listitem').filter({ hasText: `Lesson ${lesson.number}: ${lesson.title}` });
    const standing = right ? 'and the run bore it out' : 'and the run showed otherwise';
    await expect(item).toContainText(`Done: you predicted “${choice.text}”, ${standing}`);
    await page.reload();
    await expect(item).toContainText(`Done: you predicted “${choice.text}”, ${standing}`);
  });
}

test('a full storage quota keeps the progress for this visit only, and the lesson goes on', async ({ page }) => {
  test.setTimeout(600_000);
  // A full disk surfaces in IndexedDB as the write's transaction aborting with a QuotaExceededError.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = put.apply(this, args);
      if (this.name === 'progress') {
        const error = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        Object.defineProperty(this.transaction, 'error', { value: error });
        this.transaction.abort();
      }
      return request;
    };
  });
  const lesson = LESSONS[0];
  const choice = lesson.choices.find((c) => c.id === lesson.answer)!;
  await openLesson(page, lesson);
  await predictAndRun(page, lesson, choice.text);
  await expect(page.getByTestId('progress-notice')).toHaveText(
    'The browser has no room left to keep lesson progress (storage quota exceeded): it is kept for this visit only.',
  );
  await expect(page.getByTestId('verdict')).toContainText('Right.');

  await page.getByRole('button', { name: 'All lessons' }).first().click();
  const item = page.getByRole('listitem').filter({ hasText: `Lesson ${lesson.number}: ${lesson.title}` });
  await expect(item).toContainText(`Done: you predicted “${choice.text}”, and the run bore it out`);
  await page.reload();
  await expect(item).toContainText('Not started');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the lesson view runs past no edge, at the question and at the explanation', async ({ page }) => {
    test.setTimeout(600_000);
    const lesson = LESSONS[0];
    await openLesson(page, lesson);
    await expectFits(page, 'at the question of a lesson');
    await predictAndRun(page, lesson, lesson.choices[0].text);
    await expectFits(page, 'at the explanation of a lesson');
  });
});
