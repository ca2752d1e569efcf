// The main thread stays responsive while the worker trains: no task over 50 ms (the Long Tasks API), measured in
// the 'main-thread' project, which runs after the others so that no parallel browser competes for the CPU. Two
// presets: the bandit (charts and policy bars) and the diffusion teacher (thousands of points on canvases).
import { expect, test } from './fixtures';
import { choosePreset, waitForState } from './helpers';

/** Training time measured per preset. */
const WINDOW_MS = 5000;

for (const [preset, snapshotKind] of [
  ['dpo-bandit', 'bandit'],
  ['diffusion-ring8', 'points2d'],
] as const)
  test(`no main-thread task over 50 ms while training ${preset}`, async ({ page }) => {
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
    // The charts and the model state were updating meanwhile.
    await expect(page.locator('[data-chart="Loss"]')).toHaveAttribute('data-points', /^[1-9]\d+$/);
    await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', snapshotKind);
    const tasks = await page.evaluate(
      ([a, b]) =>
        (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter(
          (t) => t.start >= a && t.start <= b,
        ),
      [trainStart, trainEnd],
    );
    const longest = Math.max(0, ...tasks.map((t) => t.duration));

    const when = tasks.map((t) => `${Math.round(t.duration)} ms at +${Math.round(t.start - trainStart)} ms`).join(', ');
    console.log(
      `${preset}: long tasks on the main thread during ${Math.round(trainEnd - trainStart)} ms of training: ${tasks.length}` +
        `${when ? ` (${when})` : ''}, longest ${longest.toFixed(0)} ms (the Long Tasks API reports only tasks over 50 ms)`,
    );
    expect(longest, 'main-thread task over 50 ms while training').toBeLessThanOrEqual(50);
  });
