// A sequences run: the world and every named model built once, then each stage (sft, distill, preference,
// reward_model) trains its model in turn; models carry over from stage to stage (teacher -> student -> DPO).

import type { Backend } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import type { Run } from '../stage';
import { TokenMlp } from '../models/token-mlp';
import { Transformer } from '../models/transformer';
import { modelStream } from '../streams';
import { makeSequences } from '../worlds/sequences';
import { DistillStageRunner } from './distill';
import { RewardModelStageRunner } from './reward-model';
import { WorldDevice } from './sequence-kit';
import { tokenMlpSeq, transformerSeq, type SeqModel } from './seq-model';
import { SequencePreferenceStageRunner } from './sequence-preference';
import type { SequenceRun, SequenceStage } from './sequence-stage';
import { SftStageRunner } from './sft';

export function buildSequencesRun(be: Backend, cfg: ExperimentConfig): Run {
  if (cfg.world.kind !== 'sequences') throw new Error(`a sequences run needs a sequences world, not ${cfg.world.kind}`);
  const data = makeSequences(cfg.world, cfg.seed);
  const world = new WorldDevice(be, data);
  // A reward model scores one value per position; a language model gives next-token logits.
  const rewardModels = new Set(cfg.stages.flatMap((s) => (s.kind === 'reward_model' ? [s.model] : [])));
  const dims = { T: data.T, V: data.V, bos: data.bos };
  const models = new Map(
    Object.entries(cfg.models ?? {}).map(([name, m], i): [string, SeqModel] => {
      const OUT = rewardModels.has(name) ? 1 : data.V;
      return [
        name,
        m.kind === 'transformer'
          ? transformerSeq(be, new Transformer(be, name, m, data.radix, OUT, cfg.seed, i), dims)
          : tokenMlpSeq(be, new TokenMlp(be, name, m, data.radix, OUT, cfg.seed, modelStream(i)), dims),
      ];
    }),
  );
  const run: SequenceRun = { be, cfg, data, world, models };
  const stages: SequenceStage[] = cfg.stages.map((s, i) => {
    switch (s.kind) {
      case 'sft':
        return new SftStageRunner(run, s, i);
      case 'distill':
        return new DistillStageRunner(run, s, i);
      case 'preference':
        return new SequencePreferenceStageRunner(run, s, i);
      case 'reward_model':
        return new RewardModelStageRunner(run, s, i);
      default:
        throw new Error(`a sequences run cannot run a ${s.kind} stage`);
    }
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
      for (const m of models.values()) m.release();
      world.release();
    },
  };
}
