// Export -> PyTorch project in the app: the zip holds the folder `lab export --torch` writes for the same config,
// and its train.py --check reproduces PrefLab's first steps; a world the export cannot map is named on the page.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { parseConfig } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';
import { expect, test } from './fixtures';
import { choosePreset, waitForState } from './helpers';
import { torchPython } from '../helpers/python';

test('the PyTorch project of dpo-bandit reproduces its first 50 steps', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('preset')).toHaveValue('dpo-bandit');
  await waitForState(page, 'ready');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByRole('button', { name: 'Export → PyTorch project' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/-pytorch\.zip$/);
  const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
  const folder = download.suggestedFilename().replace(/\.zip$/, '');
  const names = Object.keys(files).sort();
  expect(names).toEqual(
    ['README.md', 'config.json', 'expected.jsonl', 'init.safetensors', 'preflab.py', 'train.py', 'world.safetensors']
      .map((n) => `${folder}/${n}`)
      .sort(),
  );
  const root = mkdtempSync(join(tmpdir(), 'preflab-zip-'));
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), bytes);
  }
  const config = JSON.parse(readFileSync(join(root, folder, 'config.json'), 'utf8')) as { experiment: unknown };
  expect(config.experiment).toEqual(parseConfig(findPreset('dpo-bandit')!.config));
  const out = execFileSync(torchPython(), [join(root, folder, 'train.py'), '--check'], { encoding: 'utf8' });
  expect(out).toMatch(/^reproduced: 50 rows, worst relative difference/);
});

test('a world the export does not cover yet is named on the page', async ({ page }) => {
  await page.goto('/');
  await choosePreset(page, 'distill-forward-kl');
  await page.getByRole('button', { name: 'Export → PyTorch project' }).click();
  await expect(page.getByTestId('torch-export-error')).toHaveText(
    'No PyTorch project for this run: world.kind: the PyTorch export covers the bandit world so far (got sequences)',
  );
});
