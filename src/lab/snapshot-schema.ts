// A stored snapshot (a run bundle's final state: arrays as lists, non-finite numbers as null) checked against the
// config that made it and turned back into the typed snapshot the views read. Every size a view loops over is the
// config's (prompts x responses, held-out rows, evaluation samples, modes, timesteps), so a file cannot make the
// page draw beyond what its run could have shown.

import * as v from 'valibot';
import type { ExperimentConfig } from './config';
import type { Snapshot } from './stage';
import { boundedList } from './worlds/common-config';
import { modeCount } from './worlds/points2d-config';

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

// Plain loops: a stored table may hold millions of numbers, and per-item callbacks cost several times as much.
function isList(x: unknown, ok: (n: unknown) => boolean): boolean {
  if (!Array.isArray(x)) return false;
  for (let i = 0; i < x.length; i++) if (!ok(x[i])) return false;
  return true;
}

function toFloat32(x: (number | null)[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] ?? NaN;
  return out;
}

/** A list of floats, null where JSON could not hold a non-finite value (read back as NaN). */
const floats = v.pipe(
  v.custom<(number | null)[]>(
    (x) => isList(x, (n) => n === null || typeof n === 'number'),
    'must be a list of numbers',
  ),
  v.transform(toFloat32),
);

/** A list of whole numbers in [0, end). */
const ints = (end: number) =>
  v.pipe(
    v.custom<number[]>(
      (x) => isList(x, (n) => Number.isInteger(n) && (n as number) >= 0 && (n as number) < end),
      `must be a list of whole numbers from 0 to ${end - 1}`,
    ),
    v.transform((x) => Int32Array.from(x)),
  );

const exactly = (n: number, what: string) => v.literal(n, `must be the ${what} of the run's config (${n})`);
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const label = v.pipe(v.string(), v.maxLength(80));
const finite = v.pipe(v.number(), v.finite());

function stageOf(cfg: ExperimentConfig) {
  const names = cfg.stages.map((s) => s.name);
  return v.picklist(names, `must name a stage of the run (${names.join(', ')})`);
}

function banditSchema(cfg: ExperimentConfig, w: Extract<ExperimentConfig['world'], { kind: 'bandit' }>) {
  const table = w.prompts * w.responses;
  const tableOf = (what: string) =>
    v.pipe(floats, v.length(table, `${what} must hold prompts x responses = ${table} numbers`));
  return v.object({
    kind: v.literal('bandit'),
    stage: stageOf(cfg),
    P: exactly(w.prompts, 'prompts'),
    K: exactly(w.responses, 'responses'),
    policy: tableOf('the policy'),
    reference: tableOf('the reference'),
    optimal: tableOf('the optimum'),
    reward: tableOf('the reward'),
  });
}

function sequencesSchema(cfg: ExperimentConfig, w: Extract<ExperimentConfig['world'], { kind: 'sequences' }>) {
  const models = Object.keys(cfg.models ?? {});
  const T = w.length;
  return v.pipe(
    v.object({
      kind: v.literal('sequences'),
      stage: stageOf(cfg),
      model: v.picklist(models, `must name a model of the run (${models.join(', ')})`),
      V: exactly(w.vocab, 'vocabulary'),
      T: exactly(T, 'length'),
      eos: exactly(w.stop > 0 ? 0 : -1, 'EOS id'),
      samples: ints(w.vocab),
      mask: floats,
      rewards: v.pipe(
        floats,
        v.check((x) => x.length <= w.heldout, `at most the ${w.heldout} held-out sequences of the config`),
      ),
      scores: v.optional(floats),
    }),
    v.forward(
      v.check((s) => s.samples.length === s.rewards.length * T, `one row of ${T} tokens per reward`),
      ['samples'],
    ),
    v.forward(
      v.check((s) => s.mask.length === s.samples.length, 'one mask value per token'),
      ['mask'],
    ),
    v.forward(
      v.check((s) => s.scores === undefined || s.scores.length === s.rewards.length, 'one score per reward'),
      ['scores'],
    ),
  );
}

function points2dSchema(cfg: ExperimentConfig, w: Extract<ExperimentConfig['world'], { kind: 'points2d' }>) {
  const M = modeCount(w);
  const points = (max: number) =>
    v.pipe(
      floats,
      v.check((x) => x.length % 2 === 0, 'must hold [x, y] pairs (an even count of numbers)'),
      v.check((x) => x.length <= 2 * max, `at most ${max} points, as the run's config draws`),
    );
  const perMode = v.pipe(floats, v.length(M, `one share per mode (${M})`));
  const covered = count(M);
  return v.pipe(
    v.object({
      kind: v.literal('points2d'),
      stage: stageOf(cfg),
      data: points(Math.min(w.evalSamples, w.samples)),
      teacher: points(w.evalSamples),
      student: v.optional(points(w.evalSamples)),
      hybrid: v.optional(points(w.evalSamples)),
      centers: v.pipe(floats, v.length(2 * M, `one [x, y] center per mode (${M})`)),
      modeNames: v.pipe(
        v.array(label),
        v.length(M, `one name per mode (${M})`),
        v.check((names) => new Set(names).size === names.length, 'mode names must differ'),
      ),
      shares: v.object({
        data: perMode,
        teacher: perMode,
        student: v.optional(perMode),
        hybrid: v.optional(perMode),
      }),
      covered: v.object({ teacher: covered, student: v.optional(covered), hybrid: v.optional(covered) }),
      trajectory: v.pipe(
        v.object({
          model: label,
          points: v.pipe(count(w.evalSamples), v.minValue(1)),
          steps: v.pipe(count(w.timesteps), v.minValue(1)),
          t: ints(w.timesteps),
          x: floats,
          x0: floats,
        }),
        v.forward(
          v.check((r) => r.t.length === r.steps, 'one timestep per step'),
          ['t'],
        ),
        v.forward(
          v.check((r) => r.x.length === (r.steps + 1) * r.points * 2, 'points [x, y] before each step and after'),
          ['x'],
        ),
        v.forward(
          v.check((r) => r.x0.length === r.steps * r.points * 2, 'points [x, y] at each step'),
          ['x0'],
        ),
      ),
      reward: v.optional(v.object({ angle: finite, scale: finite })),
    }),
  );
}

function textSchema(cfg: ExperimentConfig, w: Extract<ExperimentConfig['world'], { kind: 'text' }>) {
  const models = Object.keys(cfg.models ?? {});
  // A byte-level token that is no whole character decodes as one U+FFFD, so a sample has at most a character per token.
  const sample = v.pipe(
    v.string(),
    v.check((x) => [...x].length <= w.sampleLength, `at most ${w.sampleLength} characters`),
  );
  const max = { max: w.samples, maxMessage: `at most the ${w.samples} samples of the config` };
  return v.pipe(
    v.object({
      kind: v.literal('text'),
      stage: stageOf(cfg),
      model: v.picklist(models, `must name a model of the run (${models.join(', ')})`),
      samples: boundedList(sample, max),
      probs: boundedList(floats, max),
      temperature: exactly(w.temperature, 'temperature'),
      topK: exactly(w.topK, 'top-k'),
    }),
    v.forward(
      v.check(
        (s) => s.probs.length === s.samples.length && s.samples.every((x, i) => s.probs[i].length === [...x].length),
        'one probability per character of each sample',
      ),
      ['probs'],
    ),
  );
}

function snapshotSchema(cfg: ExperimentConfig) {
  const w = cfg.world;
  switch (w.kind) {
    case 'bandit':
      return banditSchema(cfg, w);
    case 'sequences':
      return sequencesSchema(cfg, w);
    case 'points2d':
      return points2dSchema(cfg, w);
    case 'text':
      return textSchema(cfg, w);
  }
}

/** Check a stored snapshot against the run's config and revive its typed arrays, or throw a SnapshotError. */
export function parseSnapshot(input: unknown, cfg: ExperimentConfig): Snapshot {
  const kind = (input as { kind?: unknown } | null)?.kind;
  if (kind !== cfg.world.kind)
    throw new SnapshotError(`kind: a ${cfg.world.kind} run's state must be of kind ${cfg.world.kind}`);
  const res = v.safeParse(snapshotSchema(cfg), input);
  if (!res.success) {
    const issue = res.issues[0];
    throw new SnapshotError(`${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`);
  }
  return res.output;
}
