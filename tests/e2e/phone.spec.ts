// The page on a phone (360 px wide): nothing runs past the right edge of the screen, for each kind of world, once
// loaded and after a short run has drawn its charts and model state.
import type { Page } from '@playwright/test';
import type { ExperimentInput } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';
import { expect, test } from './fixtures';
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

/**
 * Every visible element whose right edge is past the viewport, by a short selector; an element inside a box that
 * clips it (overflow other than visible, itself on screen) does not count, as it is not seen past the edge.
 */
async function pastTheEdge(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const selector = (e: Element): string => {
      const parts: string[] = [];
      for (let n: Element | null = e; n && n !== document.body && parts.length < 4; n = n.parentElement) {
        const id = n.id ? `#${n.id}` : '';
        const testid = n.getAttribute('data-testid');
        const classes = [...n.classList].filter((c) => !c.startsWith('svelte-')).map((c) => `.${c}`);
        parts.unshift(`${n.tagName.toLowerCase()}${id}${testid ? `[data-testid="${testid}"]` : classes.join('')}`);
      }
      return parts.join(' > ');
    };
    const clipped = (e: Node): boolean => {
      for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= width + 0.5) return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const e of document.body.querySelectorAll('*')) {
      const box = e.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.right <= width + 0.5) continue;
      if (!e.checkVisibility({ visibilityProperty: true }) || clipped(e)) continue;
      out.push(`${selector(e)} (right edge at ${Math.round(box.right)} px)`);
    }
    // Text that overflows its own element's box (a word too long for its column) runs off the screen just the same.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const parent = t.parentElement;
      if (!parent || !t.textContent?.trim() || !parent.checkVisibility({ visibilityProperty: true })) continue;
      range.selectNodeContents(t);
      const box = range.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 0.5 || clipped(t)) continue;
      out.push(
        `text "${t.textContent.trim().slice(0, 30)}" in ${selector(parent)} (right edge at ${Math.round(box.right)} px)`,
      );
    }
    return out;
  });
}

async function expectFits(page: Page, when: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement!.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth, `the page scrolls sideways ${when}`).toBeLessThanOrEqual(innerWidth);
  expect(await pastTheEdge(page), `elements past the right edge of a ${innerWidth} px screen ${when}`).toEqual([]);
}

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
