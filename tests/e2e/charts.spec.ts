// Charts that explain themselves, on a two-stage preset (distillation, shortened): a rule and a name where each stage
// starts, a line per model, a note with its formula, a summary in words, and a read-out by keys and by touch.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import type { ExperimentInput } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';
import { expect, test } from './fixtures';
import { linkTo, waitForState } from './helpers';

/** distill-forward-kl with 60 steps of SFT and 40 of distillation, read back every 10 steps: two stages in seconds. */
function shortDistill(): ExperimentInput {
  const cfg = structuredClone(findPreset('distill-forward-kl')!.config) as {
    stages: { steps: number }[];
    metrics: { every: number };
  };
  cfg.stages[0].steps = 60;
  cfg.stages[1].steps = 40;
  cfg.metrics.every = 10;
  return cfg as ExperimentInput;
}

/** Open the short run's link (a link trains at once) and wait until it has finished. */
async function trained(page: Page): Promise<void> {
  await page.goto(linkTo(shortDistill()));
  await waitForState(page, 'finished', 150_000);
  await expect(page.getByTestId('charts')).toHaveAttribute('data-rows', '100');
}

test('each stage start has its rule and name; a metric that changes model is two named lines', async ({ page }) => {
  test.setTimeout(240_000);
  await trained(page);
  const nll = page.locator('[data-chart="Held-out NLL"]');
  await nll.scrollIntoViewIfNeeded();
  const marks = nll.getByTestId('stage-mark');
  await expect(marks).toHaveCount(2);
  await expect(marks.nth(0)).toHaveAttribute('data-stage', 'sft');
  await expect(marks.nth(1)).toHaveAttribute('data-stage', 'distill');
  await expect(marks.nth(1)).toHaveText('distill');
  const legend = nll.locator('.legend');
  await expect(legend).toContainText('nll/model · teacher');
  await expect(legend).toContainText('nll/model · student');
  // A metric only the second stage logs: its axis starts at that stage, with its rule.
  const agreement = page.locator('[data-chart="Agreement"]');
  await expect(agreement.getByTestId('stage-mark')).toHaveCount(1);
  await expect(agreement.getByTestId('stage-mark')).toHaveText('distill');

  // What the chart is, with its formula set by KaTeX, and what its data did, in words.
  await expect(nll.getByTestId('chart-note')).toContainText('negative log-likelihood');
  await expect(nll.getByTestId('chart-note').locator('.katex').first()).toBeVisible();
  const summary = nll.getByTestId('chart-summary');
  await expect(summary).toContainText(/nll\/model · teacher (rose|fell|went|held) .* over steps 10 to 60\./);
  await expect(summary).toContainText(/nll\/model · student .* over steps 70 to 100\./);
  const describedBy = (await nll.getByRole('slider').getAttribute('aria-describedby'))!.split(' ');
  await expect(page.locator(`[id="${describedBy[1]}"]`)).toHaveText(await summary.innerText());
  await expect(page.getByText('Hover the chart to read values')).toHaveCount(0);
});

test('the arrow keys move the read-out one logged step, Home and End to the ends', async ({ page }) => {
  test.setTimeout(240_000);
  await trained(page);
  const loss = page.locator('[data-chart="Loss"]');
  const readout = loss.getByTestId('readout');
  const slider = loss.getByRole('slider');
  await expect(readout).toHaveAttribute('data-latest', 'true');
  await expect(readout).toContainText('Latest, step 100 (distill)');
  // Focus holds the latest step, so a run training meanwhile does not change what a screen reader reads.
  await slider.focus();
  await expect(readout).toHaveAttribute('data-latest', 'false');
  await expect(readout).toHaveAttribute('data-step', '100');
  await page.keyboard.press('ArrowLeft');
  await expect(readout).toHaveAttribute('data-step', '99');
  await expect(slider).toHaveAttribute('aria-valuetext', /^Step 99 \(distill\): loss · student \d/);
  await page.keyboard.press('Home');
  await expect(readout).toHaveAttribute('data-step', '1');
  await expect(readout).toContainText('Step 1 (sft)');
  await expect(readout).toContainText('loss · teacher');
  await page.keyboard.press('ArrowRight');
  await expect(readout).toHaveAttribute('data-step', '2');
  await page.keyboard.press('End');
  await expect(readout).toHaveAttribute('data-step', '100');
  // The period metrics' chart stops only where they were logged.
  const nll = page.locator('[data-chart="Held-out NLL"]');
  await nll.getByRole('slider').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(nll.getByTestId('readout')).toHaveAttribute('data-step', '90');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(nll.getByTestId('readout')).toHaveAttribute('data-step', '60');
  // At the last step of sft the teacher is read out, not the student.
  await expect(nll.getByTestId('readout')).toContainText('nll/model · teacher');
  await expect(nll.getByTestId('readout')).not.toContainText('nll/model · student');

  // The EMA: a smoothed line over the faint raw one, both in the read-out.
  await page.getByRole('button', { name: /^Smooth the per-step lines of the Loss chart/ }).click();
  await expect(readout).toContainText(/loss · student \d\S* \(EMA \d/);
});

test.describe('on a phone', () => {
  test.use({ hasTouch: true, isMobile: true, viewport: { width: 390, height: 844 } });

  test('a tap on a chart shows the read-out of that step', async ({ page }) => {
    test.setTimeout(240_000);
    await trained(page);
    const loss = page.locator('[data-chart="Loss"]');
    const slider = loss.getByRole('slider');
    await slider.scrollIntoViewIfNeeded();
    const box = (await slider.boundingBox())!;
    await slider.tap({ position: { x: box.width * 0.3, y: box.height / 2 } });
    const readout = loss.getByTestId('readout');
    await expect(readout).toHaveAttribute('data-latest', 'false');
    await expect(readout).toContainText(/Step \d+ \(sft\): loss · teacher/);
  });
});

test('a known phenomenon in the run is marked on its chart and links to the lesson that explains it', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // The default DPO preset, shortened: its chosen and rejected log-probs both fall while the margin grows.
  const cfg = structuredClone(findPreset('dpo-bandit')!.config) as { stages: { steps: number }[] };
  cfg.stages[0].steps = 200;
  await page.goto(linkTo(cfg as ExperimentInput));
  await waitForState(page, 'finished', 150_000);
  const logps = page.locator('[data-chart="Log-probabilities"]');
  await logps.scrollIntoViewIfNeeded();
  const note = logps.getByTestId('phenomenon');
  await expect(note).toHaveAttribute('data-kind', 'both-logps-fall');
  await expect(note).toContainText(/Seen in this run, steps \d+ to 200: both log-probs fall\./);
  await expect(note.getByTestId('phenomenon-sentence')).toContainText(
    /^logps\/chosen fell from -\d\S* to -\d\S* and logps\/rejected from -\d\S* to -\d\S* while rewards\/margins rose to \d\S*: DPO only pushes the two apart/,
  );
  await expect(logps.getByTestId('phenomenon-band')).toHaveText('both log-probs fall');
  const axe = await new AxeBuilder({ page })
    .include('[data-chart="Log-probabilities"]')
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`)).toEqual([]);

  await note.getByRole('button', { name: 'Open the lesson that explains this' }).click();
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'both-logps-fall');
  // The lesson, which the page scrolled up to, at its question.
  await expect(
    page.getByRole('heading', { name: 'Why chosen and rejected log-probs can both fall while the margin grows' }),
  ).toBeInViewport();
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
});
