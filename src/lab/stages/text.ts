// A text run: the corpus tokenized and its windows (and pairs) uploaded once, every named model built over its
// vocabulary, then each stage trains its model in turn (sft on the corpus, preference on the pairs).

import type { Backend } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import type { Run } from '../stage';
import { TokenMlp } from '../models/token-mlp';
import { modelStream } from '../streams';
import { makeText } from '../worlds/text';
import { TextLm } from './text-model';
import { TextDevice, type TextRun } from './text-run';
import { TextPreferenceStageRunner } from './text-preference';
import { TextSftStageRunner } from './text-sft';

export function buildTextRun(be: Backend, cfg: ExperimentConfig): Run {
  if (cfg.world.kind !== 'text') throw new Error(`a text run needs a text world, not ${cfg.world.kind}`);
  const data = makeText(cfg.world);
  const device = new TextDevice(be, data);
  const models = new Map(
    Object.entries(cfg.models ?? {}).map(([name, m], i) => {
      // The config's checks refuse other kinds in a text world.
      if (m.kind !== 'token-mlp') throw new Error(`models.${name}: a text run trains token-mlp models, not ${m.kind}`);
      return [name, new TextLm(be, new TokenMlp(be, name, m, data.V + 1, data.V, cfg.seed, modelStream(i)), data.bos)];
    }),
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
      for (const m of models.values()) {
        m.release();
        m.model.release();
      }
      device.release();
    },
  };
}
