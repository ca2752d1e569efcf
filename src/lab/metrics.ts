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
  { name: 'rewards/chosen', chart: 'Implicit rewards', unit: 'nats', description: 'Batch mean of beta (log pi(y_w) - log pi_ref(y_w))', cadence: 'step' },
  { name: 'rewards/rejected', chart: 'Implicit rewards', unit: 'nats', description: 'Batch mean of beta (log pi(y_l) - log pi_ref(y_l))', cadence: 'step' },
  { name: 'rewards/margins', chart: 'Reward margin', unit: 'nats', description: 'Mean of chosen minus rejected implicit reward', cadence: 'step' },
  { name: 'rewards/accuracies', chart: 'Reward accuracy', unit: 'share', description: 'Share of pairs whose chosen reward exceeds the rejected one', cadence: 'step' },
  { name: 'logps/chosen', chart: 'Log-probabilities', unit: 'nats', description: 'Mean policy log-prob of the chosen responses', cadence: 'step' },
  { name: 'logps/rejected', chart: 'Log-probabilities', unit: 'nats', description: 'Mean policy log-prob of the rejected responses', cadence: 'step' },
  { name: 'kl/reference', chart: 'KL', unit: 'nats', description: 'Mean over prompts of KL(pi_theta || pi_ref), exact', cadence: 'period' },
  { name: 'kl/optimal', chart: 'KL', unit: 'nats', description: 'KL(pi_theta || pi_star), pi_star ∝ pi_ref exp(r / beta)', cadence: 'period' },
  { name: 'entropy', chart: 'Entropy', unit: 'nats', description: 'Mean policy entropy', cadence: 'period' },
  { name: 'ranking/accuracy', chart: 'Ranking accuracy', unit: 'share', description: 'Share of data pairs with pi_theta(y_w) > pi_theta(y_l)', cadence: 'period' },
  { name: 'ranking/idealized', chart: 'Ranking accuracy', unit: 'share', description: 'Share of data pairs ranked correctly by the idealized DPO optimum (Chen et al. 2024)', cadence: 'period' },
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
