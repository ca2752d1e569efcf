// Philox stream ids: each use of randomness has its own, so runs do not depend on the order of draws.

export const STREAM = {
  worldReward: 1,
  worldReference: 2,
  worldPairs: 3,
  worldCoverage: 4,
  init: 5,
  /** Per-stage streams are stageBase(stage) + offset. */
  batch: 0,
  sample: 1,
} as const;

export const stageStream = (stage: number, offset: number): number => 1000 + stage * 16 + offset;
