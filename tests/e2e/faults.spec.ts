// Faults injected from outside, the way real ones arrive: a diverging metric, a lost GPU device, a crashed worker,
// a full storage quota and a config the schema refuses. Each must end in a clear message and a page that still works.
import type { Page, Worker } from '@playwright/test';
import { decodeConfig } from '../../src/lab/share';
import { expect, test } from './fixtures';
import { csvLines, download, linkTo, smallBandit, waitForState } from './helpers';

/** Tests that inject their fault into WebGPU objects: the cpu-fallback project leaves them out (by this tag). */
const GPU = { tag: '@gpu' };

/** Long enough that the run is still training whenever a fault is injected. */
const LONG_RUN = smallBandit(100_000);

/** The engine worker the page runs now (the app has exactly one). */
function engineWorker(page: Page): Worker {
  const workers = page.workers().filter((w) => /trainer\.worker/.test(w.url()));
  expect(workers).toHaveLength(1);
  return workers[0];
}

const lossPoints = async (page: Page): Promise<number> =>
  Number(await page.locator('[data-chart="Loss"]').getAttribute('data-points'));

/** Open a long run from its link (which starts training) and wait until the Loss chart has a few points. */
async function trainLongRun(page: Page): Promise<void> {
  await page.goto(linkTo(LONG_RUN));
  await waitForState(page, 'running');
  await expect.poll(() => lossPoints(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(30);
}

/** After a restart or a reset: training runs again and the charts grow from step 0, with no message left over. */
async function trainsAgain(page: Page): Promise<void> {
  await waitForState(page, 'ready');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '0');
  await page.getByTestId('train').click();
  await waitForState(page, 'running');
  await expect.poll(() => lossPoints(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(30);
  await page.getByTestId('train').click();
  await waitForState(page, 'paused');
  await expect(page.getByTestId('run-message')).toHaveCount(0);
  await expect(page.getByTestId('crash')).toHaveCount(0);
}

test(
  'a metric turning NaN pauses the run naming step and metric; Reset and Train work again',
  GPU,
  async ({ page }) => {
    await trainLongRun(page);
    const doneBefore = Number(await page.getByTestId('progress').getAttribute('data-done'));
    const pointsBefore = await lossPoints(page);

    // Every read-back from the GPU now yields NaN: the metrics arrive through the real read path and the guard.
    await engineWorker(page).evaluate(() => {
      const proto = GPUBuffer.prototype as GPUBuffer & { __getMappedRange?: GPUBuffer['getMappedRange'] };
      proto.__getMappedRange = proto.getMappedRange;
      proto.getMappedRange = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['getMappedRange']>) {
        const real = proto.__getMappedRange!.apply(this, args);
        const poisoned = new ArrayBuffer(real.byteLength);
        new Float32Array(poisoned).fill(NaN);
        return poisoned;
      };
    });

    await waitForState(page, 'paused');
    const text = (await page.getByTestId('run-message').textContent()) ?? '';
    const m = /^Paused: (\S+) became NaN at step (\d+) of stage (\S+)\. The run diverged;/.exec(text);
    expect(m, `guard message: ${text}`).not.toBeNull();
    const [, metric, step, stage] = m!;
    // The stage's default name, and one of the run's metric columns.
    expect(stage).toBe('dpo');
    expect(csvLines((await download(page, 'Export CSV')).text)[0].split(',')).toContain(metric);
    const done = Number(await page.getByTestId('progress').getAttribute('data-done'));
    expect(Number(step)).toBeGreaterThan(doneBefore);
    expect(Number(step)).toBeLessThanOrEqual(done);
    // The history up to the divergence stays on the charts.
    expect(await lossPoints(page)).toBeGreaterThanOrEqual(pointsBefore);
    expect(Number(await page.getByTestId('charts').getAttribute('data-rows'))).toBeGreaterThanOrEqual(doneBefore);
    await expect(page.getByTestId('crash')).toHaveCount(0);
    // The model state read after the pause is drawn, its diverged values named.
    const policyBar = page.getByTestId('snapshot').locator('rect > title', { hasText: 'π_θ' }).first();
    await expect(policyBar).toContainText('= NaN');

    await engineWorker(page).evaluate(() => {
      const proto = GPUBuffer.prototype as GPUBuffer & { __getMappedRange?: GPUBuffer['getMappedRange'] };
      proto.getMappedRange = proto.__getMappedRange!;
    });
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect(page.getByTestId('charts')).toHaveCount(0);
    await trainsAgain(page);
  },
);

test(
  'a lost GPU device shows the alert, keeps the page usable, and a restart trains on a new device',
  GPU,
  async ({ page }) => {
    await trainLongRun(page);
    const first = engineWorker(page);
    // The device is destroyed behind the app's back, once, the next time it encodes work.
    await first.evaluate(() => {
      const proto = GPUDevice.prototype;
      const create = proto.createCommandEncoder;
      proto.createCommandEncoder = function (this: GPUDevice, ...args: Parameters<GPUDevice['createCommandEncoder']>) {
        proto.createCommandEncoder = create;
        this.destroy();
        return create.apply(this, args);
      };
    });

    const crash = page.getByTestId('crash');
    await expect(crash).toContainText('The GPU device was lost: GPU device lost (destroyed)');
    await waitForState(page, 'failed');
    await expect(page.getByTestId('train')).toBeDisabled();
    // Usable: the metrics so far are still there and export.
    const rows = Number(await page.getByTestId('charts').getAttribute('data-rows'));
    expect(rows).toBeGreaterThanOrEqual(30);
    expect(csvLines((await download(page, 'Export CSV')).text)).toHaveLength(rows + 1);
    await expect(page.getByTestId('preset')).toBeEnabled();

    const [second] = await Promise.all([
      page.waitForEvent('worker'),
      crash.getByRole('button', { name: 'Restart on a new device' }).click(),
    ]);
    expect(second).not.toBe(first);
    await expect(page.getByTestId('backend-kind')).toHaveText('WebGPU');
    await trainsAgain(page);
    expect(engineWorker(page)).toBe(second);
  },
);

test('a crashed worker shows the alert with its reason, and a restart gives a working engine', async ({
  page,
  expectedBackend,
}) => {
  await trainLongRun(page);
  const first = engineWorker(page);
  await first.evaluate(() => {
    setTimeout(() => {
      throw new Error('injected crash');
    });
  });

  const crash = page.getByTestId('crash');
  await expect(crash).toContainText('The engine worker crashed: Uncaught Error: injected crash.');
  await expect(crash).toContainText('The page still works');
  // The crashed worker is ended: it can no longer post a status that would hide the failure.
  await expect.poll(() => page.workers().includes(first)).toBe(false);
  await waitForState(page, 'failed');
  await expect(page.getByTestId('train')).toBeDisabled();
  const rows = Number(await page.getByTestId('charts').getAttribute('data-rows'));
  expect(csvLines((await download(page, 'Export CSV')).text)).toHaveLength(rows + 1);
  // Saving what was shown still works without the worker: the history, without weights.
  await page.getByRole('button', { name: 'Save this run' }).click();
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  await expect(page.getByTestId('saved-run-weights')).toHaveText('no weights');

  const [second] = await Promise.all([
    page.waitForEvent('worker'),
    crash.getByRole('button', { name: 'Restart on a new device' }).click(),
  ]);
  await expect(page.getByTestId('backend-kind')).toHaveText(expectedBackend === 'webgpu' ? 'WebGPU' : 'CPU');
  await trainsAgain(page);
  expect(engineWorker(page)).toBe(second);
});

test('a full storage quota refuses the save with a message and keeps the runs saved before', async ({ page }) => {
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
  await page.goto(linkTo(smallBandit(40)));
  await waitForState(page, 'finished');
  const csv = await download(page, 'Export CSV');
  await page.getByRole('button', { name: 'Save this run' }).click();
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  const name = (await page.getByTestId('saved-run-name').textContent()) ?? '';

  await page.evaluate(() => ((window as unknown as { __storageFull?: boolean }).__storageFull = true));
  await page.getByRole('button', { name: 'Save this run' }).click();
  await expect(page.getByTestId('storage-error')).toContainText(
    'The browser has no room left to save this run (storage quota exceeded). Your earlier saved runs are untouched',
  );
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  // The page goes on: the run can still be exported as a file.
  expect((await download(page, 'Export CSV')).text).toBe(csv.text);

  await page.reload();
  await expect(page.getByTestId('saved-run')).toHaveCount(1);
  await expect(page.getByTestId('saved-run-name')).toHaveText(name);
  await expect(page.getByTestId('storage-error')).toHaveCount(0);
  await page.getByRole('button', { name: `Open ${name}` }).click();
  await expect(page.getByTestId('charts')).toHaveAttribute('data-rows', '40');
  expect((await download(page, 'Export CSV')).text).toBe(csv.text);
});

test('a value the schema refuses in the config form is named, and the loaded config is kept', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await page.getByText('Configuration').click();
  const beta = page.locator('[id="cfg-stages.0.beta"]');
  await expect(beta).toHaveValue('0.5');
  const apply = page.getByRole('button', { name: 'Apply and reset the run' });

  await beta.fill('1000');
  await beta.press('Tab');
  await expect(page.getByTestId('config-error')).toContainText('The config is not valid: stages.0.beta');
  await expect(apply).toBeDisabled();
  // The field says it on itself, and nothing trains until the config is fixed.
  await expect(beta).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('train')).toBeDisabled();
  await expect(page.getByTestId('step')).toBeDisabled();
  // The run still has the last valid config: its share link carries it.
  await page.getByRole('button', { name: 'Share link' }).click();
  const shared = decodeConfig(new URL(await page.getByTestId('share-url').inputValue()).hash);
  expect(shared.stages[0]).toMatchObject({ kind: 'preference', beta: 0.5 });

  // A valid value clears the message and applies.
  await beta.fill('2');
  await beta.press('Tab');
  await expect(page.getByTestId('config-error')).toHaveCount(0);
  await apply.click();
  await waitForState(page, 'ready');
  await page.getByRole('button', { name: 'Share link' }).click();
  const applied = decodeConfig(new URL(await page.getByTestId('share-url').inputValue()).hash);
  expect(applied.stages[0]).toMatchObject({ beta: 2 });
});
