// Charts of several runs: each run's stage rules from its own config, and each series' unit from the stage that
// logged it (a diffusion loss is an mse, a DPO loss is in nats).
import { describe, expect, it } from 'vitest';
import { buildCharts, runStageMarks, stageSpans } from '../../src/app/series';
import { parseConfig } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';

const stagesOf = (name: string) => parseConfig(structuredClone(findPreset(name)!.config)).stages;

describe('units by stage', () => {
  it("gives DMD's losses their unit: the teacher's diffusion loss and the fake score's are mean squared errors", () => {
    const [loss] = buildCharts([
      {
        label: 'a',
        stages: stagesOf('diffusion-dmd-collapse'),
        rows: [
          { stage: 'teacher', step: 10, loss: 0.4 },
          { stage: 'dmd', step: 10, 'loss/fake_score': 0.3 },
        ],
      },
    ]);
    expect(loss.chart).toBe('Loss');
    expect(loss.series.map((s) => s.unit)).toEqual(['mse', 'mse']);
    expect(loss.unit).toBe('mse');
  });

  it('names both units where a diffusion loss meets a Diffusion-DPO loss', () => {
    const [loss] = buildCharts([
      {
        label: 'a',
        stages: stagesOf('diffusion-dpo'),
        rows: [
          { stage: 'teacher', step: 10, loss: 0.4 },
          { stage: 'ddpo', step: 10, loss: 0.69 },
        ],
      },
    ]);
    expect(loss.unit).toBe('mse / nats');
  });
});

describe('stage rules of compared runs', () => {
  const sft = (steps: number) => [
    { name: 'sft', steps },
    { name: 'distill', steps: 300 },
  ];

  it("draws each run's own boundary, and one rule where the runs agree", () => {
    const apart = runStageMarks([stageSpans(sft(400)), stageSpans(sft(600))], [0, 900]);
    expect(apart.map((m) => [m.name, m.start, m.runs, m.ambiguous])).toEqual([
      ['sft', 0, [0, 1], false],
      ['distill', 400, [0], true],
      ['distill', 600, [1], true],
    ]);
    const together = runStageMarks([stageSpans(sft(400)), stageSpans(sft(400))], [0, 700]);
    expect(together.map((m) => [m.name, m.start, m.runs, m.ambiguous])).toEqual([
      ['sft', 0, [0, 1], false],
      ['distill', 400, [0, 1], false],
    ]);
    // A run of one stage has no boundary: the other run's rules need no run's name.
    const single = runStageMarks([stageSpans(sft(400)), stageSpans([{ name: 'dpo', steps: 500 }])], [0, 700]);
    expect(single.map((m) => [m.name, m.runs, m.ambiguous])).toEqual([
      ['sft', [0], false],
      ['distill', [0], false],
    ]);
  });

  it('takes the stages of a compared run from its own config, not from the first run', () => {
    const rows = (stage: string) => [{ stage, step: 10, loss: 1 }];
    const stages = (teacher: number) => {
      const s = stagesOf('distill-forward-kl');
      return s.map((st, i) => (i === 0 ? { ...st, steps: teacher } : st));
    };
    const [loss] = buildCharts([
      { label: 'this run', stages: stages(400), rows: [...rows('sft'), ...rows('distill')] },
      { label: 'saved', stages: stages(200), rows: [...rows('sft'), ...rows('distill')] },
    ]);
    expect(loss.runStages.map((spans) => spans.map((s) => s.start))).toEqual([
      [0, 400],
      [0, 200],
    ]);
    expect(loss.runLabels).toEqual(['this run', 'saved']);
  });
});
