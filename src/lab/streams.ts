// Philox stream ids: each use of randomness has its own, so runs do not depend on the order of draws. The ids live in
// disjoint ranges (STREAM_RANGES), and each constructor refuses an argument that would reach into another range.

/** Half-open ranges [first, end) of stream ids, one per kind of stream. */
export const STREAM_RANGES = {
  /** Streams a run draws once, whatever its stages: the worlds' data and the preference pairs stages share. */
  world: { first: 1, end: 500 },
  /** Initial weights, one stream per named model. */
  model: { first: 500, end: 1000 },
  /** A block of STAGE_BLOCK streams per pipeline stage, addressed by STAGE_OFFSET. */
  stage: { first: 1000, end: 100_000 },
  /** Points2d samplers: a block of SAMPLER_BLOCK streams per sampler id (x_T, then one per denoising step). */
  sampler: { first: 100_000, end: 100_000 + 1024 * 2048 },
  /** Initial weights drawn per tensor: a block of TENSOR_BLOCK streams per named model, addressed by
   * tensorStream(model, tensor), so that a model's other tensors keep their draws when one is added or dropped. */
  tensor: { first: 100_000 + 1024 * 2048, end: 100_000 + 1024 * 2048 + 500 * 64 },
} as const;

export const STAGE_BLOCK = 16;
export const SAMPLER_BLOCK = 2048;
export const TENSOR_BLOCK = 64;

/** World and run-wide streams, in STREAM_RANGES.world. */
export const STREAM = {
  worldReward: 1,
  worldReference: 2,
  worldPairs: 3,
  worldCoverage: 4,
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
} as const;

/** Offsets inside a stage's block: a stage draws from stageStream(stage, offset), below STAGE_BLOCK. */
export const STAGE_OFFSET = {
  batch: 0,
  sample: 1,
  /** Samples drawn at each evaluation (period metrics). */
  evalSample: 2,
  /** Bradley-Terry labels of online pairs. */
  label: 3,
  /** Offline sequences a stage generates at its start (teacher samples for distillation). */
  generate: 4,
  /** Points2d: the noise of the diffusion loss, and of the fake-score denoiser's loss (DMD). */
  noise: 5,
  fakeNoise: 6,
  /** DMD: the pairs of the regression term a step draws. */
  regression: 7,
} as const;

function index(what: string, value: number, count: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= count)
    throw new RangeError(`${what} must be an integer in [0, ${count}) to keep its Philox streams apart (got ${value})`);
  return value;
}

const { model, stage, sampler, tensor } = STREAM_RANGES;

/** Initial weights of the i-th named model. */
export const modelStream = (i: number): number => model.first + index('model index', i, model.end - model.first);

export const stageStream = (stageIndex: number, offset: number): number =>
  stage.first +
  index('stage index', stageIndex, Math.floor((stage.end - stage.first) / STAGE_BLOCK)) * STAGE_BLOCK +
  index('stage stream offset', offset, STAGE_BLOCK);

/** Points2d samplers: sampler `id` draws x_T from stream samplerStream(id, 0) and step i's noise from (id, i + 1), so
 * the teacher and a student sampled with the same id start from the same x_T. */
export const samplerStream = (id: number, step: number): number =>
  sampler.first +
  index('sampler id', id, Math.floor((sampler.end - sampler.first) / SAMPLER_BLOCK)) * SAMPLER_BLOCK +
  index('sampler step', step, SAMPLER_BLOCK);

/** Initial weights of tensor `t` of the i-th named model (a transformer draws each weight matrix from its own). */
export const tensorStream = (i: number, t: number): number =>
  tensor.first +
  index('model index', i, Math.floor((tensor.end - tensor.first) / TENSOR_BLOCK)) * TENSOR_BLOCK +
  index('tensor index', t, TENSOR_BLOCK);
