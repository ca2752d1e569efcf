// The diffusion views end to end on WebGPU (SwiftShader): a teacher learns the ring of 8 (scatter, mode bars,
// trajectory timeline), and a point set drawn on the canvas becomes the data of a run.
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { decodeConfig } from '../../src/lab/share';
import { expect, test } from './fixtures';
import { choosePreset, waitForState } from './helpers';

type Rgb = [number, number, number];
/** The colors ScatterCanvas and Trajectory draw each layer in. */
const DATA: Rgb = [0x9a, 0xa3, 0xb5];
const TEACHER: Rgb = [0x2a, 0x5a, 0xc8];

/** Pixels of a canvas within `tol` of a color, optionally only inside a box of CSS pixels [x0, y0, x1, y1]. */
async function countColor(canvas: Locator, rgb: Rgb, tol = 24, box?: [number, number, number, number]) {
  return canvas.evaluate(
    (el, { rgb, tol, box }) => {
      const c = el as HTMLCanvasElement;
      const s = c.width / c.clientWidth;
      const [x0, y0, x1, y1] = (box ?? [0, 0, c.clientWidth, c.clientHeight]).map((v) => Math.round(v * s));
      const img = c.getContext('2d')!.getImageData(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)).data;
      let n = 0;
      for (let i = 0; i < img.length; i += 4) {
        const d = Math.max(Math.abs(img[i] - rgb[0]), Math.abs(img[i + 1] - rgb[1]), Math.abs(img[i + 2] - rgb[2]));
        if (img[i + 3] > 200 && d <= tol) n++;
      }
      return n;
    },
    { rgb, tol, box },
  );
}

/** A cheap fingerprint of everything a canvas shows. */
const canvasHash = (canvas: Locator) =>
  canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const img = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < img.length; i++) h = (Math.imul(h, 31) + img[i]) | 0;
    return h;
  });

/** Pick a preset like a user, open the form and shorten the run (SwiftShader is a CPU). */
async function openPreset(page: Page, name: string, steps: number, every: number) {
  await page.goto('/');
  await waitForState(page, 'ready');
  await choosePreset(page, name);
  await page.getByText('Configuration', { exact: true }).click();
  await page.locator('[id="cfg-stages.0.steps"]').fill(String(steps));
  await page.locator('[id="cfg-metrics.every"]').fill(String(every));
  // The form reads a field on change, as when the user leaves it.
  await page.locator('[id="cfg-metrics.every"]').press('Tab');
}

async function applyAndTrain(page: Page, steps: number) {
  await page.getByRole('button', { name: 'Apply and reset the run' }).click();
  await waitForState(page, 'ready');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-total', String(steps));
  await page.getByTestId('train').click();
  await waitForState(page, 'finished', 80_000);
}

test('a diffusion teacher on the ring of 8: scatter, mode bars and the trajectory timeline', async ({ page }) => {
  await openPreset(page, 'diffusion-ring8', 300, 100);
  await expect(page.getByTestId('watch')).toContainText('DDPM training');
  await applyAndTrain(page, 300);

  const snapshot = page.getByTestId('snapshot');
  await expect(snapshot).toHaveAttribute('data-kind', 'points2d');
  const scatter = snapshot.locator('canvas[aria-label="Scatter plot of data, teacher"]');
  await expect(scatter).toBeVisible();
  // Both layers are drawn: the data in gray and the teacher's samples in blue, thousands of pixels each.
  await expect.poll(() => countColor(scatter, DATA, 8)).toBeGreaterThan(500);
  await expect.poll(() => countColor(scatter, TEACHER, 8)).toBeGreaterThan(500);
  // The teacher has learned something: most of its samples lie near the ring of radius 2 (scatter spans [-3, 3]).
  const size = (await scatter.boundingBox())!.width;
  const px = (v: number) => ((v + 3) / 6) * size;
  const inner = await countColor(scatter, TEACHER, 8, [px(-1), px(-1), px(1), px(1)]);
  const all = await countColor(scatter, TEACHER, 8);
  expect(inner / all).toBeLessThan(0.2);

  // Mode coverage: one group per mode, the data's share of each about 1/8, and the teacher's bars present.
  const bars = page.getByRole('img', { name: 'Share of samples per mode' });
  await expect(bars.locator('.group')).toHaveCount(8);
  const titles = await bars.locator('.bar').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
  const dataShares = titles.filter((t) => t.startsWith('data:')).map((t) => parseFloat(t.split(': ')[1]));
  expect(dataShares).toHaveLength(8);
  for (const s of dataShares) {
    expect(s).toBeGreaterThan(8);
    expect(s).toBeLessThan(17);
  }
  const teacherShares = titles.filter((t) => t.startsWith('teacher')).map((t) => parseFloat(t.split(': ')[1]));
  expect(teacherShares).toHaveLength(8);
  expect(teacherShares.reduce((a, b) => a + b, 0)).toBeGreaterThan(30);
  await expect(bars.locator('..')).toContainText(/teacher \(\d covered\)/);

  // The trajectory timeline: moving the slider redraws x_t and the predicted x_0 of that sampler step.
  const slider = page.getByRole('slider', { name: 'Sampler step', exact: true });
  const trajectory = page.locator('.trajectory canvas');
  await expect(slider).toHaveValue('0');
  const label = page.locator('.trajectory label');
  await expect(label).toContainText('step 1 / 50');
  const drawnAt = async (step: number) => {
    await slider.fill(String(step));
    return canvasHash(trajectory);
  };
  // A later snapshot also redraws the canvas: the slider is judged on a round trip with no snapshot in between
  // (the same step draws the same picture), where another step draws a different one.
  await expect
    .poll(async () => {
      const [first, later, again] = [await drawnAt(0), await drawnAt(40), await drawnAt(0)];
      return first === again && first !== later;
    }, 'step 40 of the trajectory looks different from step 0')
    .toBe(true);
  await slider.fill('40');
  await expect(label).toContainText('step 41 / 50');
  await expect
    .poll(async () => {
      const [final, before] = [await drawnAt(50), await drawnAt(49)];
      return final !== before;
    }, 'the final sample looks different from the last sampler step')
    .toBe(true);
  await slider.fill('50');
  await expect(label).toContainText('final sample (teacher)');
});

test('points drawn on the canvas become the data of the run', async ({ page }) => {
  await openPreset(page, 'diffusion-ring8', 100, 50);
  const canvas = page.getByTestId('draw-points').locator('canvas');
  await expect(canvas).toHaveAccessibleName('Draw the data');
  const count = page.getByTestId('draw-points-count');
  await expect(count).toHaveText('0 / 64 points');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  /** The page position of a world point: the canvas spans [-4, 4] on both axes, y up. */
  const at = (x: number, y: number) => ({
    x: box.x + ((x + 4) / 8) * box.width,
    y: box.y + ((4 - y) / 8) * box.height,
  });
  const drawn: [number, number][] = [
    [-2, 1.5],
    [2.5, 2],
    [0.5, -2],
  ];
  for (const [x, y] of drawn) await page.mouse.click(at(x, y).x, at(x, y).y);
  await expect(count).toHaveText('3 / 64 points');
  // Drawing marks the run as modified: Apply is offered.
  await expect(page.getByRole('button', { name: 'Apply and reset the run' })).toBeEnabled();

  // The keyboard adds points too: arrows move a cross from the origin, Enter adds a point there.
  await canvas.focus();
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowUp', 'ArrowUp'])
    await page.keyboard.press(key);
  await page.keyboard.press('Enter');
  await expect(count).toContainText('4 / 64 points');
  await expect(page.getByTestId('draw-points-list').locator('li').last()).toHaveText('(1.00, 0.50)');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(count).toHaveText('3 / 64 points');

  // A drag adds a spaced stroke (about one point per half unit), not one point per mouse event; Undo takes it back.
  await page.mouse.move(at(-3, -3).x, at(-3, -3).y);
  await page.mouse.down();
  await page.mouse.move(at(-1, -3).x, at(-1, -3).y, { steps: 40 });
  await page.mouse.up();
  const stroke = Number((await count.textContent())!.split(' ')[0]) - 3;
  expect(stroke).toBeGreaterThanOrEqual(4);
  expect(stroke).toBeLessThanOrEqual(6);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(count).toHaveText('3 / 64 points');

  // The pad and its buttons are accessible.
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`)).toEqual([]);

  await applyAndTrain(page, 100);
  // The share link carries the drawn points, mapped to world coordinates.
  await page.getByRole('button', { name: 'Share link' }).click();
  const cfg = decodeConfig(new URL(await page.getByTestId('share-url').inputValue()).hash);
  if (cfg.world.kind !== 'points2d') throw new Error(`world is ${cfg.world.kind}`);
  expect(cfg.world.shape).toBe('points');
  expect(cfg.world.points).toHaveLength(3);
  cfg.world.points!.forEach(([x, y], i) => {
    expect(Math.abs(x - drawn[i][0])).toBeLessThan(0.05);
    expect(Math.abs(y - drawn[i][1])).toBeLessThan(0.05);
  });

  // The data scatter shows three modes at the drawn places and nothing of the ring.
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'points2d');
  const bars = page.getByRole('img', { name: 'Share of samples per mode' });
  await expect(bars.locator('.group')).toHaveCount(3);
  const scatter = page.getByTestId('snapshot').locator('canvas[aria-label="Scatter plot of data, teacher"]');
  const size = (await scatter.boundingBox())!.width;
  const px = (v: number) => ((v + 3) / 6) * size;
  const near = ([x, y]: [number, number]): [number, number, number, number] => [
    px(x) - 12,
    px(-y) - 12,
    px(x) + 12,
    px(-y) + 12,
  ];
  const total = await countColor(scatter, DATA, 8);
  expect(total).toBeGreaterThan(300);
  let inModes = 0;
  for (const p of drawn) {
    const n = await countColor(scatter, DATA, 8, near(p));
    expect(n, `data pixels near (${p.join(', ')})`).toBeGreaterThan(30);
    inModes += n;
  }
  // Teacher samples drawn over the data hide some of it, so the three boxes hold most, not all, data pixels.
  expect(inModes / total).toBeGreaterThan(0.8);
  // A mode of the ring where nothing was drawn holds no data.
  expect(await countColor(scatter, DATA, 8, near([0, 2]))).toBe(0);
});
