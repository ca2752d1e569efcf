// A text run: the corpus tokenized and its windows uploaded once, every named model built over its vocabulary, then
// each stage trains its model in turn.

import type { Backend, Tensor } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import type { Run } from '../stage';
import { TokenMlp } from '../models/token-mlp';
import { modelStream } from '../streams';
import { makeText, type TextData } from '../worlds/text';
import { TextLm } from './text-model';
import { TextSftStageRunner } from './text-sft';

/** The corpus on the device: training windows [S, T] and held-out windows [H, T]. */
export class TextDevice {
  readonly windows: Tensor;
  readonly held: Tensor;

  constructor(
    private readonly be: Backend,
    readonly d: TextData,
  ) {
    this.windows = be.tensor([d.S, d.T], { dtype: 'i32', label: 'text:windows', data: d.windows });
    this.held = be.tensor([d.H, d.T], { dtype: 'i32', label: 'text:held', data: d.held });
  }

  release(): void {
    this.be.release(this.windows);
    this.be.release(this.held);
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
    if (s.kind !== 'sft') throw new Error(`a text run cannot run a ${s.kind} stage`);
    return new TextSftStageRunner(run, s, i);
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
