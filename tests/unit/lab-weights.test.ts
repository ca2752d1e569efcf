// A run's final weights: Experiment.weights() returns each trained model's flat parameters, and they are the
// weights the snapshot shows (the bandit's policy table is the softmax of its logits).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';
import { Experiment } from '../../src/lab/experiment';
import type { BanditSnapshot } from '../../src/lab/stage';
import { cpu } from '../helpers/backends';

describe('Experiment.weights', () => {
  it('returns the bandit policy whose softmax is the snapshot policy (cpu)', async () => {
    const exp = Experiment.create(
      cpu(),
      parseConfig({
        seed: 7,
        world: { kind: 'bandit', prompts: 3, responses: 8, rewardScale: 4, pairs: 512 },
        stages: [{ kind: 'preference', steps: 30, batch: 32, beta: 0.5, optimizer: { lr: 0.05 } }],
        metrics: { every: 10 },
      }),
    );
    try {
      await exp.runToEnd(undefined, 10);
      const snap = (await exp.snapshot()) as BanditSnapshot;
      const weights = await exp.weights();
      expect(Object.keys(weights)).toEqual(['policy']);
      const logits = weights.policy;
      expect(logits).toBeInstanceOf(Float32Array);
      expect(logits.length).toBeGreaterThanOrEqual(snap.P * snap.K);
      let maxDiff = 0;
      let moved = 0;
      for (let p = 0; p < snap.P; p++) {
        const row = Array.from(logits.subarray(p * snap.K, (p + 1) * snap.K));
        const max = Math.max(...row);
        const e = row.map((x) => Math.exp(x - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let k = 0; k < snap.K; k++) {
          maxDiff = Math.max(maxDiff, Math.abs(e[k] / z - snap.policy[p * snap.K + k]));
          moved = Math.max(moved, Math.abs(snap.policy[p * snap.K + k] - snap.reference[p * snap.K + k]));
        }
      }
      expect(maxDiff).toBeLessThan(1e-6);
      // Trained: the policy is no longer the reference.
      expect(moved).toBeGreaterThan(1e-3);
    } finally {
      exp.dispose();
    }
  });

  it.each([
    ['diffusion-dmd-collapse', ['teacher', 'dmd-student', 'dmd-fake']],
    ['diffusion-progressive', ['teacher', 'progressive-student']],
    ['teacher-student-dpo', null],
  ] as const)('names every trained model of %s', async (name, want) => {
    const config = parseConfig(structuredClone(findPreset(name)!.config));
    const exp = Experiment.create(cpu(), config);
    try {
      const weights = await exp.weights();
      const expected = want ?? Object.keys(config.models ?? {});
      expect(Object.keys(weights).sort()).toEqual([...expected].sort());
      for (const w of Object.values(weights)) {
        expect(w).toBeInstanceOf(Float32Array);
        expect(w.length).toBeGreaterThan(0);
      }
    } finally {
      exp.dispose();
    }
  });
});
