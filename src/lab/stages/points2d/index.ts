// Points2d runs: DDPM training of a teacher denoiser, DMD distillation into a one-step generator with hybrid
// inference, progressive distillation, and Diffusion-DPO against the frozen teacher. Each step is recorded once and
// replayed on the device; samples for the diversity metrics are drawn on the device and measured on the host at each
// read-back.

import type { Backend } from '../../../engine/backend';
import type { ExperimentConfig } from '../../config';
import type { Run } from '../../stage';
import { Denoiser } from '../../models/denoiser';
import { modelStream } from '../../streams';
import { alphaBars, makePoints2d, timeFeatures } from '../../worlds/points2d';
import type { Points2dRun } from './base';
import { DiffusionDpoStageRunner } from './diffusion-dpo';
import { DiffusionStageRunner } from './ddpm';
import { DmdStageRunner } from './dmd';
import { ProgressiveStageRunner } from './progressive';

/** A points2d run: the data and teacher built once; stages train the teacher, distill it, or tune it in turn. */
export function buildPoints2dRun(be: Backend, cfg: ExperimentConfig): Run {
  if (cfg.world.kind !== 'points2d') throw new Error(`a points2d run needs a points2d world, not ${cfg.world.kind}`);
  const w = cfg.world;
  const d = makePoints2d(w, cfg.seed);
  const n = Math.min(w.evalSamples, d.N);
  const run: Points2dRun = {
    be,
    cfg,
    w,
    d,
    abar: alphaBars(w),
    feat: be.tensor([w.timesteps, w.embed], {
      label: 'points2d:time_features',
      data: timeFeatures(w.timesteps, w.embed),
    }),
    data: be.tensor([d.N, 2], { label: 'points2d:data', data: d.data }),
    reference: d.data.slice(0, 2 * n),
    teacher: new Denoiser(be, 'teacher', w, cfg.seed, modelStream(0)),
  };
  const stages = cfg.stages.map((s, i) => {
    switch (s.kind) {
      case 'diffusion':
        return new DiffusionStageRunner(run, s, i);
      case 'dmd':
        return new DmdStageRunner(run, s, i);
      case 'diffusion_dpo':
        return new DiffusionDpoStageRunner(run, s, i);
      case 'progressive':
        return new ProgressiveStageRunner(run, s, i);
      default:
        throw new Error(`a points2d run cannot run a ${s.kind} stage`);
    }
  });
  return {
    stages,
    async weights() {
      const out: Record<string, Float32Array> = {};
      for (const m of [run.teacher, ...stages.flatMap((s) => s.trained)]) out[m.name] = await m.arena.packed();
      return out;
    },
    release() {
      for (const s of stages) s.release();
      run.teacher.release();
      be.release(run.feat);
      be.release(run.data);
    },
  };
}
