// The main thread stays responsive while the worker trains: no task over 50 ms (the Long Tasks API), measured in
// the 'main-thread' project, which runs after the others so that no parallel browser competes for the CPU.
import { expect, test } from './fixtures';
import { waitForState } from './helpers';

test('no main-thread task over 50 ms while training', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/');
  await waitForState(page, 'ready');
  const trainStart = await page.evaluate(() => performance.now());
  // Train until 150 steps are done, waiting inside the page: Playwright's own polling would run in the page too.
  const trainEnd = await page.evaluate(async () => {
    const progress = document.querySelector('[data-testid="progress"]')!;
    const train = document.querySelector<HTMLButtonElement>('[data-testid="train"]')!;
    train.click();
    await new Promise<void>((resolve) => {
      const obs = new MutationObserver(() => {
        if (Number(progress.getAttribute('data-done')) < 150) return;
        obs.disconnect();
        resolve();
      });
      obs.observe(progress, { attributes: true });
    });
    const end = performance.now();
    train.click();
    return end;
  });
  await waitForState(page, 'paused');
  // Every chart and the policy bars were updating meanwhile.
  await expect(page.locator('[data-chart="Loss"]')).toHaveAttribute('data-points', /^(1[5-9]\d|[2-9]\d\d)$/);
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'bandit');
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
    `long tasks on the main thread during ${Math.round(trainEnd - trainStart)} ms of training: ${tasks.length}` +
      `${when ? ` (${when})` : ''}, longest ${longest.toFixed(0)} ms (the Long Tasks API reports only tasks over 50 ms)`,
  );
  expect(longest, 'main-thread task over 50 ms while training').toBeLessThanOrEqual(50);
});
