// `npm run bench:main-thread`: how responsive the page's main thread stays while the worker trains, by the Long Tasks
// API (tasks over 50 ms), for a bandit (charts and policy bars) and a diffusion teacher (thousands of points on
// canvases). A measurement, not a test: wall-clock times depend on what else the machine runs, so it reports them
// (and writes bench/results/main-thread-<date>.json) instead of asserting a bound. Run it on a quiet machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '../tests/e2e/fixtures';
import { choosePreset, waitForState } from '../tests/e2e/helpers';

/** Training time measured per preset. */
const WINDOW_MS = 5000;
/** The Long Tasks API's threshold: a task over it delays input by the excess ("total blocking time"). */
const LONG_MS = 50;

interface Measure {
  preset: string;
  trainedMs: number;
  steps: number;
  rows: number;
  longTasks: number;
  longestMs: number;
  blockingMs: number;
}

const measures: Measure[] = [];

for (const [preset, snapshotKind] of [
  ['dpo-bandit', 'bandit'],
  ['diffusion-ring8', 'points2d'],
] as const)
  test(`main-thread long tasks while training ${preset}`, async ({ page }) => {
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto('/');
    await waitForState(page, 'ready');
    await choosePreset(page, preset);
    await expect(page.getByTestId('train')).toBeEnabled();
    const trainStart = await page.evaluate(() => performance.now());
    // Train for the window (or to the end), waiting inside the page: Playwright's own polling would run in the page.
    const trainEnd = await page.evaluate(async (ms) => {
      const progress = document.querySelector('[data-testid="progress"]')!;
      const train = document.querySelector<HTMLButtonElement>('[data-testid="train"]')!;
      const t0 = performance.now();
      train.click();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (performance.now() - t0 < ms && progress.getAttribute('data-state') !== 'finished') return;
          clearInterval(timer);
          resolve();
        }, 50);
      });
      const end = performance.now();
      if (progress.getAttribute('data-state') === 'running') train.click();
      return end;
    }, WINDOW_MS);
    await expect(page.getByTestId('progress')).toHaveAttribute('data-state', /paused|finished/);
    // The charts and the model state were updating meanwhile: the window measured real work.
    await expect(page.locator('[data-chart="Loss"]')).toHaveAttribute('data-points', /^[1-9]\d+$/);
    await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', snapshotKind);
    const tasks = await page.evaluate(
      ([a, b]) =>
        (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter(
          (t) => t.start >= a && t.start <= b,
        ),
      [trainStart, trainEnd],
    );
    const m: Measure = {
      preset,
      trainedMs: Math.round(trainEnd - trainStart),
      steps: Number(await page.getByTestId('progress').getAttribute('data-done')),
      rows: Number(await page.getByTestId('charts').getAttribute('data-rows')),
      longTasks: tasks.length,
      longestMs: Math.round(Math.max(0, ...tasks.map((t) => t.duration))),
      blockingMs: Math.round(tasks.reduce((s, t) => s + t.duration - LONG_MS, 0)),
    };
    measures.push(m);
    const when = tasks.map((t) => `${Math.round(t.duration)} ms at +${Math.round(t.start - trainStart)} ms`).join(', ');
    console.log(
      `${preset}: ${m.steps} steps, ${m.rows} metric rows in ${m.trainedMs} ms; ${m.longTasks} main-thread tasks over ` +
        `${LONG_MS} ms${when ? ` (${when})` : ''}; longest ${m.longestMs} ms; total blocking time ${m.blockingMs} ms`,
    );
  });

test.afterAll(({ browser }) => {
  if (!measures.length) return;
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}main-thread-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ browser: browser.version(), windowMs: WINDOW_MS, measures }, null, 2) + '\n');
  console.log(`written: ${file}`);
});
