// A run bundle's final state checked against its config on import: real snapshots of tiny CPU runs of each world
// come back as the typed snapshots the views read; states the views would crash on or loop over without bound are
// refused, saying what is wrong.
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleError,
  finalSnapshot,
  parseBundle,
  plainSnapshot,
  serializeBundle,
} from '../../src/app/export';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { parseConfig, POINTS2D_SHAPES, type ExperimentConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import type { Snapshot } from '../../src/lab/stage';
import { parseSnapshot, SnapshotError } from '../../src/lab/snapshot-schema';
import { makePoints2d } from '../../src/lab/worlds/points2d';
import { modeCount } from '../../src/lab/worlds/points2d-config';

type Plain = Record<string, unknown>;

const BANDIT: ExperimentInput = {
  world: { kind: 'bandit', prompts: 3, responses: 5, pairs: 64 },
  stages: [{ kind: 'preference', name: 'dpo', steps: 3, batch: 8 }],
};
const POINTS2D: ExperimentInput = {
  world: {
    kind: 'points2d',
    samples: 64,
    evalSamples: 64,
    timesteps: 8,
    samplerSteps: 4,
    width: 8,
    depth: 1,
    embed: 4,
  },
  stages: [
    { kind: 'diffusion', name: 'teacher', steps: 2, batch: 16 },
    { kind: 'dmd', name: 'dmd', steps: 2, batch: 16, hybrid: 2 },
  ],
};
const SEQUENCES: ExperimentInput = {
  world: { kind: 'sequences', vocab: 8, length: 4, samples: 16, heldout: 16, stop: 0.2 },
  models: { teacher: { kind: 'token-mlp', embed: 4, width: 8 } },
  stages: [{ kind: 'sft', name: 'sft', model: 'teacher', steps: 2, batch: 4 }],
};

/** Run a config to its end on the CPU backend and take its final snapshot. */
async function finalOf(input: ExperimentInput): Promise<{ config: ExperimentConfig; snap: Snapshot }> {
  const config = parseConfig(input);
  const exp = Experiment.create(new CpuBackend('tests'), config);
  await exp.runToEnd();
  const snap = await exp.snapshot();
  exp.dispose();
  return { config, snap };
}

/** A bundle file with the given final state, as Export writes it. */
function fileWith(config: ExperimentConfig, final: Plain | null): string {
  return serializeBundle({
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    name: 'run',
    savedAt: '2026-01-01T00:00:00.000Z',
    backend: 'CPU',
    config,
    done: 0,
    total: 0,
    rows: [],
    final,
  });
}

/** A JSON copy of a snapshot's plain form, changed by `edit`. */
function edited(snap: Snapshot, edit: (s: Plain) => void): Plain {
  const s = JSON.parse(JSON.stringify(plainSnapshot(snap))) as Plain;
  edit(s);
  return s;
}

function importError(config: ExperimentConfig, final: Plain): Error {
  try {
    parseBundle(fileWith(config, final));
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    return e as Error;
  }
  throw new Error('the bundle was accepted');
}

describe('the final state of an imported run', () => {
  it.each([
    ['bandit', BANDIT],
    ['points2d', POINTS2D],
    ['sequences', SEQUENCES],
  ] as const)('accepts the snapshot a %s run made, and revives it as the run had it', async (_kind, input) => {
    const { config, snap } = await finalOf(input);
    const back = parseBundle(fileWith(config, plainSnapshot(snap)));
    expect(finalSnapshot(back)).toEqual(snap);
    expect(parseSnapshot(plainSnapshot(snap), config)).toEqual(snap);
  });

  it('keeps a diverged policy as NaN (JSON null)', async () => {
    const { config, snap } = await finalOf(BANDIT);
    const s = edited(snap, (x) => ((x.policy as (number | null)[])[2] = null));
    const back = finalSnapshot(parseBundle(fileWith(config, s)));
    expect(back?.kind === 'bandit' && back.policy[2]).toBeNaN();
  });

  it('refuses a bandit state larger than its config', async () => {
    const { config, snap } = await finalOf(BANDIT);
    const huge = edited(snap, (s) => Object.assign(s, { P: 100000, K: 100000 }));
    expect(importError(config, huge).message).toBe(
      "the run's final state does not fit its config: P: must be the prompts of the run's config (3)",
    );
    const wide = edited(snap, (s) => (s.K = 100000));
    expect(importError(config, wide).message).toContain("K: must be the responses of the run's config (5)");
    const short = edited(snap, (s) => (s.reward = (s.reward as number[]).slice(1)));
    expect(importError(config, short).message).toContain('reward: the reward must hold prompts x responses = 15');
    const text = edited(snap, (s) => ((s.policy as unknown[])[0] = 'x'));
    expect(importError(config, text).message).toContain('policy: must be a list of numbers');
    const stage = edited(snap, (s) => (s.stage = 'other'));
    expect(importError(config, stage).message).toContain('stage: must name a stage of the run (dpo)');
  });

  it('refuses a points2d state with missing fields, duplicate modes or sizes its config cannot make', async () => {
    const { config, snap } = await finalOf(POINTS2D);
    const cases: [string, (s: Plain) => void, string][] = [
      ['no trajectory', (s) => delete s.trajectory, 'trajectory: Invalid key'],
      ['no teacher shares', (s) => delete (s.shares as Plain).teacher, 'shares.teacher: Invalid key'],
      ['no centers', (s) => delete s.centers, 'centers: Invalid key'],
      [
        'duplicate modes',
        (s) => ((s.modeNames as string[])[1] = (s.modeNames as string[])[0]),
        'mode names must differ',
      ],
      ['more modes', (s) => (s.modeNames as string[]).push('extra'), 'modeNames: one name per mode (8)'],
      ['odd data', (s) => (s.data as number[]).push(0), 'data: must hold [x, y] pairs'],
      [
        'too many samples',
        (s) => (s.teacher = new Array(2 * 65).fill(0)),
        "teacher: at most 64 points, as the run's config draws",
      ],
      ['short shares', (s) => ((s.shares as Plain).data = [0.5]), 'shares.data: one share per mode (8)'],
      [
        'a trajectory beyond its steps',
        (s) => ((s.trajectory as Plain).steps = 9),
        'trajectory.steps: Invalid value: Expected <=8',
      ],
      [
        'trajectory points that do not fit',
        (s) => ((s.trajectory as Plain).x as number[]).pop(),
        'trajectory.x: points [x, y] before each step and after',
      ],
      ['covered beyond the modes', (s) => ((s.covered as Plain).teacher = 9), 'covered.teacher: Invalid value'],
    ];
    for (const [what, edit, message] of cases)
      expect(importError(config, edited(snap, edit)).message, what).toContain(message);
  });

  it('refuses sequences with tokens outside the vocabulary or more rows than the held-out set', async () => {
    const { config, snap } = await finalOf(SEQUENCES);
    const token = edited(snap, (s) => ((s.samples as number[])[0] = 8));
    expect(importError(config, token).message).toContain('samples: must be a list of whole numbers from 0 to 7');
    const rows = edited(snap, (s) => {
      s.rewards = new Array(17).fill(0);
      s.samples = new Array(17 * 4).fill(1);
      s.mask = new Array(17 * 4).fill(1);
    });
    expect(importError(config, rows).message).toContain('rewards: at most the 16 held-out sequences');
    const ragged = edited(snap, (s) => (s.samples as number[]).pop());
    expect(importError(config, ragged).message).toContain('samples: one row of 4 tokens per reward');
    const model = edited(snap, (s) => (s.model = 'student'));
    expect(importError(config, model).message).toContain('model: must name a model of the run (teacher)');
  });

  it("refuses a state of another world's kind, and names the error in the lab", async () => {
    const bandit = await finalOf(BANDIT);
    const points = await finalOf(POINTS2D);
    expect(importError(bandit.config, plainSnapshot(points.snap)!).message).toContain(
      "kind: a bandit run's state must be of kind bandit",
    );
    expect(importError(bandit.config, { kind: 'other' }).message).toContain('kind:');
    let error: unknown;
    try {
      parseSnapshot({ ...plainSnapshot(bandit.snap), P: 100000, K: 100000 }, bandit.config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SnapshotError);
    expect((error as Error).name).toBe('SnapshotError');
  });

  it('counts the modes of every shape as the world draws them', () => {
    for (const shape of POINTS2D_SHAPES) {
      const cfg = parseConfig({
        world: {
          kind: 'points2d',
          shape,
          points:
            shape === 'points'
              ? [
                  [0, 0],
                  [1, 1],
                  [0, 1],
                ]
              : undefined,
        },
        stages: [{ kind: 'diffusion' }],
      });
      if (cfg.world.kind !== 'points2d') throw new Error('not points2d');
      expect(modeCount(cfg.world), shape).toBe(makePoints2d(cfg.world, 0).M);
    }
  });
});
