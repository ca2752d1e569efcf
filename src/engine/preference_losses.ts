// The DPO family of preference_loss (OPS.md), one row per loss: what both backends and the lab decide by loss type.

/**
 * `code`: the value of the LOSS override that selects the loss's case in shaders/preference_loss.wgsl (a code with
 * no case there gives NaN). `averaged`: the loss takes length-averaged sequence log-probs (TRL: ipo, simpo).
 * `referenceFree`: the loss ignores the reference, and its rewards are beta times the policy log-probs.
 */
export const PREFERENCE_LOSSES = [
  { name: 'sigmoid', code: 0, averaged: false, referenceFree: false },
  { name: 'robust', code: 1, averaged: false, referenceFree: false },
  { name: 'hinge', code: 2, averaged: false, referenceFree: false },
  { name: 'ipo', code: 3, averaged: true, referenceFree: false },
  { name: 'sppo_hard', code: 4, averaged: false, referenceFree: false },
  { name: 'nca_pair', code: 5, averaged: false, referenceFree: false },
  { name: 'apo_zero', code: 6, averaged: false, referenceFree: false },
  { name: 'simpo', code: 7, averaged: true, referenceFree: true },
] as const satisfies readonly { name: string; code: number; averaged: boolean; referenceFree: boolean }[];

export type PreferenceLoss = (typeof PREFERENCE_LOSSES)[number];
export type PreferenceLossType = PreferenceLoss['name'];
export const PREFERENCE_LOSS_TYPES: readonly PreferenceLossType[] = PREFERENCE_LOSSES.map((l) => l.name);

/** The table row of a loss type; throws on a name outside the table (configs and fixtures are data). */
export function preferenceLossOf(type: PreferenceLossType): PreferenceLoss {
  const row = PREFERENCE_LOSSES.find((l) => l.name === type);
  if (!row) throw new Error(`preference_loss: unknown loss type "${String(type)}"`);
  return row;
}
