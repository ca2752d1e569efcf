// The DPO family of preference_loss (OPS.md), one row per loss: what both backends and the lab decide by loss type.

/**
 * `code`: the value of the LOSS override that selects the loss's case in shaders/preference_loss.wgsl (a code with
 * no case there gives NaN). `averaged`: the loss takes length-averaged sequence log-probs (TRL: ipo, simpo).
 * `referenceFree`: the loss ignores the reference, and its rewards are beta times the policy log-probs.
 * `smoothing` and `gamma`: the loss reads label_smoothing (cDPO's smoothing, rDPO's flip rate) and SimPO's target
 * margin gamma; the config form offers only the settings the chosen loss reads. `title`: the loss in words.
 */
export const PREFERENCE_LOSSES = [
  { name: 'sigmoid', code: 0, averaged: false, referenceFree: false, smoothing: true, gamma: false, title: 'DPO' },
  {
    name: 'robust',
    code: 1,
    averaged: false,
    referenceFree: false,
    smoothing: true,
    gamma: false,
    title: 'rDPO, robust to flipped labels',
  },
  {
    name: 'hinge',
    code: 2,
    averaged: false,
    referenceFree: false,
    smoothing: false,
    gamma: false,
    title: 'SLiC hinge',
  },
  { name: 'ipo', code: 3, averaged: true, referenceFree: false, smoothing: false, gamma: false, title: 'IPO' },
  { name: 'sppo_hard', code: 4, averaged: false, referenceFree: false, smoothing: false, gamma: false, title: 'SPPO' },
  { name: 'nca_pair', code: 5, averaged: false, referenceFree: false, smoothing: false, gamma: false, title: 'NCA' },
  {
    name: 'apo_zero',
    code: 6,
    averaged: false,
    referenceFree: false,
    smoothing: false,
    gamma: false,
    title: 'APO-zero',
  },
  {
    name: 'simpo',
    code: 7,
    averaged: true,
    referenceFree: true,
    smoothing: true,
    gamma: true,
    title: 'SimPO, reference-free',
  },
] as const satisfies readonly {
  name: string;
  code: number;
  averaged: boolean;
  referenceFree: boolean;
  smoothing: boolean;
  gamma: boolean;
  title: string;
}[];

export type PreferenceLoss = (typeof PREFERENCE_LOSSES)[number];
export type PreferenceLossType = PreferenceLoss['name'];
export const PREFERENCE_LOSS_TYPES: readonly PreferenceLossType[] = PREFERENCE_LOSSES.map((l) => l.name);

/** The table row of a loss type; throws on a name outside the table (configs and fixtures are data). */
export function preferenceLossOf(type: PreferenceLossType): PreferenceLoss {
  const row = PREFERENCE_LOSSES.find((l) => l.name === type);
  if (!row) throw new Error(`preference_loss: unknown loss type "${String(type)}"`);
  return row;
}
