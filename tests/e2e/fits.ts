// The check that nothing on the page runs past the right edge of a narrow screen (a phone), shared by the specs.
import type { Page } from '@playwright/test';
import { expect } from './fixtures';

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

export async function expectFits(page: Page, when: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement!.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth, `the page scrolls sideways ${when}`).toBeLessThanOrEqual(innerWidth);
  expect(await pastTheEdge(page), `elements past the right edge of a ${innerWidth} px screen ${when}`).toEqual([]);
}
