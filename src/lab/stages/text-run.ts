// What the stages of a text run share: the corpus, its windows and pairs on the device, and the models.

import type { Backend, Tensor } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import type { TextData } from '../worlds/text';
import type { TextLm } from './text-model';

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
