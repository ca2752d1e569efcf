// Shared steps of the playground tests: small configs as share links, picking a preset, waiting for a run, and
// reading its CSV.
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';
import { encodeConfig } from '../../src/lab/share';
import { expect } from './fixtures';

/** A short DPO-on-a-bandit run: small enough for SwiftShader, long enough for several chart points. */
export function smallBandit(steps = 60): ExperimentInput {
  return {
    seed: 7,
    world: { kind: 'bandit', prompts: 3, responses: 8, rewardScale: 4, pairs: 512 },
    stages: [{ kind: 'preference', steps, batch: 32, beta: 0.5, optimizer: { lr: 0.05 } }],
    metrics: { every: 10 },
  };
}

export const linkTo = (cfg: ExperimentInput): string => `/${encodeConfig(parseConfig(cfg))}`;

export async function waitForState(page: Page, state: string, timeout = 60_000): Promise<void> {
  await expect(page.getByTestId('progress')).toHaveAttribute('data-state', state, { timeout });
}

/** Click an export button and return the downloaded file's text. */
export async function download(page: Page, name: string | RegExp): Promise<{ text: string; path: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
  const path = await dl.path();
  return { text: await readFile(path, 'utf8'), path };
}

/** A CSV export's lines without the comment lines that say what the run is: the header, then one line per row. */
export const csvLines = (text: string): string[] =>
  text
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('#'));

/** Pick a preset in the picker, as a user does, and wait until it is loaded: the progress counts its steps. */
export async function choosePreset(page: Page, name: string): Promise<void> {
  await page.getByTestId('preset').selectOption(name);
  const total = parseConfig(findPreset(name)!.config).stages.reduce((n, st) => n + st.steps, 0);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-total', String(total));
  await waitForState(page, 'ready');
}
