// The metric registry: names (OPS.md, TRL's conventions), meaning and chart grouping. It feeds the CLI's JSON lines,
// the UI charts and CSV export, so a metric is declared once, and its names type every row: a typo fails tsc.

export interface MetricDef<Name extends string = MetricName> {
  name: Name;
  /** Chart it belongs to (metrics of one chart share axes). */
  chart: string;
  unit: string;
  description: string;
  /** step: logged on the device every step; period: computed at each read-back from the full model. */
  cadence: 'step' | 'period';
}

const REGISTRY = [
  { name: 'loss', chart: 'Loss', unit: 'nats', description: 'The objective being minimized', cadence: 'step' },
  {
    name: 'rewards/chosen',
    chart: 'Implicit rewards',
    unit: 'nats',
    description:
      'Batch mean of beta (log pi(y_w) - log pi_ref(y_w)); in a reward model stage, of its score r(y_w); in Diffusion-DPO, of -beta/2 (mse(eps_theta, eps) - mse(eps_ref, eps)) on x_w',
    cadence: 'step',
  },
  {
    name: 'rewards/rejected',
    chart: 'Implicit rewards',
    unit: 'nats',
    description:
      'Batch mean of beta (log pi(y_l) - log pi_ref(y_l)); in a reward model stage, of its score r(y_l); in Diffusion-DPO, the same denoising gain on x_l',
    cadence: 'step',
  },
  {
    name: 'rewards/margins',
    chart: 'Reward margin',
    unit: 'nats',
    description: 'Mean of chosen minus rejected implicit reward',
    cadence: 'step',
  },
  {
    name: 'rewards/accuracies',
    chart: 'Reward accuracy',
    unit: 'share',
    description: 'Share of pairs whose chosen reward exceeds the rejected one',
    cadence: 'step',
  },
  {
    name: 'logps/chosen',
    chart: 'Log-probabilities',
    unit: 'nats',
    description:
      'Mean policy log-prob of the chosen responses: on sequences the sum over tokens, or the mean per token for ipo and simpo, whose losses take length-averaged log-probs (TRL v0.24; later TRL logs the sums)',
    cadence: 'step',
  },
  {
    name: 'logps/rejected',
    chart: 'Log-probabilities',
    unit: 'nats',
    description:
      'Mean policy log-prob of the rejected responses: on sequences the sum over tokens, or the mean per token for ipo and simpo, whose losses take length-averaged log-probs (TRL v0.24; later TRL logs the sums)',
    cadence: 'step',
  },
  {
    name: 'kl/reference',
    chart: 'KL',
    unit: 'nats',
    description:
      'KL(pi_theta || pi_ref): exact mean over prompts on the bandit; on sequences a sampled estimate, the mean over policy samples y of log pi_theta(y) - log pi_ref(y) (nats per sequence)',
    cadence: 'period',
  },
  {
    name: 'kl/optimal',
    chart: 'KL',
    unit: 'nats',
    description: 'KL(pi_theta || pi_star), pi_star ∝ pi_ref exp(r / beta)',
    cadence: 'period',
  },
  {
    name: 'entropy',
    chart: 'Entropy',
    unit: 'nats',
    description:
      "Mean policy entropy (on sequences: of the next-token distribution, per position of the model's own samples)",
    cadence: 'period',
  },
  {
    name: 'ranking/accuracy',
    chart: 'Ranking accuracy',
    unit: 'share',
    description: 'Share of data pairs with pi_theta(y_w) > pi_theta(y_l)',
    cadence: 'period',
  },
  {
    name: 'ranking/idealized',
    chart: 'Ranking accuracy',
    unit: 'share',
    description: 'Share of data pairs ranked correctly by the idealized DPO optimum (Chen et al. 2024)',
    cadence: 'period',
  },
  {
    name: 'nll/model',
    chart: 'Held-out NLL',
    unit: 'nats/token',
    description:
      'Per-token negative log-likelihood of held-out oracle sequences (text: windows of the held-out text) under the model the stage trains',
    cadence: 'period',
  },
  {
    name: 'nll/teacher',
    chart: 'Held-out NLL',
    unit: 'nats/token',
    description: 'The same for the (frozen) teacher of a distillation stage',
    cadence: 'period',
  },
  {
    name: 'nll/oracle',
    chart: 'Held-out NLL',
    unit: 'nats/token',
    description: 'The same for the hidden oracle itself: the floor no model can beat',
    cadence: 'period',
  },
  {
    name: 'bits_per_char',
    chart: 'Bits per character',
    unit: 'bits/char',
    description:
      'Text: negative log2-likelihood of the held-out windows under the model the stage trains, over the characters they span (at byte level a character is 1-4 tokens)',
    cadence: 'period',
  },
  {
    name: 'kd/agreement',
    chart: 'Agreement',
    unit: 'share',
    description: 'Share of held-out positions where the student argmax equals the teacher argmax',
    cadence: 'period',
  },
  {
    name: 'reward/true',
    chart: 'True reward',
    unit: 'reward',
    description:
      'Mean hidden reward of sequences (or, on points2d, points) sampled from the model; on the bandit, the exact expected reward sum_y pi(y|x) r(x, y), averaged over prompts',
    cadence: 'period',
  },
  {
    name: 'samples/length',
    chart: 'Length',
    unit: 'tokens',
    description: 'Mean length (tokens before EOS) of sequences sampled from the model',
    cadence: 'period',
  },
  {
    name: 'loss/fake_score',
    chart: 'Loss',
    unit: 'mse',
    description: 'DMD: diffusion loss of the fake-score denoiser on the generator samples',
    cadence: 'step',
  },
  {
    name: 'loss/regression',
    chart: 'Loss',
    unit: 'mse',
    description:
      "DMD's regression term: mean squared distance between the generator's one-step samples and the teacher's DDIM samples from the same noise, over the step's pairs (logged when its weight is above 0)",
    cadence: 'step',
  },
  {
    name: 'dmd/gap',
    chart: 'DMD gap',
    unit: 'mse',
    description:
      'DMD: mean squared difference of the teacher and fake-score noise predictions on noised generator samples (the size of the distribution matching gradient)',
    cadence: 'step',
  },
  {
    name: 'diversity/modes_covered',
    chart: 'Modes covered',
    unit: 'modes',
    description:
      'Points2d: modes holding at least the coverage threshold times their data share of the samples of the model the stage trains',
    cadence: 'period',
  },
  {
    name: 'teacher/modes_covered',
    chart: 'Modes covered',
    unit: 'modes',
    description: 'The same for the teacher (the frozen reference in Diffusion-DPO)',
    cadence: 'period',
  },
  {
    name: 'hybrid/modes_covered',
    chart: 'Modes covered',
    unit: 'modes',
    description:
      'DMD: the same for hybrid inference (the teacher from t = T down to the handover in k steps, then the student)',
    cadence: 'period',
  },
  {
    name: 'diversity/precision',
    chart: 'Sample precision',
    unit: 'share',
    description:
      "Points2d: k-NN precision (Kynkaanniemi et al. 2019, k = 3): share of the stage model's samples within some data point's distance to its 3rd nearest data neighbour (sharp samples near 1, a diffuse cloud low)",
    cadence: 'period',
  },
  {
    name: 'teacher/precision',
    chart: 'Sample precision',
    unit: 'share',
    description: 'The same for the teacher (the frozen reference in Diffusion-DPO)',
    cadence: 'period',
  },
  {
    name: 'hybrid/precision',
    chart: 'Sample precision',
    unit: 'share',
    description: 'DMD: the same for hybrid inference',
    cadence: 'period',
  },
  {
    name: 'diversity/recall',
    chart: 'Sample recall',
    unit: 'share',
    description:
      "Points2d: k-NN recall (k = 3): share of data points within some sample's distance to its 3rd nearest sample (all modes reached near 1, dropped modes low)",
    cadence: 'period',
  },
  {
    name: 'teacher/recall',
    chart: 'Sample recall',
    unit: 'share',
    description: 'The same for the teacher (the frozen reference in Diffusion-DPO)',
    cadence: 'period',
  },
  {
    name: 'hybrid/recall',
    chart: 'Sample recall',
    unit: 'share',
    description: 'DMD: the same for hybrid inference',
    cadence: 'period',
  },
  {
    name: 'diversity/energy_distance',
    chart: 'Energy distance',
    unit: 'distance',
    description:
      "Points2d: energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| between the samples of the model the stage trains and the data, unbiased (within-set means over distinct pairs): 0 on average for the same distribution",
    cadence: 'period',
  },
  {
    name: 'teacher/energy_distance',
    chart: 'Energy distance',
    unit: 'distance',
    description: 'The same for the teacher (the frozen reference in Diffusion-DPO)',
    cadence: 'period',
  },
  {
    name: 'hybrid/energy_distance',
    chart: 'Energy distance',
    unit: 'distance',
    description: 'DMD: the same for hybrid inference',
    cadence: 'period',
  },
  {
    name: 'diversity/entropy',
    chart: 'Sample entropy',
    unit: 'nats',
    description:
      'Points2d: Kozachenko-Leonenko nearest-neighbour estimate of the differential entropy of the samples of the model the stage trains',
    cadence: 'period',
  },
  {
    name: 'teacher/entropy',
    chart: 'Sample entropy',
    unit: 'nats',
    description: 'The same for the teacher (the frozen reference in Diffusion-DPO)',
    cadence: 'period',
  },
  {
    name: 'hybrid/entropy',
    chart: 'Sample entropy',
    unit: 'nats',
    description: 'DMD: the same for hybrid inference',
    cadence: 'period',
  },
  {
    name: 'sampler/steps',
    chart: 'Sampler steps',
    unit: 'steps',
    description: 'Progressive distillation: denoising steps of the current student sampler (halves each round)',
    cadence: 'period',
  },
  {
    name: 'samples/mean_x',
    chart: 'Sample mean',
    unit: 'x',
    description: 'Points2d: mean x coordinate of the samples',
    cadence: 'period',
  },
  {
    name: 'samples/mean_y',
    chart: 'Sample mean',
    unit: 'y',
    description: 'Points2d: mean y coordinate of the samples',
    cadence: 'period',
  },
  {
    name: 'pairs/accuracy',
    chart: 'Pair accuracy',
    unit: 'share',
    description:
      "Share of held-out pairs ordered as the hidden reward orders them by the stage's reward: the reward model's score, or DPO's implicit reward beta log pi/pi_ref",
    cadence: 'period',
  },
] as const satisfies readonly MetricDef<string>[];

/** Every metric a run can log, by name. */
export type MetricName = (typeof REGISTRY)[number]['name'];
/** Every chart the metrics are grouped into, by name. */
export type ChartName = (typeof REGISTRY)[number]['chart'];

/** The registry in order: chart order, and the column order of CSV and JSON-lines export. */
export const METRICS: readonly MetricDef[] = REGISTRY;

const NAMES: ReadonlySet<string> = new Set(METRICS.map((m) => m.name));

export function isMetricName(name: string): name is MetricName {
  return NAMES.has(name);
}

/** Whose samples a points2d diversity metric measures: the stage's model, the teacher, or DMD's hybrid sampler. */
export type SamplePrefix = 'diversity/' | 'teacher/' | 'hybrid/';
/** The diversity metrics of one draw of samples, under each prefix (all of them are in the registry). */
export type SampleMetric = 'modes_covered' | 'energy_distance' | 'entropy' | 'precision' | 'recall';
export type SampleMetricName = `${SamplePrefix}${SampleMetric}`;

/** The per-step metrics a preference stage logs on the device, in history column order. */
export const PREFERENCE_STEP_METRICS = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/margins',
  'rewards/accuracies',
  'logps/chosen',
  'logps/rejected',
] as const satisfies readonly MetricName[];

/** The values of the metrics a row logged; a metric absent from it was not logged at that step. */
export type MetricValues = { [Name in MetricName]?: number };

export interface MetricRow extends MetricValues {
  stage: string;
  step: number;
}

/**
 * The rows of steps (from, to] read from a device metric history [period, M]: step s sits in row s % period, its
 * columns named by `names` (the order the stage logs them in), typed from the registry so every column reaches the
 * charts and exports.
 */
export function historyRows(
  stage: string,
  names: readonly MetricName[],
  history: ArrayLike<number>,
  period: number,
  from: number,
  to: number,
): MetricRow[] {
  const M = names.length;
  const rows: MetricRow[] = [];
  for (let s = from + 1; s <= to; s++) {
    const row: MetricRow = { stage, step: s };
    const r = s % period;
    names.forEach((name, j) => (row[name] = history[r * M + j]));
    rows.push(row);
  }
  return rows;
}

export type MetricColumn = 'stage' | 'step' | MetricName;

/** Columns of CSV / JSON-lines export, in registry order. */
export const METRIC_COLUMNS: readonly MetricColumn[] = ['stage', 'step', ...METRICS.map((m) => m.name)];
