// Philox stream ids: each use of randomness has its own, so runs do not depend on the order of draws.

export const STREAM = {
  worldReward: 1,
  worldReference: 2,
  worldPairs: 3,
  worldCoverage: 4,
  init: 5,
  seqOracle: 6,
  seqTrain: 7,
  seqHeldout: 8,
  /** Preference pairs sampled from a model and their labels: shared by stages, so a reward model and DPO on the
   * same policy see the same pairs. */
  seqPairs: 9,
  seqPairLabels: 10,
  seqHeldoutPairs: 11,
  seqHeldoutPairLabels: 12,
  /** Points2d: the training set, and the Bradley-Terry labels of Diffusion-DPO pairs. */
  points2dData: 13,
  points2dLabels: 14,
  /** Points2d per-stage offsets: the noise of the diffusion loss, and of the fake-score denoiser's loss (DMD). */
  noise: 5,
  fakeNoise: 6,
  /** Per-stage streams are stageBase(stage) + offset. */
  batch: 0,
  sample: 1,
  /** Samples drawn at each evaluation (period metrics). */
  evalSample: 2,
  /** Bradley-Terry labels of online pairs. */
  label: 3,
  /** Offline sequences a stage generates at its start (teacher samples for distillation). */
  generate: 4,
} as const;

/** Initial weights of the i-th named model. */
export const modelStream = (i: number): number => 500 + i;

export const stageStream = (stage: number, offset: number): number => 1000 + stage * 16 + offset;

/** Points2d samplers: sampler `id` draws x_T from stream samplerStream(id, 0) and step i's noise from (id, i + 1), so
 * the teacher and a student sampled with the same id start from the same x_T. */
export const samplerStream = (id: number, step: number): number => 100_000 + id * 2048 + step;
