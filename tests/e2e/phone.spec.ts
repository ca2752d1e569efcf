// The page on a phone (360 px wide): nothing runs past the right edge of the screen, for each kind of world, once
// loaded and after a short run has drawn its charts and model state.
import type { ExperimentInput } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';
import { expect, test } from './fixtures';
import { expectFits } from './fits';
import { linkTo, waitForState } from './helpers';

test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

/** A preset cut to `steps` per stage with a metric every `every` steps: a run of seconds on SwiftShader. */
function short(name: string, steps: number, every: number): ExperimentInput {
  const cfg = structuredClone(findPreset(name)!.config);
  return { ...cfg, stages: cfg.stages.map((s) => ({ ...s, steps })), metrics: { every } };
}

const KINDS: [kind: string, cfg: ExperimentInput][] = [
  ['bandit', short('dpo-bandit', 40, 10)],
  ['sequences', short('distill-forward-kl', 20, 5)],
  ['points2d', short('diffusion-dmd-collapse', 30, 10)],
  ['text', short('text-dpo-pairs', 10, 5)],
];

test('on a 360 px phone nothing runs past the screen, before and after a short run of each world', async ({ page }) => {
  test.setTimeout(240_000);
  for (const [kind, cfg] of KINDS) {
    await page.goto('/');
    await page.goto(linkTo(cfg));
    await page.reload();
    await expect(page.getByTestId('progress')).toBeVisible();
    // The form and the adapter's limits open, as a reader on a phone opens them.
    await page.getByText('Configuration').click();
    await page.getByText('Adapter limits and features').click();
    await expectFits(page, `once a ${kind} run has loaded`);

    await waitForState(page, 'finished', 180_000);
    await expect(page.getByTestId('chart').first()).toBeVisible();
    await expect(page.getByTestId('snapshot')).toBeVisible();
    await expectFits(page, `after a short ${kind} run`);
  }
});
