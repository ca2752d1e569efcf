// The text world end to end: a corpus pasted into the app trains a character-level model; the bits-per-character
// chart gets points and Model state shows samples made of the pasted text's characters; a file that is not UTF-8
// is named and the pasted text stays; a JSONL file of pairs with a bad line is named by line, and good pairs train
// a DPO stage.
import { expect, test } from './fixtures';
import { choosePreset, waitForState } from './helpers';

const CORPUS =
  'the cat sat on the mat and the dog sat on the log. the cat saw the dog and the dog saw the cat. ' +
  'a bird sang on the roof, and the cat and the dog looked up at the bird on the roof. ';
const TEXT = CORPUS.repeat(4);

test('a pasted corpus trains: bits per character charted, samples shown', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await choosePreset(page, 'text-sft-charlevel');
  await page.getByText('Configuration', { exact: true }).click();
  await page.getByTestId('corpus-text').fill(TEXT);
  await expect(page.getByTestId('corpus-summary')).toContainText(`${TEXT.length.toLocaleString('en-US')} characters`);
  await page.locator('[id="cfg-stages.0.steps"]').fill('60');
  await page.locator('[id="cfg-metrics.every"]').fill('20');
  await page.locator('[id="cfg-metrics.every"]').press('Tab');
  await expect(page.getByTestId('config-error')).toHaveCount(0);
  await page.getByRole('button', { name: 'Apply and reset the run' }).click();
  await waitForState(page, 'ready');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-total', '60');
  await page.getByTestId('train').click();
  await waitForState(page, 'finished', 120_000);

  const bpc = page.locator('[data-testid="chart"][data-chart="Bits per character"]');
  await expect(bpc).toBeVisible();
  await expect(bpc).toHaveAttribute('data-points', '3');
  await expect(page.locator('[data-testid="chart"][data-chart="Held-out NLL"]')).toBeVisible();

  const snapshot = page.getByTestId('snapshot');
  await expect(snapshot).toHaveAttribute('data-kind', 'text');
  const samples = page.getByTestId('text-samples').locator('pre');
  await expect(samples).toHaveCount(3);
  const chars = new Set(TEXT);
  for (const text of await samples.allTextContents()) {
    expect([...text]).toHaveLength(120);
    for (const c of text) expect(chars.has(c), `sample character ${JSON.stringify(c)}`).toBe(true);
  }
  await expect(snapshot).toContainText('temperature 0.8');
  // The probability strip: every character is a span that says its probability.
  const first = page.getByTestId('text-samples').locator('li').first().locator('span.tok');
  await expect(first).toHaveCount(120);
  await expect(first.first()).toHaveAttribute('title', /^".*": p = \d/);
});

test('a file that is not UTF-8 is named and the text already there stays', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await choosePreset(page, 'text-sft-charlevel');
  await page.getByText('Configuration', { exact: true }).click();
  await page.getByTestId('corpus-text').fill(TEXT);
  await page.getByTestId('corpus-file').setInputFiles({
    name: 'latin1.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b]),
  });
  await expect(page.getByTestId('corpus-error')).toHaveText(
    '"latin1.txt" is not UTF-8 text: byte 4 (0x20) breaks a character',
  );
  await expect(page.getByTestId('corpus-text')).toHaveValue(TEXT);
  // A good file replaces the text.
  await page.getByTestId('corpus-file').setInputFiles({
    name: 'ok.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(CORPUS.repeat(5), 'utf8'),
  });
  await expect(page.getByTestId('corpus-error')).toHaveCount(0);
  await expect(page.getByTestId('corpus-text')).toHaveValue(CORPUS.repeat(5));
});

test('a JSONL file of pairs: a bad line is named, good pairs train DPO', async ({ page }) => {
  await page.goto('/');
  await waitForState(page, 'ready');
  await choosePreset(page, 'text-dpo-pairs');
  await page.getByText('Configuration', { exact: true }).click();
  await expect(page.getByTestId('pairs-summary')).toContainText('21 pairs');
  const good = [
    JSON.stringify({ prompt: 'The lamp', chosen: ' was lit.', rejected: ' went dark.' }),
    JSON.stringify({
      prompt: [{ role: 'user', content: 'Where did the boats go' }],
      chosen: [{ role: 'assistant', content: 'They came home.' }],
      rejected: [{ role: 'assistant', content: 'They were lost.' }],
    }),
  ];
  await page.getByTestId('pairs-file').setInputFiles({
    name: 'pairs.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from([good[0], '{"prompt": "The lamp"', good[1]].join('\n')),
  });
  await expect(page.getByTestId('pairs-summary')).toContainText('2 pairs');
  await expect(page.getByTestId('pairs-summary')).toContainText('1 bad lines');
  await expect(page.getByTestId('config-error')).toContainText('world.pairs: line 2: not valid JSON');

  await page.getByTestId('pairs-file').setInputFiles({
    name: 'pairs.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from(good.join('\n')),
  });
  await expect(page.getByTestId('config-error')).toHaveCount(0);
  await expect(page.getByTestId('pairs-summary')).toHaveText(/^2 pairs \(\d+ bytes\)$/);
  for (const i of [0, 1]) await page.locator(`[id="cfg-stages.${i}.steps"]`).fill('10');
  await page.locator('[id="cfg-metrics.every"]').fill('5');
  await page.locator('[id="cfg-metrics.every"]').press('Tab');
  await page.getByRole('button', { name: 'Apply and reset the run' }).click();
  await waitForState(page, 'ready');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-total', '20');
  await page.getByTestId('train').click();
  await waitForState(page, 'finished', 120_000);
  await expect(page.locator('[data-testid="chart"][data-chart="Reward margin"]')).toBeVisible();
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'text');
  await expect(page.getByTestId('snapshot')).toContainText('in stage dpo');
});
