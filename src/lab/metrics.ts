// The metric registry: names (OPS.md, TRL's conventions), meaning and chart grouping. It feeds the CLI's JSON lines,
// the UI charts and CSV export, so a metric is declared once.

export interface MetricDef {
  name: string;
  /** Chart it belongs to (metrics of one chart share axes). */
  chart: string;
  unit: string;
  description: string;
  /** step: logged on the device every step; period: computed at each read-back from the full model. */
  cadence: 'step' | 'period';
}

export const METRICS: readonly MetricDef[] = [
  { name: 'loss', chart: 'Loss', unit: 'nats', description: 'The objective being minimized', cadence: 'step' },
  { name: 'rewards/chosen', chart: 'Implicit rewards', unit: 'nats', description: 'Batch mean of beta (log pi(y_w) - log pi_ref(y_w)); in a reward model stage, of its score r(y_w)', cadence: 'step' },
  { name: 'rewards/rejected', chart: 'Implicit rewards', unit: 'nats', description: 'Batch mean of beta (log pi(y_l) - log pi_ref(y_l)); in a reward model stage, of its score r(y_l)', cadence: 'step' },
  { name: 'rewards/margins', chart: 'Reward margin', unit: 'nats', description: 'Mean of chosen minus rejected implicit reward', cadence: 'step' },
  { name: 'rewards/accuracies', chart: 'Reward accuracy', unit: 'share', description: 'Share of pairs whose chosen reward exceeds the rejected one', cadence: 'step' },
  { name: 'logps/chosen', chart: 'Log-probabilities', unit: 'nats', description: 'Mean policy log-prob of the chosen responses', cadence: 'step' },
  { name: 'logps/rejected', chart: 'Log-probabilities', unit: 'nats', description: 'Mean policy log-prob of the rejected responses', cadence: 'step' },
  { name: 'kl/reference', chart: 'KL', unit: 'nats', description: 'KL(pi_theta || pi_ref): exact mean over prompts on the bandit; on sequences a sampled estimate, the mean over policy samples y of log pi_theta(y) - log pi_ref(y) (nats per sequence)', cadence: 'period' },
  { name: 'kl/optimal', chart: 'KL', unit: 'nats', description: 'KL(pi_theta || pi_star), pi_star ∝ pi_ref exp(r / beta)', cadence: 'period' },
  { name: 'entropy', chart: 'Entropy', unit: 'nats', description: 'Mean policy entropy (on sequences: of the next-token distribution, per position of the model\'s own samples)', cadence: 'period' },
  { name: 'ranking/accuracy', chart: 'Ranking accuracy', unit: 'share', description: 'Share of data pairs with pi_theta(y_w) > pi_theta(y_l)', cadence: 'period' },
  { name: 'ranking/idealized', chart: 'Ranking accuracy', unit: 'share', description: 'Share of data pairs ranked correctly by the idealized DPO optimum (Chen et al. 2024)', cadence: 'period' },
  { name: 'nll/model', chart: 'Held-out NLL', unit: 'nats/token', description: 'Per-token negative log-likelihood of held-out oracle sequences under the model the stage trains', cadence: 'period' },
  { name: 'nll/teacher', chart: 'Held-out NLL', unit: 'nats/token', description: 'The same for the (frozen) teacher of a distillation stage', cadence: 'period' },
  { name: 'nll/oracle', chart: 'Held-out NLL', unit: 'nats/token', description: 'The same for the hidden oracle itself: the floor no model can beat', cadence: 'period' },
  { name: 'kd/agreement', chart: 'Agreement', unit: 'share', description: 'Share of held-out positions where the student argmax equals the teacher argmax', cadence: 'period' },
  { name: 'reward/true', chart: 'True reward', unit: 'reward', description: 'Mean hidden reward of sequences sampled from the model', cadence: 'period' },
  { name: 'samples/length', chart: 'Length', unit: 'tokens', description: 'Mean length (tokens before EOS) of sequences sampled from the model', cadence: 'period' },
  { name: 'pairs/accuracy', chart: 'Pair accuracy', unit: 'share', description: 'Share of held-out pairs ordered as the hidden reward orders them by the stage\'s reward: the reward model\'s score, or DPO\'s implicit reward beta log pi/pi_ref', cadence: 'period' },
];

/** The per-step metrics a preference stage logs on the device, in history column order. */
export const PREFERENCE_STEP_METRICS = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/margins',
  'rewards/accuracies',
  'logps/chosen',
  'logps/rejected',
] as const;

export interface MetricRow {
  stage: string;
  step: number;
  [metric: string]: number | string;
}

/** Columns of CSV / JSON-lines export, in registry order. */
export const METRIC_COLUMNS = ['stage', 'step', ...METRICS.map((m) => m.name)];
