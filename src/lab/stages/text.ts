// A text run: the corpus tokenized and its windows (and pairs) uploaded once, every named model built over its
// vocabulary, then each stage trains its model in turn (sft on the corpus, preference on the pairs).

import type { Backend, Tensor } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import type { Run } from '../stage';
import { TokenMlp } from '../models/token-mlp';
import { modelStream } from '../streams';
import { makeText, type TextData } from '../worlds/text';
import { TextLm } from './text-model';
import { TextPreferenceStageRunner } from './text-preference';
import { TextSftStageRunner } from './text-sft';

/** Preference pairs on the device: [N, T] rows of prompt and response, masks 1 on the response. */
export interface PairTensors {
  N: number;
  chosen: Tensor;
  chosenMask: Tensor;
  rejected: Tensor;
  rejectedMask: Tensor;
}

/** The corpus on the device: training windows [S, T], held-out windows [H, T], and the world's pairs. */
export class TextDevice {
  readonly windows: Tensor;
  readonly held: Tensor;
  readonly pairs: PairTensors | null = null;

  constructor(
    private readonly be: Backend,
    readonly d: TextData,
  ) {
    this.windows = be.tensor([d.S, d.T], { dtype: 'i32', label: 'text:windows', data: d.windows });
    this.held = be.tensor([d.H, d.T], { dtype: 'i32', label: 'text:held', data: d.held });
    const p = d.pairs;
    if (p) {
      const shape = [p.N, d.T];
      this.pairs = {
        N: p.N,
        chosen: be.tensor(shape, { dtype: 'i32', label: 'text:chosen', data: p.chosen }),
        chosenMask: be.tensor(shape, { label: 'text:chosen_mask', data: p.chosenMask }),
        rejected: be.tensor(shape, { dtype: 'i32', label: 'text:rejected', data: p.rejected }),
        rejectedMask: be.tensor(shape, { label: 'text:rejected_mask', data: p.rejectedMask }),
      };
    }
  }

  release(): void {
    const p = this.pairs;
    for (const t of [this.windows, this.held, ...(p ? [p.chosen, p.chosenMask, p.rejected, p.rejectedMask] : [])])
      this.be.release(t);
  }
}

/** What the stages of one text run share. */
export interface TextRun {
  be: Backend;
  cfg: ExperimentConfig;
  data: TextData;
  device: TextDevice;
  models: Map<string, TextLm>;
}

export function buildTextRun(be: Backend, cfg: ExperimentConfig): Run {
  if (cfg.world.kind !== 'text') throw new Error(`a text run needs a text world, not ${cfg.world.kind}`);
  const data = makeText(cfg.world);
  const device = new TextDevice(be, data);
  const models = new Map(
    Object.entries(cfg.models ?? {}).map(([name, m], i) => [
      name,
      new TextLm(be, new TokenMlp(be, name, m, data.V + 1, data.V, cfg.seed, modelStream(i)), data.bos),
    ]),
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
