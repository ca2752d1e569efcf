// A text run: the corpus tokenized and its windows (and pairs) uploaded once, every named model built over its
// vocabulary, then each stage trains its model in turn (sft on the corpus, preference on the pairs).

import type { Backend } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import type { Run } from '../stage';
import { makeText } from '../worlds/text';
import { textLm } from './text-model';
import { TextDevice, type TextRun } from './text-run';
import { TextPreferenceStageRunner } from './text-preference';
import { TextSftStageRunner } from './text-sft';

export function buildTextRun(be: Backend, cfg: ExperimentConfig): Run {
  if (cfg.world.kind !== 'text') throw new Error(`a text run needs a text world, not ${cfg.world.kind}`);
  const data = makeText(cfg.world);
  const device = new TextDevice(be, data);
  const dims = { T: data.T, V: data.V, bos: data.bos };
  const models = new Map(
    Object.entries(cfg.models ?? {}).map(([name, m], i) => [name, textLm(be, name, m, i, dims, cfg.seed)]),
  );
  const run: TextRun = { be, cfg, data, device, models };
  const stages = cfg.stages.map((s, i) => {
    if (s.kind === 'sft') return new TextSftStageRunner(run, s, i);
    if (s.kind === 'preference') return new TextPreferenceStageRunner(run, s, i);
    throw new Error(`a text run cannot run a ${s.kind} stage`);
  });
  return {
    stages,
    async weights() {
      const out: Record<string, Float32Array> = {};
      for (const [name, m] of models) out[name] = await m.arena.packed();
      return out;
    },
    release() {
      for (const s of stages) s.release();
      for (const m of models.values()) m.dispose();
      device.release();
    },
  };
}
