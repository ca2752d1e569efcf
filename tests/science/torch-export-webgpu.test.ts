// PrefLab's training loop on WebGPU is PyTorch's: the first steps of bandit runs computed on Dawn (SwiftShader where
// there is no GPU) are reproduced, metric for metric, by the exported train.py with torch autograd and AdamW.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { exportCommand } from '../../src/cli/export';
import { torchPython } from '../helpers/python';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'preflab-torch-gpu-'));

/** A config that is not a preset: reference-free SimPO with label smoothing and weight decay, partial coverage. */
const simpo = {
  seed: 12,
  world: { kind: 'bandit', prompts: 5, responses: 20, pairs: 800, coverage: 0.5, pairSource: 'uniform' },
  stages: [
    {
      kind: 'preference',
      name: 'simpo',
      steps: 40,
      batch: 48,
      lossType: 'simpo',
      beta: 2,
      gamma: 0.8,
      labelSmoothing: 0.05,
      optimizer: { lr: 0.02, weightDecay: 0.05 },
    },
  ],
  metrics: { every: 8 },
};

describe('lab export --backend webgpu', () => {
  it('dpo-bandit and a SimPO config trained on WebGPU reproduce in PyTorch', async () => {
    const file = join(root, 'simpo.json');
    writeFileSync(file, JSON.stringify(simpo));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const dirs: string[] = [];
    try {
      for (const [name, source] of [
        ['dpo-bandit', 'dpo-bandit'],
        ['simpo', file],
      ]) {
        const dir = join(root, name);
        expect(await exportCommand([source, '--torch', dir, '--backend', 'webgpu', '--steps', '30'])).toBe(0);
        expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({
          expected_backend: 'webgpu',
        });
        dirs.push(dir);
      }
    } finally {
      err.mockRestore();
    }
    for (const dir of dirs) {
      const { stdout } = await run(torchPython(), [join(dir, 'train.py'), '--check']);
      expect(stdout).toMatch(/^reproduced: 30 rows, worst relative difference/);
    }
  });
});
