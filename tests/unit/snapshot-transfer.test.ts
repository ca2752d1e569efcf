// Snapshots own their arrays: the worker transfers every buffer of a snapshot to the page, which detaches it on the
// worker's side, so a snapshot that handed out a run's own array would break the run's next snapshot or metric.
// Every preset, shrunk to a few steps per stage, on the CPU twins.
import { describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import type { Snapshot } from '../../src/lab/stage';
import { PRESETS } from '../../src/lab/presets';
import { buffersOf } from '../../src/worker/guard';
import { cpu } from '../helpers/backends';

/** The preset with a few steps per stage and small evaluation sets: the same stages and snapshot kinds. */
function shrink(input: ExperimentInput): ExperimentInput {
  const c = structuredClone(input) as Record<string, unknown> & {
    world: Record<string, unknown>;
    stages: Record<string, unknown>[];
  };
  c.metrics = { every: 3 };
  c.stages = c.stages.map((s) => ({ ...s, steps: 6, ...(s.kind === 'progressive' ? { rounds: 1 } : {}) }));
  if (c.world.kind === 'points2d') Object.assign(c.world, { samples: 256, evalSamples: 64, width: 16 });
  return c as ExperimentInput;
}

/** Shapes of every typed array of a snapshot, by path. */
function shapes(s: unknown, path = '', out: Record<string, number> = {}): Record<string, number> {
  if (ArrayBuffer.isView(s)) out[path] = (s as Float32Array).length;
  else if (s && typeof s === 'object') for (const [k, v] of Object.entries(s)) shapes(v, `${path}.${k}`, out);
  return out;
}

describe('snapshots share no buffer with their run', () => {
  it.each(PRESETS.map((p) => [p.name, p] as const))('%s', async (_, preset) => {
    const exp = Experiment.create(cpu(), parseConfig(shrink(preset.config)));
    try {
      while (!exp.finished) {
        const rows = await exp.advance(4);
        for (const row of rows)
          for (const [k, v] of Object.entries(row))
            if (typeof v === 'number') expect(Number.isFinite(v), `${row.stage} step ${row.step} ${k}`).toBe(true);
        const first: Snapshot = await exp.snapshot();
        const before = shapes(first);
        expect(Object.keys(before).length).toBeGreaterThan(0);
        // What postMessage with a transfer list does to the sender's copy.
        structuredClone(first, { transfer: buffersOf(first) });
        expect(Object.values(shapes(first)).every((n) => n === 0)).toBe(true);
        const second = await exp.snapshot();
        expect(shapes(second)).toEqual(before);
      }
    } finally {
      exp.dispose();
    }
  });
});
