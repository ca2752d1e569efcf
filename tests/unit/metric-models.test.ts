// Series are named by the model they measure: one metric name that moves to another model at a stage boundary
// becomes two named lines, and the read-out of a step shows the line of the stage that step is in.
import { describe, expect, it } from 'vitest';
import { buildCharts, pointAt } from '../../src/app/series';
import { parseConfig } from '../../src/lab/config';
import { metricModel, trainedModel } from '../../src/lab/metric-models';
import type { MetricRow } from '../../src/lab/metrics';
import { findPreset } from '../../src/lab/presets';

const stagesOf = (name: string) => parseConfig(findPreset(name)!.config).stages;

describe('the model a metric measures', () => {
  it('names the models of a distillation run by their config names', () => {
    const [sft, distill] = stagesOf('distill-forward-kl');
    expect(metricModel(sft, 'nll/model')).toBe('teacher');
    expect(metricModel(distill, 'nll/model')).toBe('student');
    expect(metricModel(distill, 'loss')).toBe('student');
    expect(metricModel(distill, 'nll/teacher')).toBe('teacher');
    expect(metricModel(distill, 'kd/agreement')).toBe('student vs teacher');
    expect(metricModel(distill, 'nll/oracle')).toBe('oracle');
  });

  it('names the trained model of every stage of the pipeline', () => {
    expect(stagesOf('teacher-student-dpo').map(trainedModel)).toEqual(['teacher', 'student', 'rm', 'student']);
    expect(stagesOf('dpo-verbosity').map(trainedModel)).toEqual(['policy', 'policy']);
    expect(stagesOf('dpo-bandit').map((s) => metricModel(s, 'ranking/idealized'))).toEqual(['DPO optimum']);
  });

  it('names the samplers of the diffusion stages', () => {
    const [teacher, dmd] = stagesOf('diffusion-dmd-collapse');
    expect(metricModel(teacher, 'diversity/modes_covered')).toBe('teacher');
    expect(metricModel(dmd, 'diversity/modes_covered')).toBe('student');
    expect(metricModel(dmd, 'teacher/modes_covered')).toBe('teacher');
    expect(metricModel(dmd, 'hybrid/modes_covered')).toBe('hybrid');
    expect(metricModel(dmd, 'loss/fake_score')).toBe('fake score');
    const [, ddpo] = stagesOf('diffusion-dpo');
    expect(metricModel(ddpo, 'diversity/precision')).toBe('policy');
    expect(metricModel(ddpo, 'teacher/precision')).toBe('reference');
    const [, progressive] = stagesOf('diffusion-progressive');
    expect(metricModel(progressive, 'sampler/steps')).toBe('student');
  });
});

describe('a metric that changes model at a stage boundary', () => {
  const stages = stagesOf('distill-forward-kl');
  const rows: MetricRow[] = [
    { stage: 'sft', step: 200, 'nll/model': 1.5, 'nll/oracle': 1.1 },
    { stage: 'sft', step: 400, 'nll/model': 1.3, 'nll/oracle': 1.1 },
    { stage: 'distill', step: 25, 'nll/model': 2.4, 'nll/teacher': 1.3, 'nll/oracle': 1.1 },
    { stage: 'distill', step: 50, 'nll/model': 2.3, 'nll/teacher': 1.3, 'nll/oracle': 1.1 },
  ];
  const [nll] = buildCharts([{ label: 'this run', rows, stages }]);

  it('is two separately named lines, coloured by model', () => {
    expect(nll.series.map((s) => s.label)).toEqual([
      'nll/model · teacher',
      'nll/model · student',
      'nll/teacher · teacher',
      'nll/oracle · oracle',
    ]);
    // The teacher keeps its colour when nll/teacher takes over from nll/model in the distill stage.
    expect(nll.series.map((s) => s.hue)).toEqual([0, 1, 0, 2]);
    expect(nll.series[0].xs).toEqual([200, 400]);
    expect(nll.series[1].xs).toEqual([425, 450]);
  });

  it('colours by metric where two metrics measure one model in one stage', () => {
    const rewards = buildCharts([
      {
        label: 'this run',
        stages: stagesOf('dpo-bandit'),
        rows: [{ stage: 'dpo', step: 1, 'rewards/chosen': 0.1, 'rewards/rejected': -0.1 }],
      },
    ]);
    expect(rewards[0].series.map((s) => [s.label, s.hue])).toEqual([
      ['rewards/chosen · policy', 0],
      ['rewards/rejected · policy', 1],
    ]);
  });

  it('reads out, at a step, the model of the stage that step is in', () => {
    const [teacher, student, , oracle] = nll.series;
    expect(pointAt(teacher, 400)).toBe(1);
    expect(pointAt(student, 400)).toBe(-1);
    // Step 410 is in the distill stage: the teacher's last point at 400 is nearer, but it is not this stage's.
    expect(pointAt(teacher, 410)).toBe(-1);
    expect(pointAt(student, 410)).toBe(0);
    // The oracle is logged in both stages: one colour, one name, a piece per stage.
    expect(oracle.pieces.map((p) => p.span.name)).toEqual(['sft', 'distill']);
    expect(pointAt(oracle, 410)).toBe(2);
  });
});
