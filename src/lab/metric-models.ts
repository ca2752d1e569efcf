// Which model each metric of a stage measures, and in what unit, from the stage's kind and config. A chart names its
// series by it, and a metric that measures another model in the next stage (nll/model of the teacher in sft, of the
// student in distill) becomes a new, separately named line instead of one line that silently changes model.
import type { Stage } from './config';
import type { MetricDef, MetricName } from './metrics';

/** The model a stage trains, by the name the config gives it; the bandit's policy is its table. */
export function trainedModel(stage: Stage): string {
  switch (stage.kind) {
    case 'sft':
    case 'distill':
    case 'reward_model':
      return stage.model;
    case 'preference':
      return stage.model ?? 'policy';
    case 'diffusion':
      return 'teacher';
    case 'dmd':
    case 'progressive':
      return 'student';
    case 'diffusion_dpo':
      return 'policy';
  }
}

/** The model (or pair of models, or sampler) a metric logged by this stage describes. */
export function metricModel(stage: Stage, metric: MetricName): string {
  switch (metric) {
    case 'nll/oracle':
      return 'oracle';
    case 'ranking/idealized':
      return 'DPO optimum';
    case 'loss/fake_score':
      return 'fake score';
    case 'dmd/gap':
      return 'teacher vs fake score';
  }
  if (metric.startsWith('hybrid/')) return 'hybrid';
  // Diffusion-DPO measures its frozen copy of the teacher: the reference the policy is tuned against.
  if (metric.startsWith('teacher/')) return stage.kind === 'diffusion_dpo' ? 'reference' : 'teacher';
  if (stage.kind === 'distill') {
    if (metric === 'nll/teacher') return stage.teacher;
    if (metric === 'kd/agreement') return `${stage.model} vs ${stage.teacher}`;
  }
  return trainedModel(stage);
}

/** The unit of a metric logged by a stage: a diffusion stage's loss is a mean squared error of noise, not nats. */
export function metricUnit(stage: Stage | undefined, def: MetricDef): string {
  if (def.name === 'loss' && (stage?.kind === 'diffusion' || stage?.kind === 'progressive')) return 'mse';
  return def.unit;
}
