// The built app under its Content-Security-Policy: the page (meta and header) and its worker (header) have the
// policy, a preset trains, draws its charts and math and exports with no violation, and the policy does refuse
// inline script, eval and other origins in the page and in the worker.
import type { Page, Worker } from '@playwright/test';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../../scripts/csp';
import { expect, test } from './fixtures';
import { download, waitForState } from './helpers';

/** What a securitypolicyviolation event says, as the page or the worker records it. */
interface Violation {
  where: string;
  directive: string;
  blocked: string;
}

declare global {
  var cspViolations: Violation[] | undefined;
}

/** Record every violation of the global scope it runs in (a window or a worker). */
function recordViolations(where: string): void {
  globalThis.cspViolations = [];
  globalThis.addEventListener('securitypolicyviolation', (e) => {
    const v = e as SecurityPolicyViolationEvent;
    globalThis.cspViolations!.push({ where, directive: v.effectiveDirective, blocked: v.blockedURI });
  });
}

/** Each violation once: the page has the policy twice (meta and header), and each reports it. */
const violations = async (target: Page | Worker): Promise<string[]> => {
  const all = await (target as Page).evaluate(() => globalThis.cspViolations ?? []);
  return [...new Set(all.map((v) => `${v.where}: ${v.directive} ${v.blocked}`))].sort();
};

/** The engine worker, with its violations recorded from the moment it appears. */
async function engineWorker(page: Page): Promise<Worker> {
  const worker = page.workers().find((w) => /trainer\.worker/.test(w.url())) ?? (await page.waitForEvent('worker'));
  expect(worker.url()).toMatch(/trainer\.worker/);
  await worker.evaluate(recordViolations, 'worker');
  return worker;
}

/** Console lines that report a refusal by the policy, from the page and from its worker. */
function cspConsole(page: Page): string[] {
  const lines: string[] = [];
  const keep = (text: string) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(text)) lines.push(text);
  };
  page.on('console', (m) => keep(m.text()));
  page.on('worker', (w) => w.on('console', (m) => keep(m.text())));
  return lines;
}

test('the app and its worker train a preset under the policy without a violation', async ({ page }) => {
  const refusals = cspConsole(page);
  await page.addInitScript(recordViolations, 'page');
  const response = await page.goto('/');
  expect(response?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY_HEADER);
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute(
    'content',
    CONTENT_SECURITY_POLICY,
  );
  const worker = await engineWorker(page);
  const workerScript = await page.request.get(worker.url());
  expect(workerScript.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY_HEADER);

  await expect(page.getByTestId('preset')).toHaveValue('dpo-bandit');
  await waitForState(page, 'ready');
  // The note's math is KaTeX markup with inline style attributes, set in KaTeX's own fonts.
  await expect(page.locator('[data-testid="watch"] .katex').first()).toBeVisible();
  await page.getByTestId('train').click();
  await waitForState(page, 'running');
  await expect
    .poll(async () => Number(await page.locator('[data-chart="Loss"]').getAttribute('data-points')), {
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(30);
  await page.getByTestId('train').click();
  await waitForState(page, 'paused');
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'bandit');
  const bundle = await download(page, 'Export run bundle');
  expect(JSON.parse(bundle.text).weights).toHaveLength(1);
  const fonts = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.family.includes('KaTeX') && f.status === 'loaded').length;
  });
  expect(fonts).toBeGreaterThan(0);

  expect(await violations(page)).toEqual([]);
  expect(await violations(worker)).toEqual([]);
  expect(refusals).toEqual([]);
});

test('the policy refuses inline script, eval and other origins in the page and in the worker', async ({
  page,
  pageErrors,
}) => {
  const refusals = cspConsole(page);
  await page.addInitScript(recordViolations, 'page');
  await page.goto('/');
  const worker = await engineWorker(page);
  await waitForState(page, 'ready');

  const ran = await page.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>;
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true';
    document.head.append(script);
    setTimeout('window.evalRan = true');
    const img = new Image();
    img.src = 'https://example.invalid/pixel.png';
    await new Promise((r) => setTimeout(r, 200));
    return { inline: w.inlineRan === true, eval: w.evalRan === true };
  });
  expect(ran).toEqual({ inline: false, eval: false });
  await expect
    .poll(() => violations(page))
    .toEqual([
      'page: img-src https://example.invalid/pixel.png',
      'page: script-src eval',
      'page: script-src-elem inline',
    ]);

  const fetched = await worker.evaluate(() =>
    fetch('https://example.invalid/data').then(
      () => 'fetched',
      () => 'refused',
    ),
  );
  expect(fetched).toBe('refused');
  await expect.poll(() => violations(worker)).toEqual(['worker: connect-src https://example.invalid/data']);

  // The refusals are reported on the console: they are this test's, not errors of the app.
  expect(refusals.length).toBeGreaterThan(0);
  const mine = new Set(refusals.map((r) => `console: ${r}`));
  pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !mine.has(e)));
});
